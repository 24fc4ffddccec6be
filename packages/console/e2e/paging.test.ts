import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestNode } from '../../server/test/support/nodes.ts'
import { en } from '../src/i18n/en.ts'
import { ru } from '../src/i18n/ru.ts'
import { launch, look, type Officer, officer, PASSWORD, page, signIn, twoNodes } from './support.ts'

// More events than two of the console's pages (200 each): the first is only reached by paging.
const MESSAGES = 430

let browser: Browser
let usa: TestNode
let close: () => Promise<void>
let alice: Officer
let ben: Officer
let channel: string
const title = 'Long history'

beforeAll(async () => {
  browser = await launch()
  const started = await twoNodes()
  ;[usa] = started.nodes as [TestNode, TestNode]
  close = started.close
  alice = await officer(usa, 'alice', ['drafter'])
  await alice.client.login()
  ben = await officer(usa, 'ben', ['drafter'])
  const carla = await officer(usa, 'carla', ['admin'])
  await ben.client.login()
  await carla.client.login()
  const opened = await alice.client.api.openChannel({
    body: { title, members: ['usa', 'rus'] } as never,
  })
  channel = opened.channel.id
  await carla.client.api.grantAccess({ params: { channel, officer: ben.client.id } })
  const messages = Array.from({ length: MESSAGES }, (_, i) => ({
    text: `History item ${i + 1} of ${MESSAGES}`,
    lang: 'en',
    tlp: 'green',
    urgency: 'routine',
  }))
  await alice.client.api.postMessages({ params: { channel }, body: { messages } as never })
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await close?.()
})

const catalogs = { en, ru }

describe('the timeline reads older pages as it scrolls up', () => {
  for (const lang of ['en', 'ru'] as const) {
    it(`opens at the newest item and reaches the channel's first event by scrolling (${lang} UI)`, async () => {
      const L = catalogs[lang]
      const { tab, errors } = await page(browser, usa.url, lang)
      await signIn(tab, alice.username, alice.password, lang)
      await tab.getByRole('heading', { name: L.inbox.title }).waitFor()
      await tab.getByRole('navigation').getByRole('link', { name: title }).click()
      await tab.getByText(`History item ${MESSAGES} of ${MESSAGES}`).waitFor()
      // Only the newest page is read at first.
      expect(await tab.getByText('History item 1 of', { exact: false }).count()).toBe(0)
      await look(tab, `paging-${lang}-1-newest`)

      const timeline = tab.getByRole('region', { name: L.channel.timeline })
      for (let round = 0; round < 300; round++) {
        const atTop = await timeline.evaluate((element) => element.scrollTop === 0)
        if (atTop && (await tab.getByText(L.channel.start).count()) > 0) break
        // The item at the top must stay in view when an older page is put above it.
        const top = await timeline.evaluate((element) => {
          const box = element.getBoundingClientRect()
          const first = [...element.querySelectorAll('article')].find(
            (a) => a.getBoundingClientRect().bottom > box.top + 1,
          )
          return first === undefined
            ? null
            : { id: first.id, y: first.getBoundingClientRect().top - box.top }
        })
        const step = await timeline.evaluate((element) => {
          const from = element.scrollTop
          element.scrollTop = Math.max(0, from - 1000)
          return from - element.scrollTop
        })
        await tab.waitForTimeout(80)
        if (top !== null) {
          const moved = await timeline.evaluate((element, id) => {
            const item = element.ownerDocument.getElementById(id)
            if (item === null) return null
            return item.getBoundingClientRect().top - element.getBoundingClientRect().top
          }, top.id)
          // Scrolled up by `step`: the same item is now lower by that, wherever a page was put above it.
          if (moved !== null) expect(Math.abs(moved - top.y - step)).toBeLessThan(200)
        }
      }
      await tab.getByText(`History item 1 of ${MESSAGES}`).waitFor()
      await tab.getByText(L.channel.start).waitFor()
      await look(tab, `paging-${lang}-2-first-event`)
      expect(errors).toEqual([])
      await tab.context().close()
    }, 120_000)
  }
})

describe('read markers are kept on the node', () => {
  it('a channel read in one browser is read in the officer’s other browser too', async () => {
    const first = await page(browser, usa.url, 'en')
    const second = await page(browser, usa.url, 'ru')
    await signIn(first.tab, ben.username, ben.password, 'en')
    await signIn(second.tab, ben.username, ben.password, 'ru')
    // Every event of the channel is new to Ben, in both browsers.
    const count = (tab: typeof first.tab) =>
      tab.getByRole('row', { name: new RegExp(title) }).locator('.count')
    await count(first.tab).waitFor()
    expect(await count(first.tab).textContent()).toMatch(/^431 new$/)
    await count(second.tab).waitFor()
    expect(await count(second.tab).textContent()).toMatch(/^431 новое$/)
    await look(second.tab, 'read-markers-ru-1-unread')

    await first.tab.getByRole('navigation').getByRole('link', { name: title }).click()
    await first.tab.getByText(`History item ${MESSAGES} of ${MESSAGES}`).waitFor()
    await first.tab.getByRole('navigation').getByRole('link', { name: en.nav.inbox }).click()
    await first.tab.getByRole('heading', { name: en.inbox.title }).waitFor()
    await count(first.tab).waitFor({ state: 'detached' })
    await look(first.tab, 'read-markers-en-2-read')

    // The other browser never opened the channel; it reads the marker from the node.
    await second.tab.reload()
    await second.tab.getByRole('heading', { name: ru.inbox.title }).waitFor()
    await second.tab.getByRole('row', { name: new RegExp(title) }).waitFor()
    expect(await count(second.tab).count()).toBe(0)
    await look(second.tab, 'read-markers-ru-3-read-elsewhere')
    expect([...first.errors, ...second.errors]).toEqual([])
  }, 120_000)
})

describe('the admin’s officer list reads more officers as the admin asks', () => {
  it('shows the first page of officers by username, and every officer after “More officers”', async () => {
    // 101 more than the node's own officers: more than a page (the node's default 100).
    const extra = Array.from({ length: 101 }, (_, i) => `zz${String(i).padStart(3, '0')}`)
    for (const name of extra) await officer(usa, name, ['viewer'])
    const { tab, errors } = await page(browser, usa.url, 'en')
    await signIn(tab, 'carla', PASSWORD, 'en')
    await tab
      .getByRole('navigation', { name: en.nav.label })
      .getByRole('link', { name: en.nav.admin })
      .click()
    const officers = tab.getByRole('table', { name: en.admin.officers })
    const usernames = officers.locator('tbody tr td.mono')
    const more = tab.getByRole('button', { name: en.admin.moreOfficers })
    await more.waitFor()
    // The node's own list of its party's officers, in the order of its pages: by username.
    const all = (
      await usa.app.db
        .selectFrom('officers')
        .select('username')
        .where('party', '=', 'usa')
        .orderBy('username')
        .execute()
    ).map((row) => row.username)
    expect(all.length).toBeGreaterThan(100)
    expect(await usernames.allTextContents()).toEqual(all.slice(0, 100))
    await more.click()
    await officers.getByText(all.at(-1)!, { exact: true }).waitFor()
    expect(await usernames.allTextContents()).toEqual(all)
    await more.waitFor({ state: 'detached' })
    await look(tab, 'paging-en-3-more-officers')
    expect(errors).toEqual([])
    await tab.context().close()
  }, 120_000)
})
