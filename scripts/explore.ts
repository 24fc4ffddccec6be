// `npm run test:explore [-- --minutes N]`: the randomized system tests with fresh seeds, round
// after round, until N minutes (default 10) have passed. `npm test` runs fixed seeds; this is
// where new ones are tried. Each round's seeds are printed (test names carry the chaos
// schedules, the fuzz prints its seed); a seed that fails is fixed at its cause and joins the
// regression list in packages/server/test/support/seeds.ts.
import { spawnSync } from 'node:child_process'

const at = process.argv.indexOf('--minutes')
const minutes = at === -1 ? 10 : Number(process.argv[at + 1])
if (!Number.isFinite(minutes) || minutes <= 0) {
  console.error('usage: npm run test:explore -- [--minutes N]')
  process.exit(2)
}
const files = ['packages/server/test/chaos.test.ts', 'packages/server/test/federation-fuzz.test.ts']
const engines =
  process.env.PARLEY_TEST_DB === undefined ? ['pglite', 'postgres'] : [process.env.PARLEY_TEST_DB]
const deadline = Date.now() + minutes * 60_000
let round = 0
let failed = 0
while (Date.now() < deadline) {
  for (const engine of engines) {
    round++
    console.info(`== exploration round ${round} on ${engine}`)
    const run = spawnSync('npx', ['vitest', 'run', '--project', 'system', ...files], {
      stdio: 'inherit',
      env: { ...process.env, PARLEY_EXPLORE: '1', PARLEY_TEST_DB: engine },
    })
    if (run.status !== 0) failed++
  }
}
console.info(`exploration: ${round} rounds, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
