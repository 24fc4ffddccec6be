import { createHash } from 'node:crypto'
import { join } from 'node:path'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  cookieNames,
  type Fixture,
  launch,
  look,
  SHOTS,
  startFixture,
  storageKeys,
  visit,
} from './support.ts'

let browser: Browser
let site: Fixture

beforeAll(async () => {
  browser = await launch()
  site = await startFixture()
})

afterAll(async () => {
  await browser?.close()
  await site?.close()
})

const ALL_COOKIES = [
  '_pa_id',
  '_pa_path',
  'ad_id',
  'fn_lang',
  'hm_session',
  'parley_consent',
  'sale_sync',
  'soc_share',
]

const banner = (page: Page) => page.getByRole('region', { name: 'We use cookies' })
const center = (page: Page) => page.getByRole('dialog', { name: 'Privacy Preference Center' })

/** How a button looks: where its row is, its size, and its type and colours. */
function prominence(surface: Locator, name: string) {
  return surface.getByRole('button', { name, exact: true }).evaluate((e) => {
    const s = getComputedStyle(e)
    const r = e.getBoundingClientRect()
    return [
      r.top,
      r.width,
      r.height,
      s.fontSize,
      s.fontWeight,
      s.color,
      s.backgroundColor,
      s.border,
    ]
  })
}

/** The consent cookie's value, as the manager wrote it. */
async function stored(page: Page) {
  const cookie = (await page.context().cookies()).find((c) => c.name === 'parley_consent')
  return cookie === undefined ? undefined : JSON.parse(decodeURIComponent(cookie.value))
}

/** The receipts of one consent id: each test's browser makes its own. */
async function receiptsOf(page: Page, count: number) {
  const id = (await stored(page)).consentId
  await expect.poll(() => site.receipts.filter((r) => r.consentId === id).length).toBe(count)
  return site.receipts.filter((r) => r.consentId === id)
}

