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
    ben: ['usa', ['releaser']],
    carla: ['usa', ['admin']],
    irina: ['rus', ['drafter']],
    oleg: ['rus', ['admin']],
    roman: ['rus', ['releaser']],
  }))
})

afterAll(async () => {
  await close?.()
})

const catalogs = { en, ru }

/** Composes an item through the officer API and waits until a releaser of its party sent it. */
async function released(
  author: Officer,
  releaser: Officer,
  channel: string,
  type: string,
  body: object,
) {
  const held = await author.client.api.compose({
    params: { channel },
    body: { type, body } as never,
  })
  if (!('release' in held)) return (held as { event: { id: string } }).event.id
  const sent = await releaser.client.api.approveRelease({ params: { release: held.release.id } })
  return (sent as { event: { id: string } }).event.id
}

/** A usa–rus channel, joined by rus, with Alice and Ben on usa's list and Irina on rus's. */
async function channelOf(title: string): Promise<string> {
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
  return channel.id
}

/**
 * A negotiation already at its end, as the officers' API calls make it: a released usa red line,
 * a TLP:RED one, and a draft of two paragraphs accepted and adopted by both parties.
 */
async function adoptedAgreement(title: string) {
  const { alice, ben, irina, roman } = people
  const channel = await channelOf(title)
  const redline = (tlp: string, name: string, text: string) => ({
    title: name,
    text,
    threshold: 'Any confirmed access to a tabulation system',
    sectors: ['government-facilities'],
    tlp,
    lang: 'en',
  })
  await released(
    alice,
    ben,
    channel,
    'redline.declare',
    redline('green', 'Election infrastructure', 'Any intrusion into tabulation is a hostile act.'),
  )
  await released(
    alice,
    ben,
    channel,
    'redline.declare',
    redline('red', 'Sources and methods', 'Our sources are never named.'),
  )
  const draft = await released(alice, ben, channel, 'draft.create', {
    title: `${title}: joint statement`,
    lang: 'en',
    paragraphs: [
      { id: 'p1', alternatives: [{ id: 'p1.a', text: 'The Parties affirm the norms.' }] },
      { id: 'p2', alternatives: [{ id: 'p2.a', text: 'The Parties shall refrain from it.' }] },
    ],
  })
  await eventually(
    async () => (await irina.client.api.listDrafts({ params: { channel } })).drafts.length > 0,
  )
  const choices = [
    { paragraph: 'p1', alternative: 'p1.a' },
    { paragraph: 'p2', alternative: 'p2.a' },
  ]
  for (const [who, releaser] of [
    [alice, ben],
    [irina, roman],
  ] as const) {
    await released(who, releaser, channel, 'draft.accept', { draft, choices, version: 1 })
  }
  const hash = await eventually(async () => {
    const state = await alice.client.api.getDraft({ params: { channel, draft } })
    return state.contentHash ?? false
  })
  for (const [who, releaser] of [
    [alice, ben],
    [irina, roman],
  ] as const) {
    await eventually(
      async () =>
        (await who.client.api.getDraft({ params: { channel, draft } })).contentHash === hash,
    )
    await released(who, releaser, channel, 'draft.adopt', { draft, contentHash: hash, version: 1 })
  }
  for (const who of [alice, irina]) {
    await eventually(
      async () =>
        (await who.client.api.getDraft({ params: { channel, draft } })).adopted.length > 0,
    )
  }
  return { channel, draft, draftTitle: `${title}: joint statement` }
}

/** Approves, as the releaser, whatever of the channel waits for release. */
async function releasePending(releaser: Officer, channel: string) {
  await eventually(async () => {
    const { releases: pending } = await releaser.client.api.listReleases({
      query: { channel, status: 'pending' },
    })
    for (const item of pending) {
      await releaser.client.api.approveRelease({ params: { release: item.id } })
    }
    return pending.length > 0
  })
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

const fill = (template: string, values: Record<string, string>) =>
  template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? '')

