import { type EscalationConfig, label } from '@parley/api'
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
import { ru } from '../src/i18n/ru.ts'
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

let oleg: Awaited<ReturnType<typeof person>>

describe('a deadline missed and escalated', () => {
  it('rus’s admin edits the ladder in the console: checked before saving, the node’s refusal shown at its field, then saved as the node holds it', async () => {
    oleg = await person(rus, 'oleg', ['admin'], null)
    await editLadders(oleg)
    expect(
      (await oleg.client.api.getEscalationConfig({ params: { party: 'rus' } })).config,
    ).toEqual(RUS_CONFIG)
  }, 180_000)

  it('rus misses a flash notice’s 15 minutes: both consoles show it overdue, and rus’s shows each ladder step with its delivery, the e-mails caught by a real SMTP server', async () => {
    const alice = await person(usa, 'alice', ['drafter'], 'alice@usa.example')
    const irina = await person(rus, 'irina', ['drafter'], 'irina@rus.example')
    const { channel } = await alice.client.api.openChannel({
      body: { title: 'Crisis line', members: ['usa', 'rus'], preset: 'crisis-line' } as never,
    })
    await eventually(async () =>
      (await oleg.client.api.listCompartments()).channels.some((c) => c.channel === channel.id),
    )
    await oleg.client.api.grantAccess({ params: { channel: channel.id, officer: irina.id } })
    // Oleg reads the ladders' attempts of the channel's notices: he is on its access list too.
    await oleg.client.api.grantAccess({ params: { channel: channel.id, officer: oleg.id } })
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
    // rus's ladder is the one its admin saved in the console (the test before).
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

    // rus's admin reads what the ladders did, across notices, newest first, in both languages.
    const atOleg = await page(browser, rus.url, 'en')
    await atOleg.context.clock.install({ time: clock.now() })
    await signIn(atOleg.tab, oleg.username)
    await atOleg.tab.getByRole('link', { name: en.nav.escalation }).click()
    const attempts = atOleg.tab.getByTestId('escalation-attempts')
    await attempts.waitFor({ timeout: 15_000 })
    const rows = attempts.locator('tbody tr')
    expect(await rows.count()).toBe(3)
    const cells = await rows.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td, th')].map((c) => c.textContent?.trim() ?? '')),
    )
    expect(cells.map((c) => [c[1], c[2], c[3]!.split(' ')[0]])).toEqual([
      [
        `${subject}${en.escalation.deadline.acknowledge}`,
        `Step 3: E-mail → ${en.escalation.target.contacts}`,
        en.escalation.outcome.sent,
      ],
      [
        `${subject}${en.escalation.deadline.acknowledge}`,
        `Step 2: E-mail → ${en.escalation.target.duty}`,
        en.escalation.outcome.sent,
      ],
      [
        `${subject}${en.escalation.deadline.acknowledge}`,
        'Step 1: Console alarm',
        en.escalation.outcome.sent,
      ],
    ])
    expect(cells[0]![3]).toContain('director@rus.example')
    expect(cells[1]![3]).toContain('irina@rus.example')
    await attempts.scrollIntoViewIfNeeded()
    await look(atOleg.tab, 'escalation-5-rus-attempts-en')
    await atOleg.tab.getByRole('button', { name: 'Русский' }).click()
    await atOleg.tab.getByRole('heading', { name: ru.escalation.recent }).waitFor()
    await attempts.scrollIntoViewIfNeeded()
    expect(await rows.first().textContent()).toContain(ru.escalation.outcome.sent)
    await look(atOleg.tab, 'escalation-6-rus-attempts-ru')

    for (const opened of [...tabs, atOleg]) {
      expect(opened.errors).toEqual([])
      await opened.context.close()
    }
  }, 180_000)
})

// What rus's admin makes of the node's default ladder in the console.
const RUS_CONFIG: EscalationConfig = {
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
}

/**
 * rus's admin edits the default ladder in the console: a bad webhook is stopped before it is
 * sent, the node refuses an e-mail to contacts while none is named (shown at that step's "To"),
 * and the ladder saved once a contact is named; the editor looked at in both languages.
 */
