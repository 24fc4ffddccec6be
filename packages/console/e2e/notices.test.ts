import { label } from '@parley/api'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { incidentNotice, WORKING_GROUP_POLICY } from '../../server/test/support/compartments.ts'
import { eventually, type TestNode } from '../../server/test/support/nodes.ts'
import { en } from '../src/i18n/en.ts'
import { ru } from '../src/i18n/ru.ts'
import { look, type Officer, page, signIn, twoNodeStory } from './support.ts'

// The notices story on usa and rus (loopback, real clocks): a usa drafter writes an incident
// notice from the template, a second usa officer releases it, a rus officer sees it live and
// acknowledges it, and usa sees it acknowledged in time with the proof. Then the roster,
// escalation and ping-test pages with real data, in English and Russian.
let browser: Browser
let usa: TestNode
let rus: TestNode
let close: () => Promise<void>
let people: Record<'alice' | 'ben' | 'carla' | 'irina' | 'oleg', Officer>
let channel: string
const TITLE = 'US–Russia crisis line'
const OWN = 'Scanning of election infrastructure from AS64500'
const catalogs = { en, ru }

beforeAll(async () => {
  ;({ browser, usa, rus, people, close } = await twoNodeStory({
    alice: ['usa', ['drafter']],
    ben: ['usa', ['releaser']],
    carla: ['usa', ['admin']],
    irina: ['rus', ['drafter']],
    oleg: ['rus', ['admin']],
  }))
  const { alice, ben, carla, irina, oleg } = people
  const opened = await alice.client.api.openChannel({
    body: { title: TITLE, members: ['usa', 'rus'], policy: WORKING_GROUP_POLICY } as never,
  })
  channel = opened.channel.id
  await carla.client.api.grantAccess({ params: { channel, officer: ben.client.id } })
  await eventually(async () =>
    (await oleg.client.api.listCompartments()).channels.some((c) => c.channel === channel),
  )
  await oleg.client.api.grantAccess({ params: { channel, officer: irina.client.id } })
  await irina.client.api.joinChannel({ params: { channel }, body: {} })
  await eventually(async () =>
    (await alice.client.api.getChannel({ params: { channel } })).members.every((m) => m.joined),
  )
})

afterAll(async () => {
  await close?.()
})

async function signedIn(node: TestNode, who: Officer, lang: 'en' | 'ru' = 'en') {
  const opened = await page(browser, node.url, lang)
  await signIn(opened.tab, who.username, who.password, lang)
  await opened.tab.getByRole('heading', { name: catalogs[lang].inbox.title }).waitFor()
  return opened
}

async function go(tab: Page, link: string) {
  const target = tab.getByRole('navigation').getByRole('link', { name: link, exact: true })
  const href = await target.getAttribute('href')
  await target.click()
  await tab.waitForURL((url) => url.pathname === href)
}

const field = (tab: Page, key: Parameters<typeof label>[0]) =>
  tab.getByLabel(new RegExp(`^${label(key, 'en').replace(/[()]/g, '\\$&')}`))