for (const lang of ['en', 'ru'] as const) {
  const L = catalogs[lang]
  describe(`compliance reports and forwards (${lang} UI)`, () => {
    it('rus files a compliance report on the adopted agreement, usa answers it, and the thread shows answered', async () => {
      const title = lang === 'en' ? 'Norms review' : 'Обзор норм'
      const { channel, draftTitle } = await adoptedAgreement(title)
      const shot = (name: string) => `compliance-${lang}-${name}`

      const irina = await signedIn(rus, people.irina, lang)
      await openDraft(irina.tab, lang, draftTitle)
      const reports = irina.tab.getByRole('region', { name: L.drafts.compliance })
      await reports.getByText(L.drafts.complianceNone).waitFor()
      // Checked before anything is signed: a paragraph and an assessment are needed.
      await reports.getByRole('button', { name: L.reportForm.submit }).click()
      const alert = reports.getByRole('alert')
      await alert.filter({ hasText: L.reportForm.needParagraph }).waitFor()
      expect(await alert.textContent()).toContain(L.reportForm.needAssessment)
      await look(irina.tab, shot('1-rus-invalid'))

      const paragraph = reports.getByLabel(L.reportForm.paragraph)
      await paragraph.selectOption('p2')
      await reports.getByLabel(L.reportForm.assessment).selectOption('non-compliant')
      await reports
        .getByLabel(L.reportForm.text)
        .fill('Scanning from AS64500 continued on 3 December.')
      await reports.getByRole('button', { name: L.reportForm.submit }).click()
      // The release floor holds every compliance report for a second officer of the party.
      await reports.getByRole('status').filter({ hasText: L.compose.held }).waitFor()
      await releasePending(people.roman, channel)
      const thread = reports.locator('.compliance-thread')
      await thread.waitFor({ timeout: 15_000 })
      expect(await thread.locator('.thread-open').textContent()).toBe(L.drafts.thread.open)
      expect(await thread.locator('.assessment-non-compliant').textContent()).toBe(
        L.drafts.assessment['non-compliant'],
      )
      // Shown in UTC, in the UI language's notation.
      expect(await thread.locator('time').first().textContent()).toMatch(
        lang === 'ru' ? /^\d\d\.\d\d\.\d{4} \d\d:\d\d UTC$/ : /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
      )
      await look(irina.tab, shot('2-rus-report-filed'))

      const alice = await signedIn(usa, people.alice, lang)
      await openDraft(alice.tab, lang, draftTitle)
      const usaReports = alice.tab.getByRole('region', { name: L.drafts.compliance })
      await usaReports.locator('.compliance-thread').waitFor({ timeout: 15_000 })
      await usaReports
        .getByRole('button', { name: fill(L.reportForm.replyLabel, { party: 'RUS' }) })
        .click()
      await usaReports.getByRole('heading', { name: L.reportForm.answering }).waitFor()
      expect(await usaReports.getByLabel(L.reportForm.paragraph).inputValue()).toBe('p2')
      await usaReports.getByLabel(L.reportForm.assessment).selectOption('compliant')
      await usaReports.getByLabel(L.reportForm.text).fill('That traffic was a research scanner.')
      await usaReports.getByRole('button', { name: L.reportForm.submit }).click()
      await usaReports.getByRole('status').filter({ hasText: L.compose.held }).waitFor()
      await releasePending(people.ben, channel)

      // Irina's page never reloads: the thread turns answered, with usa's assessment last.
      await thread.locator('.thread-answered').waitFor({ timeout: 15_000 })
      expect(await thread.locator('.assessment-compliant').first().textContent()).toBe(
        L.drafts.assessment.compliant,
      )
      expect(await thread.locator('ol > li').count()).toBe(2)
      await look(irina.tab, shot('3-rus-answered'))
      for (const opened of [irina, alice]) {
        expect(opened.errors).toEqual([])
        await opened.context.close()
      }
    }, 180_000)

    it('usa forwards a red line and the adopted agreement into another channel, and rus sees each original verified with its provenance', async () => {
      const title = lang === 'en' ? 'Election security talks' : 'Переговоры о безопасности выборов'
      const target = lang === 'en' ? 'Ministers’ channel' : 'Канал министров'
      const { channel, draftTitle } = await adoptedAgreement(title)
      const into = await channelOf(target)
      const shot = (name: string) => `forward-${lang}-${name}`

      const alice = await signedIn(usa, people.alice, lang)
      await alice.tab
        .getByRole('navigation')
        .getByRole('link', { name: L.nav.redlines, exact: true })
        .click()
      const board = alice.tab.getByRole('region', { name: title })
      await board.getByText('Election infrastructure', { exact: true }).waitFor({ timeout: 15_000 })

      // The board's "since" is typed in the UI language's notation, in UTC; no such day is refused.
      const since = alice.tab.getByLabel(L.redlines.since)
      await since.fill(lang === 'ru' ? '31.02.2026' : '2026-02-31')
      await since.blur()
      await alice.tab.getByRole('alert').filter({ hasText: L.dateInput.refusal.date }).waitFor()
      expect(await since.getAttribute('aria-invalid')).toBe('true')
      const today = new Date().toISOString().slice(0, 10)
      const [year, month, day] = today.split('-')
      await since.fill(lang === 'ru' ? `${day}.${month}.${year}` : today)
      expect(await since.getAttribute('aria-invalid')).toBe('false')
      expect(await since.getAttribute('title')).toContain(L.time.local.replace(' {{time}}', ''))
      await board.getByText(L.redlines.changes, { exact: true }).waitFor()
      await look(alice.tab, shot('0-usa-board-since'))

      // A TLP:RED red line is refused before anything is sent.
      const red = board.locator('li.redline', { hasText: 'Sources and methods' })
      await red
        .getByRole('button', { name: fill(L.forward.openLabel, { what: 'Sources and methods' }) })
        .click()
      await red.getByLabel(L.forward.to).selectOption({ label: target })
      await red.getByRole('button', { name: L.forward.submit, exact: true }).click()
      await red
        .getByRole('alert')
        .filter({ hasText: fill(L.forward.marked, { tlp: 'RED' }) })
        .waitFor()

      const green = board.locator('li.redline', { hasText: 'Election infrastructure' })
      await green
        .getByRole('button', {
          name: fill(L.forward.openLabel, { what: 'Election infrastructure' }),
        })
        .click()
      await green.getByRole('button', { name: L.forward.submit, exact: true }).click()
      await green.getByRole('alert').filter({ hasText: L.forward.needChannel }).waitFor()
      await look(alice.tab, shot('1-usa-forward-invalid'))
      await green.getByLabel(L.forward.to).selectOption({ label: target })
      await green.getByLabel(L.forward.note).fill('For the ministers’ meeting.')
      await green.getByRole('button', { name: L.forward.submit, exact: true }).click()
      await green.getByRole('status').filter({ hasText: L.compose.held }).waitFor()
      await look(alice.tab, shot('2-usa-forward-held'))
      await releasePending(people.ben, into)

      await openDraft(alice.tab, lang, draftTitle)
      const agreement = alice.tab.getByRole('region', { name: L.forward.agreement })
      await agreement
        .getByRole('button', { name: fill(L.forward.openLabel, { what: draftTitle }) })
        .click()
      await agreement.getByLabel(L.forward.to).selectOption({ label: target })
      await agreement.getByRole('button', { name: L.forward.submit, exact: true }).click()
      await agreement.getByRole('status').filter({ hasText: L.compose.held }).waitFor()
      await releasePending(people.ben, into)

      // On rus, the target channel lists each original with where it came from.
      const irina = await signedIn(rus, people.irina, lang)
      await irina.tab.getByRole('navigation').getByRole('link', { name: target }).click()
      await irina.tab.getByRole('heading', { name: target, level: 1 }).waitFor()
      await irina.tab.getByRole('link', { name: L.forwards.link }).click()
      const items = irina.tab.locator('li.forwarded')
      // The red line, then the agreement: its draft and both parties' signed adoptions.
      await eventually(async () => (await items.count()) === 4, 20_000, 'four forwarded originals')
      const verified = irina.tab.getByText(L.forwards.sig.verified)
      expect(await verified.count()).toBe(4)
      const redline = items.filter({ hasText: 'Election infrastructure' })
      expect(await redline.locator('.provenance').textContent()).toContain(
        fill(L.forwards.origin, { party: 'USA' }),
      )
      expect(await redline.locator('.provenance').getByRole('link').textContent()).toBe(title)
      expect(await items.filter({ hasText: 'RUS' }).count()).toBeGreaterThan(0)
      await look(irina.tab, shot('3-rus-forwarded'))
      expect(channel).not.toBe(into)
      for (const opened of [irina, alice]) {
        expect(opened.errors).toEqual([])
        await opened.context.close()
      }
    }, 180_000)
  })
}