async function editLadders(oleg: { username: string; client: OfficerClient }) {
  const custom = async () =>
    (await oleg.client.api.getEscalationConfig({ params: { party: 'rus' } })).custom
  const { context, tab, errors } = await page(browser, rus.url, 'en')
  await signIn(tab, oleg.username)
  await tab.getByRole('link', { name: en.nav.escalation }).click()
  await tab.getByRole('heading', { name: en.escalationForm.title }).waitFor()
  const form = en.escalationForm
  const ladder = (urgency: string) =>
    tab.locator('fieldset.ladder-editor').filter({ has: tab.locator(`.urgency-${urgency}`) })
  await look(tab, 'escalation-0a-editor-en')

  // A webhook step with an address that is none: refused at the field, nothing sent.
  const routine = ladder('routine')
  await routine
    .getByRole('button', {
      name: form.addStep.replace('{{urgency}}', label('urgency.routine', 'en')),
    })
    .click()
  const added = routine.locator('li.step-editor').nth(3)
  await added.getByLabel(form.action, { exact: false }).selectOption('webhook')
  await added.getByLabel(form.url, { exact: false }).fill('soc.example/hooks')
  await tab.getByRole('button', { name: form.save }).click()
  const url = added.getByLabel(form.url, { exact: false })
  await expect.poll(() => url.getAttribute('aria-invalid')).toBe('true')
  expect(await added.locator('.field-error').allTextContents()).toEqual([
    form.badUrl,
    form.badSecret,
  ])
  await added.scrollIntoViewIfNeeded()
  await look(tab, 'escalation-0b-editor-invalid-en')
  expect(await custom()).toBe(false)

  // Routine and priority lose their steps; flash's are put back in order after a move.
  for (const urgency of ['routine', 'priority']) {
    while ((await ladder(urgency).locator('li.step-editor').count()) > 0) {
      await ladder(urgency).getByRole('button', { name: 'Remove step 1' }).click()
    }
  }
  const flash = ladder('flash')
  await flash.getByRole('button', { name: 'Move step 3 up' }).click()
  expect(await flash.locator('li.step-editor').nth(1).getByLabel(form.to).inputValue()).toBe(
    'contacts',
  )
  await flash.getByRole('button', { name: 'Move step 2 down' }).click()

  // No contact is named: the node refuses the e-mail to contacts, at that step's "To".
  await tab.getByRole('button', { name: form.save }).click()
  const to = flash.locator('li.step-editor').nth(2).getByLabel(form.to)
  await expect.poll(() => to.getAttribute('aria-invalid')).toBe('true')
  expect(await flash.locator('li.step-editor').nth(2).locator('.field-error').textContent()).toBe(
    en.error.ESCALATION_CONFIG_INVALID,
  )
  await to.scrollIntoViewIfNeeded()
  await look(tab, 'escalation-0c-editor-refused-en')
  expect(await custom()).toBe(false)

  await tab.getByRole('button', { name: form.addContact }).click()
  const contacts = tab.locator('fieldset.contacts-editor')
  await contacts.getByLabel(form.name, { exact: false }).fill('Duty director')
  await contacts.getByLabel(form.email, { exact: false }).fill('director@rus.example')
  await tab.getByRole('button', { name: form.save }).click()
  await tab.getByRole('status').filter({ hasText: form.saved }).waitFor()
  await look(tab, 'escalation-0d-editor-saved-en')

  await tab.getByRole('button', { name: 'Русский' }).click()
  await tab.getByRole('heading', { name: ru.escalationForm.title }).waitFor()
  await tab.evaluate(() => window.scrollTo(0, 0))
  await look(tab, 'escalation-0e-editor-ru')
  const routineRu = ladder('routine')
  await routineRu
    .getByRole('button', {
      name: ru.escalationForm.addStep.replace('{{urgency}}', label('urgency.routine', 'ru')),
    })
    .click()
  await routineRu.getByLabel(ru.escalationForm.minutes).fill('-5')
  await tab.getByRole('button', { name: ru.escalationForm.save }).click()
  expect(await routineRu.locator('.field-error').textContent()).toBe(ru.escalationForm.badMinutes)
  await ladder('routine').locator('.field-error').first().waitFor()
  await ladder('routine').scrollIntoViewIfNeeded()
  await look(tab, 'escalation-0f-editor-invalid-ru')
  expect(errors).toEqual([])
  await context.close()
}
