import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { CONSOLE_DIR, CONSOLE_DIST } from '../scripts/build.ts'

const run = promisify(execFile)

describe('the console’s initial JavaScript', () => {
  it('is what the page loads, and at most 250 KB gzipped (size-limit)', async () => {
    // The files size-limit measures are the ones index.html loads before anything runs.
    const page = await readFile(join(CONSOLE_DIST, 'index.html'), 'utf8')
    const scripts = [...page.matchAll(/<script[^>]+src="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1])
    expect(scripts).toHaveLength(1)
    expect(scripts[0]).toMatch(/^assets\/index-[\w-]+\.js$/)
    // size-limit measures every script but the verifier's worker, which loads on demand: a
    // chunk split off the entry is counted too.
    const js = (await readdir(join(CONSOLE_DIST, 'assets'))).filter((f) => f.endsWith('.js'))
    expect(js.filter((f) => !f.startsWith('verify.worker-')).length).toBeGreaterThanOrEqual(1)
    const { stdout } = await run(
      join(CONSOLE_DIR, '../../node_modules/.bin/size-limit'),
      ['--json'],
      {
        cwd: CONSOLE_DIR,
      },
    ).catch((error: { stdout: string }) => ({ stdout: error.stdout }))
    const [result] = JSON.parse(stdout) as { passed: boolean; size: number }[]
    expect(result!.size).toBeGreaterThan(50_000)
    expect(result!.size).toBeLessThanOrEqual(250_000)
    expect(result!.passed).toBe(true)
  })
})
