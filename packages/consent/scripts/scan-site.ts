import { type BrowserContext, chromium, type Page } from 'playwright-core'
import {
  type Categorised,
  categorise,
  type ObservedItem,
  type ScanRules,
} from '../src/scan-rules.ts'

export interface ScanOptions {
  /** The page to visit (the portal's `/public/`). */
  readonly url: string
  readonly rules: ScanRules
  /** Debian's Chromium unless told otherwise. */
  readonly executablePath?: string
}

/** Every cookie of the context and every storage key of the page, as they are now. */
async function observe(context: BrowserContext, page: Page, beforeConsent: boolean) {
  const cookies = (await context.cookies()).map(
    (c): ObservedItem => ({ name: c.name, storage: 'cookie', beforeConsent }),
  )
  const keys = await page.evaluate(() => ({
    localStorage: Object.keys(localStorage),
    sessionStorage: Object.keys(sessionStorage),
  }))
  const stored = (['localStorage', 'sessionStorage'] as const).flatMap((storage) =>
    keys[storage].map((name): ObservedItem => ({ name, storage, beforeConsent })),
  )
  return [...cookies, ...stored]
}

/**
 * Visits a page in a fresh headless Chromium profile, records what it stores before consent,
 * presses "Allow All", records again (and once more after a reload, for what the server sets
 * on the next request), and categorises all of it with the rules.
 */
export async function scanSite(options: ScanOptions): Promise<Categorised> {
  const browser = await chromium.launch({
    executablePath: options.executablePath ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  })
  try {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(options.url, { waitUntil: 'networkidle' })
    const before = await observe(context, page, true)
    await page.locator('#pc-banner [data-action="allow"]').click()
    await page.waitForLoadState('networkidle')
    const after = await observe(context, page, false)
    await page.reload({ waitUntil: 'networkidle' })
    const reloaded = await observe(context, page, false)
    return categorise(options.rules, [...before, ...after, ...reloaded])
  } finally {
    await browser.close()
  }
}
