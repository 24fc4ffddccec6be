import { label } from '@parley/api'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOfficer, type Role } from '../../server/src/features/officers/officers.service.ts'
import { passwordHasher } from '../../server/src/features/officers/password.ts'
import { ManualClock } from '../../server/src/node/clock.ts'
import { incidentNotice } from '../../server/test/support/compartments.ts'
import { eventually, type TestNode } from '../../server/test/support/nodes.ts'
import { OfficerClient } from '../../server/test/support/officer-client.ts'
import { cheapPasswordHash } from '../../server/test/support/password-hash.ts'
import { type SmtpSink, startSmtpSink } from '../../server/test/support/smtp-sink.ts'
import { en } from '../src/i18n/en.ts'
import { launch, look, PASSWORD, page, signIn, twoNodes } from './support.ts'

// A flash notice rus misses: usa and rus on one injected clock, and each browser's clock moved
// with it. rus's ladder raises the console alarm and mails its watch at once, and its escalation
// contact when the 15 minutes pass; a real SMTP server takes the mail.
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE
const clock = new ManualClock(Math.floor(Date.now() / MINUTE) * MINUTE)
let browser: Browser
let sink: SmtpSink
let usa: TestNode
let rus: TestNode
let close: () => Promise<void>

beforeAll(async () => {
  browser = await launch()
  sink = await startSmtpSink()
  const started = await twoNodes({
    clock,
    backoff: () => 100,
    // Pushes go at once; the manual clock must not run anti-entropy rounds as it jumps.
    antiEntropyEvery: 30 * DAY,
    configure: (config) => ({
      ...config,
      auth: { ...config.auth, requireSecondFactor: false },
      release: { twoPersonRule: [] },
      smtp: { host: '127.0.0.1', port: sink.port, from: 'parley@node.example' },
    }),
  })
  ;[usa, rus] = started.nodes as [TestNode, TestNode]
  close = started.close
})

afterAll(async () => {
  await browser?.close()
  await close?.()
  await sink?.close()
})

async function person(node: TestNode, username: string, roles: Role[], email: string | null) {
  const party = [...node.app.identity.parties.keys()][0]!
  const made = await createOfficer(
    {
      db: node.app.db,
      now: clock.now,
      parties: [party],
      passwords: passwordHasher(cheapPasswordHash),
    },
    { officer: null, party: null, via: 'cli' },
    {
      party,
      username,
      displayName: username[0]!.toUpperCase() + username.slice(1),
      email,
      roles,
      password: PASSWORD,
    },
  )
  const client = new OfficerClient(node.url, username, PASSWORD, clock.now)
  await client.login()
  return { id: made.officer.id, username, client }
}