describe('the consent manager', () => {
  it('shows the banner on a first visit, stores nothing and shifts no layout', async () => {
    const { context, page, errors } = await visit(browser, site.url())
    await expect.poll(() => banner(page).isVisible()).toBe(true)
    expect(await cookieNames(page)).toEqual([])
    expect(await storageKeys(page)).toEqual({ local: [], session: [] })
    expect(await page.evaluate(() => (window as unknown as { ran: string[] }).ran)).toEqual([])
    expect(await page.evaluate(() => window.ParleyConsent?.get())).toBeNull()
    // The banner is an overlay: nothing in the page's flow moved for it.
    expect(await page.evaluate(() => (window as unknown as { cls: number }).cls)).toBe(0)
    expect(await banner(page).evaluate((e) => getComputedStyle(e).position)).toBe('fixed')
    // Reject All is exactly as prominent as Allow All: same size, weight, colours and row.
    expect(await prominence(banner(page), 'Reject All')).toEqual(
      await prominence(banner(page), 'Allow All'),
    )
    await look(page, 'banner-en')
    expect(errors).toEqual([])
    await context.close()
  })

  it('Reject All stores only the consent cookie, runs nothing, and the banner stays gone', async () => {
    const { context, page } = await visit(browser, site.url())
    await banner(page).getByRole('button', { name: 'Reject All' }).click()
    await expect.poll(() => banner(page).count()).toBe(0)
    expect(await cookieNames(page)).toEqual(['parley_consent'])
    const [receipt] = await receiptsOf(page, 1)
    expect(receipt!.choices).toEqual({
      necessary: true,
      functional: false,
      performance: false,
      targeting: false,
      social: false,
      sale: false,
    })
    expect(receipt!.services).toEqual({
      portal: true,
      language: false,
      analytics: false,
      heatmap: false,
      ads: false,
      share: false,
      broker: false,
    })
    expect(receipt).toMatchObject({ revision: 1, gpc: false, language: 'en' })
    expect(receipt!.url).toBe(site.url().split('?')[0])
    await page.reload()
    await expect.poll(() => page.evaluate(() => window.ParleyConsent?.get()?.revision)).toBe(1)
    expect(await banner(page).count()).toBe(0)
    expect(await page.evaluate(() => (window as unknown as { ran: string[] }).ran)).toEqual([])
    expect(await cookieNames(page)).toEqual(['parley_consent'])
    await context.close()
  })

  it('Allow All runs every blocked script in page order and tells onChange', async () => {
    const { context, page } = await visit(browser, site.url())
    await page.evaluate(() => {
      const w = window as unknown as { changes: unknown[] }
      w.changes = []
      window.ParleyConsent!.onChange((state) => w.changes.push(state.choices))
    })
    await banner(page).getByRole('button', { name: 'Allow All' }).click()
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { ran: string[] }).ran))
      .toEqual(['language', 'analytics', 'heatmap', 'ads', 'share', 'broker'])
    expect(await cookieNames(page)).toEqual(ALL_COOKIES)
    expect(await storageKeys(page)).toEqual({ local: ['pa_seen'], session: ['hm_buf'] })
    const choices = {
      necessary: true,
      functional: true,
      performance: true,
      targeting: true,
      social: true,
      sale: true,
    }
    expect(
      await page.evaluate(() => (window as unknown as { changes: unknown[] }).changes),
    ).toEqual([choices])
    const [receipt] = await receiptsOf(page, 1)
    expect(receipt!.choices).toEqual(choices)
    // A later visit runs them at once, without asking.
    const again = await context.newPage()
    await again.goto(site.url())
    await expect
      .poll(() => again.evaluate(() => (window as unknown as { ran: string[] }).ran.length))
      .toBe(6)
    expect(await banner(again).count()).toBe(0)
    await context.close()
  })

  it('clears a category’s cookies and storage when its consent is withdrawn', async () => {
    const { context, page } = await visit(browser, site.url())
    await banner(page).getByRole('button', { name: 'Cookie Settings' }).click()
    await center(page).getByRole('switch', { name: 'Performance' }).check()
    await center(page).getByRole('button', { name: 'Save Settings' }).click()
    await expect
      .poll(() => cookieNames(page))
      .toEqual(['_pa_id', '_pa_path', 'hm_session', 'parley_consent'])
    expect(await storageKeys(page)).toEqual({ local: ['pa_seen'], session: ['hm_buf'] })
    await page.evaluate(() => window.ParleyConsent!.open())
    const performance = center(page).getByRole('switch', { name: 'Performance' })
    expect(await performance.isChecked()).toBe(true)
    await performance.uncheck()
    await center(page).getByRole('button', { name: 'Save Settings' }).click()
    // `_pa_path` was set on /site, the others on /: both paths are cleared.
    expect(await cookieNames(page)).toEqual(['parley_consent'])
    expect(await storageKeys(page)).toEqual({ local: [], session: [] })
    const receipts = await receiptsOf(page, 2)
    expect(receipts.map((r) => r.choices.performance)).toEqual([true, false])
    expect((await stored(page)).choices.performance).toBe(false)
    await context.close()
  })

  it('clears a withdrawn cookie set on the parent domain as well as host-only ones', async () => {
    const { context, page } = await visit(browser, site.url({ wide: '1' }, 'www.portal.test'))
    await banner(page).getByRole('button', { name: 'Allow All' }).click()
    const analytics = async () =>
      (await page.context().cookies())
        .filter((c) => c.name.startsWith('_pa_'))
        .map((c) => `${c.name}@${c.domain}${c.path}`)
        .sort()
    await expect
      .poll(analytics)
      .toEqual([
        '_pa_id@www.portal.test/',
        '_pa_path@www.portal.test/site',
        '_pa_wide@.portal.test/',
      ])
    await page.evaluate(() => window.ParleyConsent!.open())
    await center(page).getByRole('switch', { name: 'Performance' }).uncheck()
    await center(page).getByRole('button', { name: 'Save Settings' }).click()
    expect(await analytics()).toEqual([])
    expect(await cookieNames(page)).toContain('ad_id')
    await context.close()
  })

  it('lets a single service of a category be chosen, beneath the category', async () => {
    const { context, page } = await visit(browser, site.url())
    await page.getByRole('link', { name: 'Cookie settings' }).click()
    await center(page).getByText('Services and cookies (5)').click()
    await center(page).getByRole('switch', { name: 'Analytics' }).check()
    const performance = center(page).getByRole('switch', { name: 'Performance' })
    expect(await performance.isChecked()).toBe(true)
    expect(await performance.evaluate((e) => (e as HTMLInputElement).indeterminate)).toBe(true)
    // The cookie list comes from the config, under its service.
    const rows = center(page).getByRole('table', { name: 'Heatmap' }).getByRole('row')
    expect(await rows.allInnerTexts()).toEqual([
      'Name\tType\tPurpose\tExpiry',
      'hm_buf\tsessionStorage\tClicks\t1 hour',
      'hm_session\tcookie\tClicks\t1 hour',
    ])
    await center(page).getByRole('button', { name: 'Save Settings' }).click()
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { ran: string[] }).ran))
      .toEqual(['analytics'])
    const [receipt] = await receiptsOf(page, 1)
    expect(receipt!.services).toMatchObject({ analytics: true, heatmap: false })
    expect(receipt!.choices.performance).toBe(true)
    await context.close()
  })

  it('asks again when the banner’s revision changes, under the same consent id', async () => {
    const { context, page } = await visit(browser, site.url())
    await banner(page).getByRole('button', { name: 'Allow All' }).click()
    const { consentId } = await stored(page)
    await page.goto(site.url({ rev: '2' }))
    await expect.poll(() => banner(page).isVisible()).toBe(true)
    expect(await page.evaluate(() => window.ParleyConsent!.get())).toBeNull()
    // No choice for revision 2 yet: nothing runs.
    expect(await page.evaluate(() => (window as unknown as { ran: string[] }).ran)).toEqual([])
    await banner(page).getByRole('button', { name: 'Reject All' }).click()
    const receipts = await receiptsOf(page, 2)
    expect(receipts.map((r) => [r.consentId, r.revision, r.choices.functional])).toEqual([
      [consentId, 1, true],
      [consentId, 2, false],
    ])
    expect(await cookieNames(page)).toEqual(['parley_consent'])
    await context.close()
  })

  it('takes a consent cookie it cannot read for no choice, and asks', async () => {
    const context = await browser.newContext()
    const url = new URL(site.url())
    await context.addCookies([
      { name: 'parley_consent', value: '%7B%22consentId%22%3A1%7D', url: url.origin },
    ])
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(String(error)))
    await page.goto(url.href)
    await expect.poll(() => banner(page).isVisible()).toBe(true)
    expect(await page.evaluate(() => window.ParleyConsent!.get())).toBeNull()
    // A listener that throws keeps neither the receipt nor the other listeners from happening.
    await page.evaluate(() => {
      const w = window as unknown as { heard: number }
      w.heard = 0
      window.ParleyConsent!.onChange(() => {
        throw new Error('a faulty listener')
      })
      window.ParleyConsent!.onChange(() => {
        w.heard += 1
      })
    })
    await banner(page).getByRole('button', { name: 'Allow All' }).click()
    expect(await page.evaluate(() => (window as unknown as { heard: number }).heard)).toBe(1)
    expect((await receiptsOf(page, 1))[0]!.choices.sale).toBe(true)
    expect(errors).toEqual(['Error: a faulty listener'])
    await context.close()
  })

  it('posts a receipt whose textHash is the SHA-256 of the banner’s text, retried once', async () => {
    const { context, page } = await visit(browser, site.url())
    const text = await banner(page).evaluate((e) =>
      (e.textContent ?? '').replace(/\s+/g, ' ').trim(),
    )
    expect(text).toContain('We use cookies')
    site.failNext(1)
    const refusedBefore = site.refused()
    await banner(page).getByRole('button', { name: 'Reject All' }).click()
    const [receipt] = await receiptsOf(page, 1)
    expect(site.refused()).toBe(refusedBefore + 1)
    expect(receipt!.textHash).toBe(createHash('sha256').update(text, 'utf8').digest('hex'))
    expect(receipt!.consentId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    await context.close()
  })

  it('hashes the preference center’s text when the choice is made there', async () => {
    const { context, page } = await visit(browser, site.url())
    await page.evaluate(() => window.ParleyConsent!.open())
    const text = await center(page).evaluate((e) =>
      (e.textContent ?? '').replace(/\s+/g, ' ').trim(),
    )
    expect(text).toContain('Privacy Preference Center')
    await center(page).getByRole('button', { name: 'Allow All' }).click()
    const [receipt] = await receiptsOf(page, 1)
    expect(receipt!.textHash).toBe(createHash('sha256').update(text, 'utf8').digest('hex'))
    await context.close()
  })
})

