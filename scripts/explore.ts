// `npm run test:explore [-- --minutes N]`: the randomized system tests with fresh seeds, round
// after round, until N minutes (default 10) have passed. `npm test` runs fixed seeds; this is
// where new ones are tried. Each round's seeds are printed (test names carry the chaos
// schedules, the fuzz prints its seed); a seed that fails is fixed at its cause and joins the
// regression list in packages/server/test/support/seeds.ts.
import { spawnSync } from 'node:child_process'
import { loadavg } from 'node:os'

// `npm run test:explore --minutes N` (without `--`) gives the flag to npm, which sets
// npm_config_minutes=true and hands N on alone: take it, rather than fall back to the default.
const at = process.argv.indexOf('--minutes')
const npmFlag = process.env.npm_config_minutes === 'true'
const minutes = Number(at !== -1 ? process.argv[at + 1] : npmFlag ? process.argv[2] : 10)
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
    const began = Date.now()
    console.info(
      `== exploration round ${round} on ${engine}, load average ${loadavg()[0]!.toFixed(1)}`,
    )
    const run = spawnSync('npx', ['vitest', 'run', '--project', 'system', ...files], {
      stdio: 'inherit',
      env: { ...process.env, PARLEY_EXPLORE: '1', PARLEY_TEST_DB: engine },
    })
    if (run.status !== 0) failed++
    const seconds = Math.round((Date.now() - began) / 1000)
    console.info(
      `== round ${round} on ${engine}: ${run.status === 0 ? 'passed' : 'FAILED'} in ${seconds} s`,
    )
  }
}
console.info(`exploration: ${round} rounds, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