describe('notices in the console', () => {
  it('a usa drafter writes an incident notice from the template, a second usa officer releases it, a rus officer sees it live and acknowledges it, and usa sees it acknowledged before the deadline with the proof', async () => {
    const L = en
    const subject = 'Wiper malware on a grid operator'
    const irina = await signedIn(rus, people.irina)
    await go(irina.tab, L.nav.notices)
    await irina.tab.getByText(L.notices.empty).waitFor()

    const alice = await signedIn(usa, people.alice)
    await go(alice.tab, L.nav.notices)
    await alice.tab.getByRole('link', { name: L.notices.new }).click()
    await alice.tab.getByRole('heading', { name: L.noticeForm.title, level: 1 }).waitFor()
    // Checked before anything is sent: an incident needs its severity, sectors and activity.
    await alice.tab.getByRole('button', { name: L.noticeForm.send }).click()
    const problems = alice.tab.getByRole('alert').first()
    await problems.waitFor()
    for (const text of [
      L.noticeForm.needChannel,
      L.noticeForm.needSubject,
      L.noticeForm.needTlp,
      L.noticeForm.need.severity,
      L.noticeForm.need.sectors,
      L.noticeForm.need.observedActivity,
    ]) {
      expect(await problems.textContent()).toContain(text)
    }
    await look(alice.tab, 'notices-1-usa-form-invalid')

    await alice.tab
      .getByLabel(new RegExp(`^${L.noticeForm.channel}`))
      .selectOption({ label: TITLE })
    await field(alice.tab, 'field.tlp').selectOption('amber')
    await field(alice.tab, 'field.subject').fill(subject)
    await field(alice.tab, 'field.severity').selectOption('4')
    await alice.tab.getByRole('checkbox', { name: 'Energy' }).check()
    await alice.tab.getByRole('checkbox', { name: 'Election Infrastructure' }).check()
    await field(alice.tab, 'field.observedActivity.description').fill(
      'Destructive malware on the SCADA network of a regional grid operator since 02:10 UTC.',
    )
    await field(alice.tab, 'field.requestedAction').fill(
      'Identify and stop traffic from AS64500 towards the operator.',
    )
    await alice.tab.getByRole('button', { name: L.noticeForm.addIndicator }).click()
    await field(alice.tab, 'field.indicators.value').fill('AS64500')
    await field(alice.tab, 'field.indicators.type').selectOption('asn')
    await look(alice.tab, 'notices-2-usa-form-filled')
    await alice.tab.getByRole('button', { name: L.noticeForm.send }).click()
    await alice.tab.getByRole('status').filter({ hasText: L.noticeForm.held }).waitFor()

    const ben = await signedIn(usa, people.ben)
    await go(ben.tab, L.nav.releases)
    await ben.tab.getByText(subject).first().waitFor()
    await ben.tab.getByRole('button', { name: L.releases.approve }).click()
    await ben.tab.getByText(L.releases.empty).waitFor()

    // Irina's list never reloads: the stream and the list's reading bring the notice.
    const row = irina.tab.getByRole('row').filter({ hasText: subject })
    await row.waitFor({ timeout: 15_000 })
    // The priority acknowledgment is due an hour after rus's receipt: read at once, the
    // countdown shows the whole hour (01:00:00), a second later minutes and seconds (59:59).
    expect(await row.locator('[role="timer"]').textContent()).toMatch(
      /^in (01:00:00|[0-5]\d:\d\d)$/,
    )
    await look(irina.tab, 'notices-3-rus-list')
    await row.getByRole('link', { name: subject }).click()
    await irina.tab.getByRole('heading', { name: subject, level: 1 }).waitFor()
    // The template in the officer's language with the other beside it, the free text as written.
    expect(await irina.tab.locator('.template').textContent()).toContain('Affected sectors')
    expect(await irina.tab.locator('.template').textContent()).toContain('Затронутые секторы')
    await irina.tab
      .getByText('Election Infrastructure, Energy')
      .or(irina.tab.getByText('Energy, Election Infrastructure'))
      .waitFor()
    await look(irina.tab, 'notices-4-rus-detail')
    await irina.tab.getByRole('button', { name: L.notices.acknowledge }).click()
    await irina.tab.getByRole('status').filter({ hasText: L.notices.done.ack }).waitFor()

    // Alice, on usa, sees rus's signed receipt and acknowledgment, the deadline met in time.
    await go(alice.tab, L.nav.notices)
    await alice.tab.getByRole('link', { name: subject }).click()
    const proof = alice.tab.locator('.lifecycle')
    await proof.locator('.step-acknowledged').waitFor({ timeout: 15_000 })
    expect(await proof.locator('.step-delivered').textContent()).toContain(L.proof.receipt)
    const ack = alice.tab.getByRole('row').filter({ hasText: label('deadline.ackBy', 'en') })
    await ack.locator('.status-met').waitFor()
    expect(await ack.locator('[role="timer"]').count()).toBe(0)
    expect(await alice.tab.locator('.history').textContent()).toContain('Acknowledged by RUS')
    const notices = await people.alice.client.api.listNotices({ query: { channel } })
    const [opened] = notices.notices
    expect(opened!.recipients[0]).toMatchObject({ party: 'rus', state: 'acknowledged' })
    const due = opened!.recipients[0]!.deadlines.find((d) => d.name === 'acknowledge')!
    expect(due).toMatchObject({ status: 'met', met: true })
    expect(due.metAt!).toBeLessThan(due.dueAt!)
    await look(alice.tab, 'notices-5-usa-acknowledged')

    for (const opened of [irina, alice, ben]) {
      expect(opened.errors).toEqual([])
      await opened.context.close()
    }
  })

  it('the roster, escalation and ping-test pages show real data, in English and in Russian', async () => {
    const { alice, ben, carla, irina } = people
    // A notice of this test's own, released by Ben, for the notices pages.
    const held = await alice.client.api.compose({
      params: { channel },
      body: { type: 'notice.open', body: incidentNotice({ subject: OWN }) } as never,
    })
    if (!('release' in held)) throw new Error('expected the notice to wait for release')
    await ben.client.api.approveRelease({ params: { release: held.release.id } })
    // Carla, usa's admin, reads the channel too (ping statistics count only what one may see).
    await carla.client.api.grantAccess({ params: { channel, officer: carla.client.id } })
    // usa's watch: Alice by day, Ben by night, every day (UTC).
    await carla.client.api.setRoster({
      params: { party: 'usa' },
      body: {
        shifts: [
          { officer: alice.client.id, days: [1, 2, 3, 4, 5, 6, 7], from: '08:00', until: '20:00' },
          { officer: ben.client.id, days: [1, 2, 3, 4, 5, 6, 7], from: '20:00', until: '08:00' },
        ],
        overrides: [],
      },
    })
    await carla.client.api.setEscalationConfig({
      params: { party: 'usa' },
      body: {
        contacts: [{ name: 'Duty director', email: 'director@usa.example' }],
        ladders: {
          routine: [{ action: 'alarm', at: { from: 'start', offsetMs: 0 } }],
          priority: [{ action: 'alarm', at: { from: 'start', offsetMs: 0 } }],
          flash: [
            { action: 'alarm', at: { from: 'start', offsetMs: 0 } },
            { action: 'email', to: 'duty', at: { from: 'start', offsetMs: 0 } },
            { action: 'email', to: 'contacts', at: { from: 'due', offsetMs: 0 } },
          ],
        },
      },
    })
    await alice.client.api.schedulePings({
      params: { channel },
      body: { weekday: 1, hour: 10 },
    })
    // Two pings, both answered by rus's officer.
    for (let i = 0; i < 2; i++) {
      const sent = await alice.client.api.sendPing({ params: { channel }, body: {} })
      if (!('event' in sent)) throw new Error('a ping is never held')
      await eventually(async () => {
        try {
          await irina.client.api.compose({
            params: { channel },
            body: { type: 'notice.ack', body: { notice: sent.event.id } },
          })
          return true
        } catch {
          return false
        }
      })
    }
    await eventually(
      async () =>
        (await alice.client.api.pingStats({ query: {} })).parties.some((p) => p.answered === 2),
      15_000,
    )

    for (const lang of ['en', 'ru'] as const) {
      const L = catalogs[lang]
      const shot = (name: string) => `notices-pages-${lang}-${name}`
      const opened = await signedIn(usa, people.carla, lang)
      const { tab } = opened
      await go(tab, L.nav.roster)
      await tab.getByRole('heading', { name: L.roster.now }).waitFor()
      await tab.getByRole('row').filter({ hasText: '08:00–20:00 UTC' }).waitFor()
      await tab.locator('.card').first().getByRole('listitem').first().waitFor()
      expect(await tab.locator('.card').first().textContent()).toMatch(/Alice|Ben/)
      await tab.waitForLoadState('networkidle')
      await look(tab, shot('roster'))

      await go(tab, L.nav.escalation)
      // An admin reads the contacts in the ladders' editor.
      const contact = tab.locator('input[data-path="contacts.0.email"]')
      await contact.waitFor()
      expect(await contact.inputValue()).toBe('director@usa.example')
      await tab.getByRole('link', { name: '/.well-known/parley-webhook-key' }).waitFor()
      await tab.waitForLoadState('networkidle')
      await look(tab, shot('escalation'))

      await go(tab, L.nav.pings)
      const stats = tab.getByRole('row').filter({ hasText: 'RUS' }).first()
      await stats.waitFor()
      expect(await stats.textContent()).toContain('100 %')
      await tab.locator('.ping-chart canvas').first().waitFor()
      await tab.getByText(L.pings.weekly.split(' ')[0]!).first().waitFor()
      await tab.waitForLoadState('networkidle')
      await look(tab, shot('pings'))

      await go(tab, L.nav.notices)
      await tab.getByRole('link', { name: OWN }).waitFor()
      await tab.getByLabel(label('field.kind', lang), { exact: false }).selectOption('ping')
      await tab.getByRole('row').filter({ hasText: 'ping test' }).first().waitFor()
      await tab.waitForLoadState('networkidle')
      await look(tab, shot('notices-filtered'))
      await tab.getByLabel(label('field.kind', lang), { exact: false }).selectOption('')
      await tab.getByRole('link', { name: OWN }).click()
      await tab.locator('.lifecycle').first().waitFor()
      await tab.waitForLoadState('networkidle')
      await look(tab, shot('notice-detail'))
      await tab.getByRole('link', { name: L.notices.back }).click()
      await tab.getByRole('link', { name: L.notices.new }).click()
      await tab.getByRole('heading', { name: L.noticeForm.title, level: 1 }).waitFor()
      await look(tab, shot('notice-form'))

      await go(tab, L.nav.inbox)
      await tab.getByRole('heading', { name: L.inbox.deadlines }).waitFor()
      await tab.waitForLoadState('networkidle')
      await look(tab, shot('inbox'))
      expect(opened.errors).toEqual([])
      await opened.context.close()
    }
  })
})
