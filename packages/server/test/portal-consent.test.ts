import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONSENT_COOKIE, type ScanRules } from '@parley/consent'
import { buildConsent, CONSENT_DIR, CONSENT_DIST } from '@parley/consent/build'
import { scanSite } from '@parley/consent/scan'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build, type ParleyApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { initNodeDirectory } from '../src/node-identity.ts'
import { type Database, openDatabase } from '../src/store/database.ts'
import { cheapPasswordHash } from './support/password-hash.ts'
import { officerWithToken, type TokenOfficer } from './support/tokens.ts'

// biome-ignore lint/suspicious/noExplicitAny: the test reads answers as plain JSON
type Json = any

/**
 * Issue 13, items 2, 4 and 5 together on a real node: the portal serves the consent manager,
 * the scan visits it in Chromium and categorises what it stores with the shipped rules, the
 * preference center then lists the scan's output, and a visitor's choice comes back to the node
 * as a signed receipt.
 */
describe('the portal’s consent manager, scanned and answered', () => {
  let dir: string
  let consentDir: string
  let database: Database
  let app: ParleyApp
  let url: string
  let admin: TokenOfficer

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-portal-consent-'))
    consentDir = join(dir, 'consent')
    await mkdir(consentDir)
    await buildConsent()
    for (const file of ['consent.js', 'consent.css']) {
      await copyFile(join(CONSENT_DIST, file), join(consentDir, file))
    }
    await initNodeDirectory({
      dir,
      node: 'usa-node',
      parties: [{ id: 'usa', name: 'United States' }],
      now: 0,
    })
    const loaded = loadConfig(join(dir, 'parley.json'), {})
    const config = { ...loaded, auth: { ...loaded.auth, passwordHash: cheapPasswordHash } }
    database = await openDatabase()
    app = await build(config, { database, federate: false, logger: false, consentDir })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no address')
    url = `http://127.0.0.1:${address.port}`
    admin = await officerWithToken(app.db, () => Date.now(), { party: 'usa', roles: ['admin'] })
  })
  afterAll(async () => {
    await app?.close()
    await database?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const receipts = async (): Promise<Json[]> => {
    const response = await fetch(`${url}/api/v1/consent/receipts?limit=500`, {
      headers: { authorization: `Bearer ${admin.token}` },
    })
    expect(response.status).toBe(200)
    return ((await response.json()) as Json).receipts
  }
  const configOf = async (lang: string): Promise<Json> => {
    const html = await (await fetch(`${url}/public/${lang}/`)).text()
    const block =
      /<script type="application\/json" id="parley-consent-config">(.*?)<\/script>/s.exec(html)
    expect(block).not.toBeNull()
    return JSON.parse(block![1]!)
  }

  it('scans the portal clean with the shipped rules, and Allow All comes back as a signed receipt', async () => {
    const rules = JSON.parse(
      await readFile(join(CONSENT_DIR, 'rules/portal.json'), 'utf8'),
    ) as ScanRules
    const before = (await receipts()).length
    const result = await scanSite({ url: `${url}/public/en/`, rules })
    expect(result.uncategorised).toEqual([])
    expect(result.beforeConsent).toEqual([])
    const necessary = result.categories.find((c) => c.id === 'necessary')
    expect(necessary?.services.flatMap((s) => s.cookies.map((c) => c.name))).toEqual([
      CONSENT_COOKIE,
    ])
    // The scan's "Allow All" reached the node: one receipt more, every category on, signed.
    const after = await receipts()
    expect(after).toHaveLength(before + 1)
    const last = after.at(-1)
    expect(last.receipt.choices).toEqual({
      necessary: true,
      functional: true,
      performance: true,
      targeting: true,
      social: true,
      sale: true,
    })
    expect(last.receipt.url).toBe(`${url}/public/en/`)
    expect(last.receipt.ip).toBe('127.0.0.0')
    expect(last.sig).toEqual(expect.any(String))

    // The preference center shows the scan's output once it is written where the portal reads it.
    await writeFile(
      join(consentDir, 'cookies.json'),
      JSON.stringify({ categories: result.categories }),
    )
    for (const lang of ['en', 'ru']) {
      const config = await configOf(lang)
      const listed = JSON.stringify(config)
      expect(listed).toContain(CONSENT_COOKIE)
    }
  })

  it('lists exactly the cookies the browser stored, and Reject All is a receipt too', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    })
    try {
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.goto(`${url}/public/ru/`, { waitUntil: 'networkidle' })
      expect(await context.cookies()).toEqual([])
      const before = (await receipts()).length
      await page.locator('#pc-banner [data-action="reject"]').click()
      await expect.poll(async () => (await receipts()).length, { timeout: 10_000 }).toBe(before + 1)
      const stored = (await context.cookies()).map((cookie) => cookie.name)
      expect(stored).toEqual([CONSENT_COOKIE])
      const last = (await receipts()).at(-1)
      expect(last.receipt.language).toBe('ru')
      expect(last.receipt.choices).toMatchObject({ necessary: true, sale: false, targeting: false })
    } finally {
      await browser.close()
    }
  })
})
