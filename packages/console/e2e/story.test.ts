import { readFile } from 'node:fs/promises'
import { label } from '@parley/api'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { incidentNotice, WORKING_GROUP_POLICY } from '../../server/test/support/compartments.ts'
import { eventually, type TestNode } from '../../server/test/support/nodes.ts'
import { en } from '../src/i18n/en.ts'
import { ru } from '../src/i18n/ru.ts'
import { look, type Officer, page, signIn, twoNodeStory } from './support.ts'

// usa and rus on loopback. A peer going down and coming back is peer-banner.test.ts, on real
// node processes.
let browser: Browser
let usa: TestNode
let rus: TestNode
let close: () => Promise<void>
let people: Record<'alice' | 'ben' | 'carla' | 'irina' | 'oleg', Officer>

beforeAll(async () => {
  ;({ browser, usa, rus, people, close } = await twoNodeStory({
    alice: ['usa', ['drafter']],
    ben: ['usa', ['releaser']],
    carla: ['usa', ['admin']],
    irina: ['rus', ['drafter']],
    oleg: ['rus', ['admin']],
  }))
})

afterAll(async () => {
  await close?.()
})

/**
 * A channel of usa and rus whose messages a second usa officer must release, with Alice and
 * Ben on usa's access list and Irina on rus's, as the officers' own API calls set it up.
 */
async function workingGroup(title: string): Promise<string> {
  const { alice, carla, ben, oleg, irina } = people
  const policy = {
    ...WORKING_GROUP_POLICY,
    release: {
      ...WORKING_GROUP_POLICY.release,
      twoPersonRule: [...WORKING_GROUP_POLICY.release!.twoPersonRule, 'message.post'],
    },
  }
  const { channel } = await alice.client.api.openChannel({
    body: { title, members: ['usa', 'rus'], policy } as never,
  })
  await carla.client.api.grantAccess({ params: { channel: channel.id, officer: ben.client.id } })
  await eventually(async () =>
    (await oleg.client.api.listCompartments()).channels.some((c) => c.channel === channel.id),
  )
  await oleg.client.api.grantAccess({ params: { channel: channel.id, officer: irina.client.id } })
  await irina.client.api.joinChannel({ params: { channel: channel.id }, body: {} })
  return channel.id
}

const catalogs = { en, ru }

async function signedIn(node: TestNode, who: Officer, lang: 'en' | 'ru') {
  const opened = await page(browser, node.url, lang)
  await signIn(opened.tab, who.username, who.password, lang)
  await opened.tab.getByRole('heading', { name: catalogs[lang].inbox.title }).waitFor()
  return opened
}

async function openChannel(tab: Page, title: string) {
  await tab.getByRole('navigation').getByRole('link', { name: title }).click()
  await tab.getByRole('heading', { name: title, level: 1 }).waitFor()
}