describe('a deadline missed and escalated', () => {
  it('rus misses a flash notice’s 15 minutes: both consoles show it overdue, and rus’s shows each ladder step with its delivery, the e-mails caught by a real SMTP server', async () => {
    const alice = await person(usa, 'alice', ['drafter'], 'alice@usa.example')
    const irina = await person(rus, 'irina', ['drafter'], 'irina@rus.example')
    const oleg = await person(rus, 'oleg', ['admin'], null)
    const { channel } = await alice.client.api.openChannel({
      body: { title: 'Crisis line', members: ['usa', 'rus'], preset: 'crisis-line' } as never,
    })
    await eventually(async () =>
      (await oleg.client.api.listCompartments()).channels.some((c) => c.channel === channel.id),
    )
    await oleg.client.api.grantAccess({ params: { channel: channel.id, officer: irina.id } })
    await irina.client.api.joinChannel({ params: { channel: channel.id }, body: {} })
    await eventually(async () =>
      (await alice.client.api.getChannel({ params: { channel: channel.id } })).members.every(
        (m) => m.joined,
      ),
    )
    // rus's watch: Irina, around the clock; its escalation contact: the duty director.
    await oleg.client.api.setRoster({
      params: { party: 'rus' },
      body: {
        shifts: [{ officer: irina.id, days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', until: '00:00' }],
        overrides: [],
      },
    })
    await oleg.client.api.setEscalationConfig({
      params: { party: 'rus' },
      body: {
        contacts: [{ name: 'Duty director', email: 'director@rus.example' }],
        ladders: {
          routine: [],
          priority: [],
          flash: [
            { action: 'alarm', at: { from: 'start', offsetMs: 0 } },
            { action: 'email', to: 'duty', at: { from: 'start', offsetMs: 0 } },
            { action: 'email', to: 'contacts', at: { from: 'due', offsetMs: 0 } },
          ],
        },
      },
    })

    // Each browser's clock starts at the nodes' time and is moved with them.
    const tabs = []
    for (const [node, who] of [
      [rus, irina],
      [usa, alice],
    ] as const) {
      const opened = await page(browser, node.url, 'en')
      await opened.context.clock.install({ time: clock.now() })
      await signIn(opened.tab, who.username)
      await opened.tab.getByRole('heading', { name: en.inbox.title }).waitFor()
      tabs.push(opened)
    }
    const [atRus, atUsa] = tabs as [(typeof tabs)[0], (typeof tabs)[0]]

    const subject = 'Wiper malware on a grid operator'
    const sent = await alice.client.api.compose({
      params: { channel: channel.id },
      body: {
        type: 'notice.open',
        body: incidentNotice({ kind: 'incident', urgency: 'flash', subject, sectors: ['energy'] }),
      } as never,
    })
    if (!('event' in sent)) throw new Error('expected the notice to be sent at once')
    const notice = sent.event.id

    // rus's inbox lists the deadline, counting down from 15 minutes; the watch is mailed at once.
    const due = atRus.tab
      .locator('.deadlines-panel')
      .getByRole('row')
      .filter({ hasText: subject })
      .filter({ hasText: label('deadline.ackBy', 'en') })
    await due.waitFor({ timeout: 15_000 })
    expect(await due.locator('[role="timer"]').textContent()).toMatch(/^in 1[45]:\d\d$/)
    // Steps due now run when the manual clock gives the scheduler's timers their turn.
    await eventually(async () => {
      await clock.advance(0)
      return sink.mails.some((m) => m.envelopeTo.includes('irina@rus.example'))
    })
    await look(atRus.tab, 'escalation-1-rus-inbox-due')

    // Sixteen minutes pass on the nodes and in both browsers; nobody at rus acknowledged.
    await clock.advance(16 * MINUTE)
    for (const opened of tabs) await opened.context.clock.fastForward(16 * MINUTE)
    await eventually(
      async () => {
        await clock.advance(0)
        return sink.mails.some((m) => m.envelopeTo.includes('director@rus.example'))
      },
      15_000,
      'the contacts’ e-mail',
    )
    const toDirector = sink.mails.find((m) => m.envelopeTo.includes('director@rus.example'))!
    expect(toDirector.parsed.subject).toContain(subject)
    expect(toDirector.parsed.text).toContain(notice)

    await atRus.tab.goto(`/notices/${notice}`)
    await atRus.tab.getByRole('heading', { name: subject, level: 1 }).waitFor()
    await atRus.tab
      .locator('.tag-overdue', { hasText: en.notices.isOverdue })
      .waitFor({ timeout: 15_000 })
    const history = atRus.tab.locator('.history')
    await history.getByText('Escalation step 3 for RUS: E-mail').waitFor({ timeout: 15_000 })
    const text = (await history.textContent()) ?? ''
    expect(text).toContain('Escalation step 1 for RUS: Console alarm')
    expect(text).toContain('irina@rus.example')
    expect(text).toContain('director@rus.example')
    expect(text).toContain('Deadline missed by RUS')
    const ack = atRus.tab.getByRole('row').filter({ hasText: label('deadline.ackBy', 'en') })
    expect(await ack.locator('[role="timer"]').textContent()).toMatch(/^overdue by \d\d:\d\d$/)
    const alarms = await irina.client.api.listAlarms({ query: {} })
    expect(alarms.alarms.some((a) => a.kind === 'escalation')).toBe(true)
    await look(atRus.tab, 'escalation-2-rus-overdue')
    await history.scrollIntoViewIfNeeded()
    await look(atRus.tab, 'escalation-3-rus-ladder')

    // usa's console shows the notice overdue at rus, in the list and in the inbox.
    await atUsa.tab.goto('/notices')
    const row = atUsa.tab.getByRole('row').filter({ hasText: subject })
    await row.locator('.state-overdue').waitFor({ timeout: 15_000 })
    await atUsa.tab.getByRole('link', { name: en.nav.inbox }).click()
    const overdue = atUsa.tab.locator('.deadlines-panel .row-overdue').filter({ hasText: subject })
    await overdue.waitFor({ timeout: 15_000 })
    await look(atUsa.tab, 'escalation-4-usa-overdue')
    for (const opened of tabs) {
      expect(opened.errors).toEqual([])
      await opened.context.close()
    }
  })
})