describe('Global Privacy Control', () => {
  it('keeps sale and sharing off, locked, and says the signal is honoured', async () => {
    const { context, page } = await visit(browser, site.url({ usp: '1' }), { gpc: true })
    expect(await page.evaluate(() => navigator.globalPrivacyControl)).toBe(true)
    await banner(page).getByRole('button', { name: 'Cookie Settings' }).click()
    await expect
      .poll(() => center(page).getByText('Opt-Out Preference Signal Honored').isVisible())
      .toBe(true)
    for (const name of ['Targeting', 'Social Media', 'Sale of Personal Data']) {
      const toggle = center(page).getByRole('switch', { name })
      expect([await toggle.isChecked(), await toggle.isDisabled()], name).toEqual([false, true])
    }
    expect(await center(page).getByRole('switch', { name: 'Performance' }).isDisabled()).toBe(false)
    await look(page, 'center-gpc')
    await center(page).getByRole('button', { name: 'Allow All' }).click()
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { ran: string[] }).ran))
      .toEqual(['language', 'analytics', 'heatmap'])
    expect(await cookieNames(page)).toEqual([
      '_pa_id',
      '_pa_path',
      'fn_lang',
      'hm_session',
      'parley_consent',
    ])
    const [receipt] = await receiptsOf(page, 1)
    expect(receipt!.gpc).toBe(true)
    expect(receipt!.choices).toMatchObject({
      targeting: false,
      social: false,
      sale: false,
      performance: true,
    })
    expect(receipt!.services).toMatchObject({ ads: false, share: false, broker: false })
    const usp = await page.evaluate(
      () =>
        new Promise((resolve) =>
          window.__uspapi!('getUSPData', 1, (data) => resolve(data?.uspString)),
        ),
    )
    expect(usp).toBe('1YYN')
    await context.close()
  })
})

