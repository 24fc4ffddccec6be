import { mkdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { type Browser, chromium, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { CONSENT_DIR, CONSENT_DIST } from '../scripts/build.ts'
import type { CategoryConfig, ConsentConfig, ConsentReceiptRequest } from '../src/config.ts'
import type { ScanRules } from '../src/scan-rules.ts'

/** Screenshots for a person to look at (git-ignored). */
export const SHOTS = join(CONSENT_DIR, 'test-results')

const HOSTS = 'MAP portal.test 127.0.0.1, MAP *.portal.test 127.0.0.1'

/** Debian's Chromium, never a downloaded browser. */
export async function launch(): Promise<Browser> {
  await mkdir(SHOTS, { recursive: true })
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    // portal.test and its subdomains lead to loopback: cookies on a parent domain can be tried.
    args: ['--headless', '--no-sandbox', '--disable-gpu', `--host-resolver-rules=${HOSTS}`],
  })
}

const purpose = (en: string) => ({ en, ru: `${en} (ru)` })
const days = { en: '1 hour', ru: '1 час' }

/** The fixture site's cookie list: what its blocked scripts store, category by category. */
export const FIXTURE_CATEGORIES: CategoryConfig[] = [
  {
    id: 'necessary',
    services: [
      {
        id: 'portal',
        name: 'Fixture portal',
        cookies: [
          { name: 'parley_consent', storage: 'cookie', purpose: purpose('Consent'), expiry: days },
        ],
      },
    ],
  },
  {
    id: 'functional',
    services: [
      {
        id: 'language',
        name: 'Language',
        cookies: [
          { name: 'fn_lang', storage: 'cookie', purpose: purpose('Language'), expiry: days },
        ],
      },
    ],
  },
  {
    id: 'performance',
    services: [
      {
        id: 'analytics',
        name: 'Analytics',
        cookies: [
          { name: '_pa_id', storage: 'cookie', purpose: purpose('Visits'), expiry: days },
          { name: '_pa_path', storage: 'cookie', purpose: purpose('Visits'), expiry: days },
          { name: 'pa_seen', storage: 'localStorage', purpose: purpose('Visits'), expiry: days },
        ],
      },
      {
        id: 'heatmap',
        name: 'Heatmap',
        cookies: [
          { name: 'hm_buf', storage: 'sessionStorage', purpose: purpose('Clicks'), expiry: days },
          { name: 'hm_session', storage: 'cookie', purpose: purpose('Clicks'), expiry: days },
        ],
      },
    ],
  },
  {
    id: 'targeting',
    services: [
      {
        id: 'ads',
        name: 'Ads',
        cookies: [{ name: 'ad_id', storage: 'cookie', purpose: purpose('Adverts'), expiry: days }],
      },
    ],
  },
  {
    id: 'social',
    services: [
      {
        id: 'share',
        name: 'Share',
        cookies: [
          { name: 'soc_share', storage: 'cookie', purpose: purpose('Sharing'), expiry: days },
        ],
      },
    ],
  },
  {
    id: 'sale',
    services: [
      {
        id: 'broker',
        name: 'Broker',
        cookies: [{ name: 'sale_sync', storage: 'cookie', purpose: purpose('Sale'), expiry: days }],
      },
    ],
  },
]

/** Rules that categorise everything the fixture stores, as a site's rules file would. */
export const FIXTURE_RULES: ScanRules = {
  services: Object.fromEntries(
    FIXTURE_CATEGORIES.flatMap((c) => c.services.map((s) => [s.id, { name: s.name }])),
  ),
  rules: FIXTURE_CATEGORIES.flatMap((c) =>
    c.services.flatMap((s) =>
      s.cookies.map((item) => ({
        pattern: item.name,
        storage: item.storage,
        category: c.id,
        service: s.id,
        purpose: item.purpose,
        expiry: item.expiry,
      })),
    ),
  ),
}

// Each blocked script stores what its service lists, and says it ran.
const BLOCKED = `
<script type="text/plain" data-category="functional" data-service="language">
  document.cookie = 'fn_lang=en; path=/; max-age=3600'; ran.push('language')
</script>
<script type="text/plain" data-category="performance" data-service="analytics">
  document.cookie = '_pa_id=1; path=/; max-age=3600'
  document.cookie = '_pa_path=1; path=/site; max-age=3600'
  localStorage.setItem('pa_seen', '1'); ran.push('analytics')
</script>
<script type="text/plain" data-category="performance" data-service="heatmap">
  document.cookie = 'hm_session=1; path=/'; sessionStorage.setItem('hm_buf', '[]'); ran.push('heatmap')
</script>
<script type="text/plain" data-category="targeting" src="/assets/ads.js"></script>
<script type="text/plain" data-category="social">
  document.cookie = 'soc_share=1; path=/; max-age=3600'; ran.push('share')
</script>
<script type="text/plain" data-category="sale">
  document.cookie = 'sale_sync=1; path=/; max-age=3600'; ran.push('broker')
</script>`

// With `wide`, Analytics also sets a cookie on the parent domain, portal.test.
const WIDE_SCRIPT = `<script type="text/plain" data-category="performance" data-service="analytics">
  document.cookie = '_pa_wide=1; domain=portal.test; path=/; max-age=3600'
</script>`