for (const lang of ['en', 'ru'] as const) {
  const L = catalogs[lang]
  describe(`the two-node message story (${lang} UI)`, () => {
    it('a usa drafter writes, the guard marks a classification banner in place, a second usa officer releases, a rus officer sees it live with its flash banner, and usa sees the signed receipt', async () => {
      const title =
        lang === 'en' ? 'US–Russia ICT working group' : 'Рабочая группа США–Россия по ИКТ'
      const channel = await workingGroup(title)
      const shot = (name: string) => `story-${lang}-${name}`

      const irina = await signedIn(rus, people.irina, lang)
      await irina.tab.getByRole('link', { name: title }).first().waitFor()
      await look(irina.tab, shot('1-rus-inbox'))

      const alice = await signedIn(usa, people.alice, lang)
      await openChannel(alice.tab, title)
      const text = alice.tab.getByLabel(new RegExp(`^${L.compose.text}`))
      // Validation before anything is sent.
      await alice.tab.getByRole('button', { name: L.compose.send }).click()
      await alice.tab.getByRole('alert').filter({ hasText: L.compose.needText }).waitFor()
      await look(alice.tab, shot('2-usa-compose-invalid'))

      await text.fill('Scanning continues. Source marked SECRET//NOFORN in our notes.')
      await alice.tab.getByLabel(new RegExp(`^${label('field.tlp', lang)}`)).selectOption('amber')
      await alice.tab.getByRole('button', { name: L.compose.send }).click()
      const mark = alice.tab.locator('.guard mark')
      await mark.first().waitFor()
      expect(await mark.allTextContents()).toContain('SECRET//NOFORN')
      await look(alice.tab, shot('3-usa-guard-inline'))

      const message =
        lang === 'en'
          ? 'Scanning of election infrastructure continues from AS64500.'
          : 'Сканирование инфраструктуры выборов с AS64500 продолжается.'
      await text.fill(message)
      await alice.tab
        .getByLabel(new RegExp(`^${label('field.urgency', lang)}`))
        .selectOption('flash')
      await alice.tab.getByRole('button', { name: L.compose.send }).click()
      await alice.tab.getByRole('status').filter({ hasText: L.compose.held }).waitFor()

      const ben = await signedIn(usa, people.ben, lang)
      await ben.tab.getByRole('link', { name: L.nav.releases }).click()
      await ben.tab.getByText(message).waitFor()
      await look(ben.tab, shot('4-usa-release-queue'))
      await ben.tab.getByRole('button', { name: L.releases.approve }).click()
      await ben.tab.getByText(L.releases.empty).waitFor()

      // Irina's inbox never reloads: the stream brings the message, and the banner and tab say flash.
      const banner = irina.tab.locator('.banner-flash', { hasText: title })
      await banner.waitFor({ timeout: 15_000 })
      expect(await irina.tab.title()).toMatch(/FLASH|МОЛНИЯ/)
      await look(irina.tab, shot('5-rus-flash-banner'))
      await banner.getByRole('link').click()
      await irina.tab.getByText(message).waitFor()
      await banner.waitFor({ state: 'detached' })
      await look(irina.tab, shot('6-rus-channel'))

      // Alice sees her message delivered to rus, with the signed receipt's time.
      await alice.tab.getByText(message).waitFor()
      const proof = alice.tab.locator('article', { hasText: message }).locator('.proof')
      await proof.locator('.step-delivered').waitFor({ timeout: 15_000 })
      expect(await proof.textContent()).toContain(L.proof.receipt)
      await look(alice.tab, shot('7-usa-delivered'))

      // Verify the channel's transcript in Alice's browser.
      await alice.tab.getByRole('link', { name: L.channel.verify }).click()
      await alice.tab.getByRole('button', { name: L.verify.run }).click()
      const result = alice.tab.locator('.result-ok')
      await result.waitFor({ timeout: 20_000 })
      expect(await result.textContent()).toMatch(/3/)
      await look(alice.tab, shot('8-usa-verified'))

      // An incident notice (composed and released through the API) downloads as STIX 2.1.
      const notice = await people.alice.client.api.compose({
        params: { channel },
        body: {
          type: 'notice.open',
          body: incidentNotice({ kind: 'incident', sectors: ['election-infrastructure'] }),
        } as never,
      })
      if (!('release' in notice)) throw new Error('expected the notice to wait for release')
      await people.ben.client.api.approveRelease({ params: { release: notice.release.id } })
      await alice.tab.getByRole('link', { name: L.verify.back }).click()
      const stix = alice.tab.getByRole('button', { name: L.item.stix })
      await stix.waitFor({ timeout: 15_000 })
      const [download] = await Promise.all([alice.tab.waitForEvent('download'), stix.click()])
      const bundle = JSON.parse(await readFile((await download.path())!, 'utf8'))
      expect(bundle.type).toBe('bundle')
      expect(bundle.objects.some((o: { type: string }) => o.type === 'incident')).toBe(true)

      const carla = await signedIn(usa, people.carla, lang)
      for (const [link, name] of [
        [L.nav.admin, 'admin-officers'],
        [L.admin.compartments, 'admin-compartments'],
        [L.admin.peers, 'admin-peers'],
        [L.admin.audit, 'admin-audit'],
        [L.nav.notices, 'notices-unavailable'],
        [L.nav.redlines, 'redlines'],
        [L.nav.directory, 'directory'],
        [L.nav.drafts, 'drafts'],
      ] as const) {
        // Each shot and axe run must be of the page the link opens, not of the one before it.
        const target = carla.tab.getByRole('link', { name: link, exact: true })
        const href = await target.getAttribute('href')
        await target.click()
        await carla.tab.waitForURL((url) => url.pathname === href)
        await carla.tab.waitForLoadState('networkidle')
        await look(carla.tab, shot(`9-${name}`))
      }
      // Red lines and drafts are real views now: only notices still wait for their API.
      await carla.tab.getByRole('heading', { name: L.nav.drafts, level: 1 }).waitFor()
      expect(await carla.tab.getByText(L.unavailable.text).count()).toBe(0)
      expect(channel).toMatch(/^ch_/)
      for (const opened of [irina, alice, ben, carla]) {
        expect(opened.errors).toEqual([])
        await opened.context.close()
      }
    }, 180_000)
  })
}