describe('keyboard-only use', () => {
  it('reaches the banner first, traps focus in the preference center, and Escape closes it', async () => {
    const { context, page } = await visit(browser, site.url())
    await banner(page).waitFor()
    const focused = () =>
      page.evaluate(() => {
        const e = document.activeElement as HTMLElement
        const name =
          e instanceof HTMLInputElement
            ? e.id
            : (e.getAttribute('aria-label') ?? e.textContent?.trim())
        return `${e.closest('[role=dialog]') ? 'dialog:' : ''}${name}`
      })
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('Privacy policy')
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('Reject All')
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('Allow All')
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('Cookie Settings')
    await page.keyboard.press('Enter')
    await center(page).waitFor()
    // Shift+Tab from the dialog itself wraps to its last control, Tab from there to its first.
    await page.keyboard.press('Shift+Tab')
    expect(await focused()).toBe('dialog:Save Settings')
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('dialog:Close')
    // Twice round: Close, each category's switch (Strictly Necessary's is fixed) and its
    // details, and the three buttons; never anything outside.
    const seen: string[] = []
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab')
      seen.push(await focused())
    }
    const round = [
      'Close',
      'Services and cookies (1)',
      ...['functional', 'performance', 'targeting', 'social', 'sale'].flatMap((id) => [
        `pc-c-${id}`,
        `Services and cookies (${id === 'performance' ? 5 : 1})`,
      ]),
      'Reject All',
      'Allow All',
      'Save Settings',
    ].map((name) => `dialog:${name}`)
    expect(seen).toEqual([...round.slice(1), ...round, round[0]])
    await page.getByRole('switch', { name: 'Functional' }).focus()
    await page.keyboard.press('Space')
    expect(await page.getByRole('switch', { name: 'Functional' }).isChecked()).toBe(true)
    await page.getByRole('switch', { name: 'Performance' }).focus()
    await page.keyboard.press('Enter')
    expect(await page.getByRole('switch', { name: 'Performance' }).isChecked()).toBe(true)
    // A click on the backdrop leaves focus on the page: Tab comes back into the dialog.
    await page.mouse.click(5, 5)
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('dialog:Close')
    await page.mouse.click(5, 5)
    await page.keyboard.press('Escape')
    await expect.poll(() => center(page).count()).toBe(0)
    // The banner remains until a choice, and focus is back where it was.
    expect(await banner(page).isVisible()).toBe(true)
    expect(await focused()).toBe('Cookie Settings')
    await page.keyboard.press('Enter')
    await center(page).waitFor()
    await page.getByRole('switch', { name: 'Functional' }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('button', { name: 'Save Settings' }).focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => cookieNames(page)).toEqual(['fn_lang', 'parley_consent'])
    expect(await banner(page).count()).toBe(0)
    await context.close()
  })
})