function withWideCookie(categories: CategoryConfig[]): CategoryConfig[] {
  return categories.map((c) => ({
    ...c,
    services: c.services.map((s) =>
      s.id === 'analytics'
        ? {
            ...s,
            cookies: [
              ...s.cookies,
              { name: '_pa_wide', storage: 'cookie', purpose: purpose('Visits'), expiry: days },
            ],
          }
        : s,
    ),
  }))
}

function pageHtml(query: URLSearchParams): string {
  const config: ConsentConfig = {
    revision: Number(query.get('rev') ?? 1),
    receiptEndpoint: '/receipts',
    categories: query.has('wide') ? withWideCookie(FIXTURE_CATEGORIES) : FIXTURE_CATEGORIES,
    policyUrl: '/privacy',
    receiptRetryMs: 100,
    ...(query.has('gcm') ? { googleConsentMode: true } : {}),
    ...(query.has('usp') ? { usPrivacy: true } : {}),
    ...(query.has('say')
      ? { language: 'ru', texts: { ru: { bannerTitle: query.get('say')! } } }
      : {}),
  }
  const lang = query.get('lang') ?? 'en'
  const gtag = query.has('gtag')
    ? '<script>window.gtagCalls = []; window.gtag = function () { gtagCalls.push([...arguments]) }</script>'
    : ''
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<title>Fixture portal</title>
<link rel="stylesheet" href="/assets/consent.css">
<script>window.ran = []</script>
${gtag}
${query.has('leak') ? "<script>document.cookie = '_leak=1; path=/'</script>" : ''}
<script type="application/json" id="parley-consent-config">${JSON.stringify(config)}</script>
<script src="/assets/consent.js" defer></script>
</head>
<body>
<main>
<h1>Fixture portal</h1>
<p>Public agreements, red lines and statements would be here.</p>
<p><a href="/privacy" data-parley-consent="open">Cookie settings</a></p>
</main>
${query.has('bare') ? '' : BLOCKED}
${query.has('wide') ? WIDE_SCRIPT : ''}
</body>
</html>`
}

export interface Fixture {
  /** The fixture page, at `/site/page` so that cookies can be set on a path below `/`. */
  readonly url: (query?: Record<string, string>, host?: string) => string
  /** Every receipt the endpoint accepted, in order. */
  readonly receipts: ConsentReceiptRequest[]
  /** Answers the next `n` receipts with 503. */
  failNext(n: number): void
  /** How many receipts were refused. */
  refused(): number
  close(): Promise<void>
}

/** A tiny static site serving the bundle, a page with blocked scripts, and a receipt endpoint. */
export async function startFixture(): Promise<Fixture> {
  const receipts: ConsentReceiptRequest[] = []
  let failing = 0
  let refused = 0
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://fixture')
    if (request.method === 'POST' && url.pathname === '/receipts') {
      const chunks: Buffer[] = []
      for await (const chunk of request) chunks.push(chunk as Buffer)
      if (failing > 0) {
        failing -= 1
        refused += 1
        response.writeHead(503).end()
        return
      }
      receipts.push(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      response.writeHead(201, { 'content-type': 'application/json' }).end('{}')
    } else if (url.pathname === '/assets/consent.js' || url.pathname === '/assets/consent.css') {
      const file = url.pathname.slice('/assets/'.length)
      const type = file.endsWith('.js') ? 'text/javascript' : 'text/css'
      response
        .writeHead(200, { 'content-type': type })
        .end(await readFile(join(CONSENT_DIST, file)))
    } else if (url.pathname === '/assets/ads.js') {
      response
        .writeHead(200, { 'content-type': 'text/javascript' })
        .end("document.cookie = 'ad_id=7; path=/; max-age=3600'; ran.push('ads')")
    } else if (url.pathname === '/site/page') {
      response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(pageHtml(url.searchParams))
    } else response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: (query = {}, host = '127.0.0.1') =>
      `http://${host}:${port}/site/page?${new URLSearchParams(query)}`,
    receipts,
    failNext(n) {
      failing = n
    },
    refused: () => refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** Sums every layout shift from the first paint on, as CLS does. */
export const MEASURE_CLS = () => {
  const w = window as unknown as { cls: number }
  w.cls = 0
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & {
      value: number
      hadRecentInput: boolean
    })[]) {
      if (!entry.hadRecentInput) w.cls += entry.value
    }
  }).observe({ type: 'layout-shift', buffered: true })
}

/** A fresh browser profile; with `gpc`, one that sends Global Privacy Control. */
export async function visit(
  browser: Browser,
  url: string,
  options: { gpc?: boolean; viewport?: { width: number; height: number } } = {},
) {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    ...(options.gpc === true ? { extraHTTPHeaders: { 'Sec-GPC': '1' } } : {}),
  })
  if (options.gpc === true) {
    await context.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }),
    )
  }
  await context.addInitScript(MEASURE_CLS)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(String(error)))
  await page.goto(url)
  return { context, page, errors }
}

/** The names of every cookie the browser holds, sorted. */
export async function cookieNames(page: Page): Promise<string[]> {
  return (await page.context().cookies()).map((c) => c.name).sort()
}

/** Every storage key of the page, by store. */
export function storageKeys(page: Page) {
  return page.evaluate(() => ({
    local: Object.keys(localStorage).sort(),
    session: Object.keys(sessionStorage).sort(),
  }))
}

/** A screenshot for people, and axe for the rules: no serious or critical violation. */
export async function look(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) })
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'])
    .analyze()
  const grave = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(
    grave.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    name,
  ).toEqual([])
}
