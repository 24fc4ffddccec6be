import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, type TestNode } from '../../server/test/support/nodes.ts'
import { en } from '../src/i18n/en.ts'
import { ru } from '../src/i18n/ru.ts'
import { look, type Officer, page, signIn, twoNodeStory } from './support.ts'

let browser: Browser
let usa: TestNode
let rus: TestNode
let close: () => Promise<void>
let people: Record<'alice' | 'ben' | 'carla' | 'irina' | 'oleg' | 'roman', Officer>

beforeAll(async () => {
  ;({ browser, usa, rus, people, close } = await twoNodeStory({
    alice: ['usa', ['drafter']],
    irina: ['rus', ['drafter']],
    oleg: ['rus', ['admin']],
    ben: ['usa', ['releaser']],
    carla: ['usa', ['admin']],
    roman: ['rus', ['releaser']],
  }))
})

afterAll(async () => {
  await close?.()
})

const catalogs = { en, ru }

/** A usa–rus channel both have joined, and a draft of two paragraphs that usa wrote. */
async function negotiation(title: string) {
  const { alice, ben, carla, irina, oleg, roman } = people
  const { channel } = await alice.client.api.openChannel({
    body: { title, members: ['usa', 'rus'] } as never,
  })
  await eventually(async () =>
    (await oleg.client.api.listCompartments()).channels.some((c) => c.channel === channel.id),
  )
  await oleg.client.api.grantAccess({ params: { channel: channel.id, officer: irina.client.id } })
  await oleg.client.api.grantAccess({ params: { channel: channel.id, officer: roman.client.id } })
  await carla.client.api.grantAccess({ params: { channel: channel.id, officer: ben.client.id } })
  await irina.client.api.joinChannel({ params: { channel: channel.id }, body: {} })
  // A red line of usa's, released by Ben as the release floor requires, for the board.
  const held = await alice.client.api.compose({
    params: { channel: channel.id },
    body: {
      type: 'redline.declare',
      body: {
        title: 'Election infrastructure',
        text: 'Any intrusion into election infrastructure is treated as a hostile act.',
        threshold: 'Any confirmed access to a tabulation system',
        sectors: ['communications', 'government-facilities'],
        tlp: 'green',
        lang: 'en',
      },
    } as never,
  })
  await ben.client.api.approveRelease({
    params: { release: (held as { release: { id: string } }).release.id },
  })
  const created = await alice.client.api.compose({
    params: { channel: channel.id },
    body: {
      type: 'draft.create',
      body: {
        title: `${title}: joint statement`,
        lang: 'en',
        paragraphs: [
          { id: 'p1', alternatives: [{ id: 'p1.a', text: 'The Parties affirm the norms.' }] },
          { id: 'p2', alternatives: [{ id: 'p2.a', text: 'The Parties shall refrain from it.' }] },
        ],
      },
    } as never,
  })
  const draft = (created as { event: { id: string } }).event.id
  // rus must hold the draft before its officer can work on it.
  await eventually(
    async () =>
      (await irina.client.api.listDrafts({ params: { channel: channel.id } })).drafts.length > 0,
  )
  return { channel: channel.id, draft, draftTitle: `${title}: joint statement` }
}

async function signedIn(node: TestNode, who: Officer, lang: 'en' | 'ru') {
  const opened = await page(browser, node.url, lang)
  await signIn(opened.tab, who.username, who.password, lang)
  await opened.tab.getByRole('heading', { name: catalogs[lang].inbox.title }).waitFor()
  return opened
}

async function openDraft(tab: Page, lang: 'en' | 'ru', draftTitle: string) {
  const L = catalogs[lang]
  await tab.getByRole('navigation').getByRole('link', { name: L.nav.drafts, exact: true }).click()
  await tab.getByRole('link', { name: draftTitle }).click()
  await tab.getByRole('heading', { name: draftTitle, level: 1 }).waitFor()
}