describe('the Russian UI', () => {
  it('follows the page’s language, and stays accessible', async () => {
    const { context, page } = await visit(browser, site.url({ lang: 'ru' }))
    const ru = page.getByRole('region', { name: 'Мы используем файлы cookie' })
    await ru.waitFor()
    for (const name of ['Отклонить все', 'Разрешить все', 'Настройки cookie']) {
      expect(await ru.getByRole('button', { name }).isVisible(), name).toBe(true)
    }
    expect(await prominence(ru, 'Отклонить все')).toEqual(await prominence(ru, 'Разрешить все'))
    await look(page, 'banner-ru')
    await ru.getByRole('button', { name: 'Настройки cookie' }).click()
    const dialog = page.getByRole('dialog', { name: 'Центр настроек конфиденциальности' })
    await dialog.getByText('Сервисы и файлы cookie (5)').click()
    expect(await dialog.getByRole('switch', { name: 'Эксплуатационные' }).isChecked()).toBe(false)
    expect(await dialog.getByRole('cell', { name: 'Clicks (ru)' }).count()).toBe(2)
    await look(page, 'center-ru')
    const save = await prominence(dialog, 'Сохранить настройки')
    expect(await prominence(dialog, 'Отклонить все')).toEqual(save)
    expect(await prominence(dialog, 'Разрешить все')).toEqual(save)
    await dialog.getByRole('button', { name: 'Сохранить настройки' }).click()
    const [receipt] = await receiptsOf(page, 1)
    expect(receipt!.language).toBe('ru')
    await context.close()
  })

  it('takes the language and any text from the config over the page’s', async () => {
    const { context, page } = await visit(browser, site.url({ say: 'Файлы cookie на портале' }))
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en')
    const ru = page.getByRole('region', { name: 'Файлы cookie на портале' })
    await ru.waitFor()
    expect(await ru.getByRole('button', { name: 'Разрешить все' }).isVisible()).toBe(true)
    await context.close()
  })

  it('shows the GPC notice in Russian', async () => {
    const { context, page } = await visit(browser, site.url({ lang: 'ru' }), { gpc: true })
    await page.evaluate(() => window.ParleyConsent!.open())
    await expect
      .poll(() =>
        page.getByText('Сигнал об отказе (Opt-Out Preference Signal) соблюдён').isVisible(),
      )
      .toBe(true)
    await context.close()
  })
})

describe('accessibility', () => {
  it('the English preference center has no serious or critical axe violation', async () => {
    const { context, page } = await visit(browser, site.url())
    await page.evaluate(() => window.ParleyConsent!.open())
    await center(page).getByText('Services and cookies (5)').click()
    await look(page, 'center-en')
    await context.close()
  })
})

