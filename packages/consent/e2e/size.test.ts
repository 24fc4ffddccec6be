import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { CONSENT_DIR, CONSENT_DIST } from '../scripts/build.ts'

const run = promisify(execFile)

describe('the consent manager’s size', () => {
  it('is at most 8 KB gzipped, JS and CSS together (size-limit)', async () => {
    const { stdout } = await run(
      join(CONSENT_DIR, '../../node_modules/.bin/size-limit'),
      ['--json'],
      { cwd: CONSENT_DIR },
    ).catch((error: { stdout: string }) => ({ stdout: error.stdout }))
    const [result] = JSON.parse(stdout) as { passed: boolean; size: number }[]
    expect(result!.size).toBeGreaterThan(3_000)
    expect(result!.size).toBeLessThanOrEqual(8_000)
    expect(result!.passed).toBe(true)
  })

  it('is one self-contained script that loads nothing and carries no library', async () => {
    const js = await readFile(join(CONSENT_DIST, 'consent.js'), 'utf8')
    expect(js).not.toMatch(/\bimport\s*[("'{]|\brequire\(|typebox/i)
    expect(js).toMatch(/^"use strict";\(\(\)=>\{/)
  })
})