for (const lang of ['en', 'ru'] as const) {
  const L = catalogs[lang]
  describe(`a drafting round to the adopted agreement (${lang} UI)`, () => {
    it('rus proposes a wording, both accept, both adopt, and usa verifies the agreement in its browser', async () => {
      const title = lang === 'en' ? 'Norms consultation' : 'Консультации по нормам'
      const { channel, draftTitle } = await negotiation(title)
      const shot = (name: string) => `drafting-${lang}-${name}`
      const wording = 'The Parties undertake not to do it.'

      const irina = await signedIn(rus, people.irina, lang)
      await openDraft(irina.tab, lang, draftTitle)
      await look(irina.tab, shot('1-rus-draft'))
      const p2 = irina.tab.getByRole('region', {
        name: new RegExp(`^${L.drafts.paragraph.replace('{{num}}', '2')}`),
      })
      await p2.getByLabel(L.drafts.alternative).fill(wording)
      await p2.getByRole('button', { name: L.drafts.propose }).click()
      await irina.tab.getByRole('status').filter({ hasText: L.drafts.proposed }).waitFor()
      await p2.getByText(wording).waitFor()
      // Accept the first paragraph as it stands, and her own wording of the second.
      await irina.tab.getByRole('button', { name: /The Parties affirm/ }).click()
      await irina.tab.getByRole('button', { name: new RegExp(wording.slice(0, 20)) }).click()
      await p2.getByText(L.drafts.acceptedBy.replace('{{parties}}', 'RUS')).waitFor()

      const alice = await signedIn(usa, people.alice, lang)
      await openDraft(alice.tab, lang, draftTitle)
      const aliceP2 = alice.tab.getByRole('region', {
        name: new RegExp(`^${L.drafts.paragraph.replace('{{num}}', '2')}`),
      })
      await aliceP2.getByText(wording).waitFor({ timeout: 15_000 })
      await aliceP2.getByRole('button', { name: L.drafts.compare }).click()
      await aliceP2.locator('table.compare ins').first().waitFor()
      await look(alice.tab, shot('2-usa-compare'))
      await alice.tab.getByRole('button', { name: /The Parties affirm/ }).click()
      await alice.tab.getByRole('button', { name: new RegExp(wording.slice(0, 20)) }).click()
      // Every paragraph agreed: the text has its hash, and usa adopts it.
      const adopt = alice.tab.getByRole('button', { name: L.drafts.adopt })
      await adopt.waitFor({ timeout: 15_000 })
      await look(alice.tab, shot('3-usa-agreed'))
      await adopt.click()
      await alice.tab.getByRole('status').filter({ hasText: L.compose.held }).waitFor()

      const irinaAdopt = irina.tab.getByRole('button', { name: L.drafts.adopt })
      await irinaAdopt.waitFor({ timeout: 15_000 })
      await irinaAdopt.click()
      await irina.tab.getByRole('status').filter({ hasText: L.compose.held }).waitFor()
      // An adoption waits for each party's releaser, as the node's release floor requires.
      for (const releaser of [people.ben, people.roman]) {
        await eventually(async () => {
          const { releases } = await releaser.client.api.listReleases({
            query: { channel, status: 'pending' },
          })
          const [pending] = releases
          if (pending === undefined) return false
          await releaser.client.api.approveRelease({ params: { release: pending.id } })
          return true
        })
      }

      // Both adopted: usa shows the agreement and checks it with the protocol's verifier.
      const verify = alice.tab.getByRole('button', { name: L.drafts.verify })
      await verify.waitFor({ timeout: 15_000 })
      await verify.click()
      const verdict = alice.tab.locator('.result-ok')
      await verdict.waitFor()
      expect(await verdict.textContent()).toContain('USA')
      expect(await verdict.textContent()).toContain('RUS')
      await look(alice.tab, shot('4-usa-agreement-verified'))

      await irina.tab.getByRole('button', { name: L.drafts.verify }).waitFor({ timeout: 15_000 })
      await irina.tab.getByRole('button', { name: L.drafts.verify }).click()
      await irina.tab.locator('.result-ok').waitFor()
      await look(irina.tab, shot('5-rus-agreement-verified'))

      // The other negotiation pages, looked at in this language.
      await irina.tab
        .getByRole('navigation')
        .getByRole('link', { name: L.nav.redlines, exact: true })
        .click()
      await irina.tab.getByRole('heading', { name: title, level: 2 }).waitFor()
      await irina.tab.getByText('Election infrastructure').first().waitFor({ timeout: 15_000 })
      expect(
        await irina.tab
          .getByText(
            lang === 'en'
              ? 'Government Services and Facilities'
              : 'Государственные службы и объекты',
            { exact: false },
          )
          .count(),
      ).toBeGreaterThan(0)
      await look(irina.tab, shot('6-rus-redlines'))
      await irina.tab
        .getByRole('navigation')
        .getByRole('link', { name: L.nav.drafts, exact: true })
        .click()
      await irina.tab.getByRole('link', { name: draftTitle }).waitFor()
      await look(irina.tab, shot('7-rus-drafts'))
      await irina.tab.getByRole('navigation').getByRole('link', { name: title }).click()
      await irina.tab.getByRole('link', { name: L.forwards.link }).click()
      await irina.tab.getByText(L.forwards.none).waitFor()
      await look(irina.tab, shot('8-rus-forwards'))
      for (const opened of [irina, alice]) {
        expect(opened.errors).toEqual([])
        await opened.context.close()
      }
    }, 180_000)
  })
}