describe('a phone screen', () => {
  it('holds the banner and the preference center without scrolling sideways', async () => {
    const viewport = { width: 360, height: 640 }
    const { context, page } = await visit(browser, site.url({ lang: 'ru' }), { viewport })
    const ru = page.getByRole('region', { name: 'Мы используем файлы cookie' })
    await ru.waitFor()
    const wide = () => page.evaluate(() => document.documentElement.scrollWidth)
    expect(await wide()).toBeLessThanOrEqual(360)
    // Too narrow for one row: the two stack, each as large as the other.
    const [rejectTop, ...reject] = await prominence(ru, 'Отклонить все')
    const [allowTop, ...allow] = await prominence(ru, 'Разрешить все')
    expect(reject).toEqual(allow)
    expect(rejectTop).toBeLessThan(allowTop as number)
    await page.screenshot({ path: join(SHOTS, 'banner-phone-ru.png') })
    await ru.getByRole('button', { name: 'Настройки cookie' }).click()
    const dialog = page.getByRole('dialog', { name: 'Центр настроек конфиденциальности' })
    const box = await dialog.boundingBox()
    expect(box!.x).toBeGreaterThanOrEqual(0)
    expect(box!.x + box!.width).toBeLessThanOrEqual(360)
    expect(await dialog.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true)
    await context.close()
  })
})

describe('optional signals', () => {
  it('pushes Google Consent Mode v2 to dataLayer: denied by default, updated on the choice', async () => {
    const { context, page } = await visit(browser, site.url({ gcm: '1' }))
    await banner(page).waitFor()
    const layer = () =>
      page.evaluate(() => (window.dataLayer ?? []).map((a) => Array.from(a as ArrayLike<unknown>)))
    const denied = {
      ad_storage: 'denied',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
      analytics_storage: 'denied',
    }
    expect(await layer()).toEqual([['consent', 'default', denied]])
    await page.evaluate(() => window.ParleyConsent!.open())
    await center(page).getByRole('switch', { name: 'Performance' }).check()
    await center(page).getByRole('button', { name: 'Save Settings' }).click()
    expect(await layer()).toEqual([
      ['consent', 'default', denied],
      ['consent', 'update', { ...denied, analytics_storage: 'granted' }],
    ])
    await context.close()
  })

  it('calls the page’s gtag when it has one', async () => {
    const { context, page } = await visit(browser, site.url({ gcm: '1', gtag: '1' }))
    await banner(page).getByRole('button', { name: 'Allow All' }).click()
    const calls = await page.evaluate(
      () => (window as unknown as { gtagCalls: unknown[] }).gtagCalls,
    )
    expect(calls).toEqual([
      [
        'consent',
        'default',
        {
          ad_storage: 'denied',
          ad_user_data: 'denied',
          ad_personalization: 'denied',
          analytics_storage: 'denied',
        },
      ],
      [
        'consent',
        'update',
        {
          ad_storage: 'granted',
          ad_user_data: 'granted',
          ad_personalization: 'granted',
          analytics_storage: 'granted',
        },
      ],
    ])
    expect(await page.evaluate(() => window.dataLayer)).toBeUndefined()
    await context.close()
  })

  it('answers __uspapi with the US Privacy string, and neither signal without its flag', async () => {
    const { context, page } = await visit(browser, site.url({ usp: '1' }))
    const usp = () =>
      page.evaluate(
        () =>
          new Promise((resolve) =>
            window.__uspapi!('getUSPData', 1, (data, ok) => resolve([data?.uspString, ok])),
          ),
      )
    await banner(page).waitFor()
    expect(await usp()).toEqual(['1YYN', true])
    await banner(page).getByRole('button', { name: 'Allow All' }).click()
    expect(await usp()).toEqual(['1YNN', true])
    const plain = await context.newPage()
    await plain.goto(site.url())
    await plain.waitForFunction(() => window.ParleyConsent !== undefined)
    expect(await plain.evaluate(() => [typeof window.__uspapi, window.dataLayer])).toEqual([
      'undefined',
      undefined,
    ])
    await context.close()
  })
})
