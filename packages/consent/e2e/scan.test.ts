import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Browser } from 'playwright-core'
import { Value } from 'typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSENT_DIR } from '../scripts/build.ts'
import { scanSite } from '../scripts/scan-site.ts'
import { type CategoryConfig, ConsentConfigSchema, type StoredItem } from '../src/config.ts'
import type { ScanRules } from '../src/scan-rules.ts'
import {
  FIXTURE_CATEGORIES,
  FIXTURE_RULES,
  type Fixture,
  launch,
  startFixture,
  storageKeys,
  visit,
} from './support.ts'

const run = promisify(execFile)
const SCAN = join(CONSENT_DIR, 'scripts/scan.ts')

let browser: Browser
let site: Fixture
let dir: string

beforeAll(async () => {
  browser = await launch()
  site = await startFixture()
  dir = await mkdtemp(join(tmpdir(), 'parley-scan-'))
})

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await rm(dir, { recursive: true, force: true })
})

/** Runs the scan command; its exit code, output and messages. */
async function scan(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [SCAN, ...args])
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

async function rulesFile(name: string, rules: ScanRules): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(rules))
  return path
}

describe('the cookie scan', () => {
  it('lists exactly what the browser stored after Allow All, as the config’s cookie list', async () => {
    const result = await scanSite({ url: site.url(), rules: FIXTURE_RULES })
    expect(result.uncategorised).toEqual([])
    expect(result.beforeConsent).toEqual([])
    expect(result.categories).toEqual(FIXTURE_CATEGORIES)
    expect(Value.Check(ConsentConfigSchema.properties.categories, result.categories)).toBe(true)
    // What a real visitor's browser holds after Allow All, side by side with the list.
    const { context, page } = await visit(browser, site.url())
    await page.locator('#pc-banner [data-action="allow"]').click()
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { ran: string[] }).ran.length))
      .toBe(6)
    const listed = result.categories.flatMap((c) => c.services.flatMap((s) => s.cookies))
    const names = (storage: string) =>
      listed
        .filter((i) => i.storage === storage)
        .map((i) => i.name)
        .sort()
    expect(names('cookie')).toEqual((await context.cookies()).map((c) => c.name).sort())
    expect({ local: names('localStorage'), session: names('sessionStorage') }).toEqual(
      await storageKeys(page),
    )
    await context.close()
  })

  it('writes the list with --out and exits 0 when every item is categorised', async () => {
    const out = join(dir, 'cookies.json')
    const result = await scan([
      '--url',
      site.url(),
      '--rules',
      await rulesFile('all.json', FIXTURE_RULES),
      '--out',
      out,
    ])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('scan: 10 items categorised\n')
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({ categories: FIXTURE_CATEGORIES })
  })

  it('fails on a cookie no rule categorises, and names it', async () => {
    const rules = {
      ...FIXTURE_RULES,
      rules: FIXTURE_RULES.rules.filter((r) => r.pattern !== 'soc_share' && r.pattern !== 'hm_buf'),
    }
    const result = await scan(['--url', site.url(), '--rules', await rulesFile('some.json', rules)])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      'scan failed:\n  uncategorised cookie soc_share\n  uncategorised sessionStorage hm_buf\n',
    )
  })

  it('fails on a non-necessary cookie set before any consent', async () => {
    const rules: ScanRules = {
      ...FIXTURE_RULES,
      rules: [
        ...FIXTURE_RULES.rules,
        {
          pattern: '_leak',
          category: 'performance',
          service: 'analytics',
          purpose: { en: 'Leaks' },
          expiry: { en: 'Session' },
        },
      ],
    }
    const result = await scanSite({ url: site.url({ leak: '1' }), rules })
    expect(result.uncategorised).toEqual([])
    expect(result.beforeConsent).toEqual([
      { name: '_leak', storage: 'cookie', beforeConsent: true },
    ])
  })

  it('passes a page like the portal’s, which stores nothing but the choice, with the default rules', async () => {
    const result = await scan([
      '--url',
      site.url({ bare: '1' }),
      '--rules',
      join(CONSENT_DIR, 'rules/portal.json'),
    ])
    expect(result.code).toBe(0)
    const list = JSON.parse(result.stdout)
    expect(list.categories.map((c: CategoryConfig) => [c.id, c.services.map((s) => s.id)])).toEqual(
      [['necessary', ['parley-portal']]],
    )
    expect(list.categories[0].services[0].cookies.map((i: StoredItem) => i.name)).toEqual([
      'parley_consent',
    ])
  })

  it('refuses a rules file the schema does not accept, before opening a browser', async () => {
    const path = join(dir, 'bad.json')
    await writeFile(path, JSON.stringify({ services: {}, rules: [{ pattern: 'x' }] }))
    const result = await scan(['--url', site.url(), '--rules', path])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^rules .*bad\.json: \/rules\/0 /)
    expect((await scan(['--url', site.url()])).code).toBe(2)
  })
})
