import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type NoticeView, PRESETS } from '@parley/api'
import type { Transaction } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build, type ParleyApp } from '../src/app.ts'
import type { NoticeAlert, NoticeAlerts } from '../src/features/notices/notice-alerts.ts'
import { exportTranscript, receiptsFor } from '../src/ledger/index.ts'
import { ManualClock } from '../src/node/clock.ts'
import type { DB } from '../src/store/tables.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

// Notices between two real nodes on loopback (usa and rus), on one injected clock: deadlines
// counted from rus's signed receipt, met or missed to the millisecond, fired once by rus's
// durable scheduler across restarts, and every bad input refused with its code.

const run = promisify(execFile)
const CLI = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url))
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
// A Monday, 09:00 UTC.
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0)

/** What the escalation ladder is told, until the real one is wired in (engineer E). */
class RecordedAlerts implements NoticeAlerts {
  readonly calls: { what: string; alert?: NoticeAlert; notice?: string; reason?: string }[] = []
  async begin(alert: NoticeAlert, _trx: Transaction<DB>) {
    this.calls.push({ what: 'begin', alert })
  }
  async end(notice: string, _party: string, reason: string, _trx: Transaction<DB>) {
    this.calls.push({ what: 'end', notice, reason })
  }
  async overdue(alert: NoticeAlert, _trx: Transaction<DB>) {
    this.calls.push({ what: 'overdue', alert })
  }
  of(notice: string) {
    return this.calls.filter((c) => c.alert?.notice === notice || c.notice === notice)
  }
}

// biome-ignore lint/suspicious/noExplicitAny: tests read replies field by field; their assertions are the check
type Json = any
interface Reply {
  status: number
  body: Json
}

describe('notices with provable deadlines', () => {
  const clock = new ManualClock(T0)
  const alerts = new RecordedAlerts()
  let usa: TestNode
  let rus: TestNode
  let close: () => Promise<void>
  const channels: string[] = []

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      {
        clock,
        backoff: () => 100,
        // Pushes go at once; a day on the manual clock must not run 1,440 anti-entropy rounds.
        antiEntropyEvery: 30 * DAY,
        noticeAlerts: alerts,
        // No second officer in these tests: the automation credential composes alone.
        configure: (config) => ({ ...config, release: { twoPersonRule: [] } }),
      },
    )
    ;[usa, rus] = started.nodes as [TestNode, TestNode]
    close = started.close
  })
  afterAll(() => close?.())

  const api = (node: TestNode, method: string, path: string, body?: unknown) =>
    node.api<Json>(method, path, body) as Promise<Reply>

  /** usa opens a channel with rus, and rus joins it. */
  const channelWith = async (choice: { preset?: string; policy?: object }): Promise<string> => {
    const opened = await api(usa, 'POST', '/channels', {
      as: 'usa',
      title: 'Notices',
      members: ['usa', 'rus'],
      ...choice,
    })
    expect(opened.status, JSON.stringify(opened.body)).toBe(201)
    const id = opened.body.channel.id as string
    channels.push(id)
    await eventually(
      async () =>
        (await rus.admit(id)) &&
        (await api(rus, 'POST', `/channels/${id}/join`, { as: 'rus' })).status === 201,
      10_000,
      'rus joining',
    )
    await eventually(
      async () =>
        (await api(usa, 'GET', `/channels/${id}`)).body.members.every(
          (m: { joined: boolean }) => m.joined,
        ),
      10_000,
      'the join at usa',
    )
    return id
  }
  const compose = (node: TestNode, channel: string, type: string, body: unknown) =>
    api(node, 'POST', `/channels/${channel}/compose`, {
      as: node === usa ? 'usa' : 'rus',
      type,
      body,
    })
  const open = async (channel: string, body: object) => {
    const reply = await compose(usa, channel, 'notice.open', body)
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return reply.body.event.id as string
  }
  /** The notice as `node` shows it, once rus has it (at usa: once rus's receipt is back). */
  const delivered = (node: TestNode, id: string) =>
    eventually(
      async () => {
        const reply = await api(node, 'GET', `/notices/${id}`)
        const rusView = reply.body?.recipients?.find((r: { party: string }) => r.party === 'rus')
        return rusView?.deliveredAt != null && reply.body
      },
      10_000,
      `notice ${id.slice(0, 8)} delivered, at ${node.name}`,
    )
  const atRus = (id: string) =>
    rus.database.db.selectFrom('events').select('id').where('id', '=', id)
  const ack = async (id: string, channel: string) => {
    await eventually(async () => (await atRus(id).executeTakeFirst()) !== undefined)
    const reply = await compose(rus, channel, 'notice.ack', { notice: id })
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return reply.body.event
  }
  const deadline = (view: Json, name: string) =>
    view.recipients
      .find((r: { party: string }) => r.party === 'rus')
      .deadlines.find((d: { name: string }) => d.name === name)
  const incident = (extra: object = {}) => ({
    kind: 'incident',
    subject: 'Outage of a grid operator',
    lang: 'en',
    urgency: 'routine',
    tlp: 'amber',
    severity: 4,
    sectors: ['energy'],
    observedActivity: { description: 'Wiper malware on the operator’s SCADA hosts' },
    ...extra,
  })

  it('lists the three presets as full policies under the node’s release floor', async () => {
    const reply = await api(usa, 'GET', '/presets')
    expect(reply.status).toBe(200)
    expect(reply.body.presets.map((p: { name: string }) => p.name)).toEqual([
      'crisis-line',
      'nis2',
      'routine-diplomatic',
    ])
    const crisis = reply.body.presets[0]
    expect(crisis.policy.ackWithin.flash).toBe(15 * MINUTE)
    expect(crisis.label.ru).toBe('Линия экстренной связи')
    expect(crisis.policy.release).toEqual({ twoPersonRule: [], flashExempt: false })
  })

  it('crisis line: a flash notice is due for acknowledgment 15 min after rus’s signed receipt', async () => {
    const channel = await channelWith({ preset: 'crisis-line' })
    const id = await open(channel, incident({ urgency: 'flash' }))
    const view = await delivered(usa, id)
    const [receipt] = (await receiptsFor(usa.database.db, id)).filter((r) => r.receipt.by === 'rus')
    const rusView = view.recipients.find((r: { party: string }) => r.party === 'rus')
    expect(rusView).toMatchObject({ state: 'delivered', receipt: expect.any(String) })
    expect(rusView.deliveredAt).toBe(receipt!.receipt.receivedAt)
    expect(deadline(view, 'acknowledge')).toMatchObject({
      by: 'recipient',
      within: 15 * MINUTE,
      dueAt: receipt!.receipt.receivedAt + 15 * MINUTE,
      status: 'pending',
      met: null,
    })
    expect(deadline(view, 'respond')).toMatchObject({ dueAt: receipt!.receipt.receivedAt + DAY })
    // rus's ladder started once, for the acknowledgment, when the notice reached it.
    const begun = alerts.of(id).filter((c) => c.what === 'begin')
    expect(begun).toHaveLength(1)
    expect(begun[0]!.alert).toMatchObject({
      key: `${id}:rus:acknowledge`,
      party: 'rus',
      urgency: 'flash',
      deadline: 'acknowledge',
    })
    expect(begun[0]!.alert!.dueAt - begun[0]!.alert!.startedAt).toBe(15 * MINUTE)
  })

  it('NIS2: 24 h feedback, and the opener’s 72 h notification and one-month final report', async () => {
    const channel = await channelWith({ preset: 'nis2' })
    const id = await open(channel, incident())
    const view = await delivered(usa, id)
    const start = view.recipients[0].deliveredAt as number
    expect(
      view.recipients[0].deadlines.map((d: Json) => [d.name, d.by, d.dueAt && d.dueAt - start]),
    ).toEqual([
      ['acknowledge', 'recipient', PRESETS.nis2.ackWithin.routine],
      ['respond', 'recipient', DAY],
      ['notification', 'opener', 72 * HOUR],
      ['final-report', 'opener', 30 * DAY],
    ])
    // usa's interim update meets the notification, not the final report.
    await clock.advance(HOUR)
    const update = await compose(usa, channel, 'notice.reply', {
      notice: id,
      text: 'Notification: the wiper is contained; the root cause is under investigation.',
      lang: 'en',
      tlp: 'amber',
    })
    expect(update.status, JSON.stringify(update.body)).toBe(201)
    const after = (await api(usa, 'GET', `/notices/${id}`)).body
    expect(deadline(after, 'notification')).toMatchObject({ status: 'met', met: true })
    expect(deadline(after, 'final-report')).toMatchObject({ status: 'pending', metAt: null })
    // A ping asks for an acknowledgment only, even under NIS2.
    const ping = await api(usa, 'POST', `/channels/${channel}/pings`, { as: 'usa' })
    expect(ping.status).toBe(201)
    const pingView = await delivered(usa, ping.body.event.id)
    expect(pingView.recipients[0].deadlines.map((d: { name: string }) => d.name)).toEqual([
      'acknowledge',
    ])
  })

  it('routine diplomatic: acknowledge in 24 h, respond in 7 days, whatever the urgency', async () => {
    const channel = await channelWith({ preset: 'routine-diplomatic' })
    const id = await open(channel, incident({ urgency: 'priority' }))
    const view = await delivered(usa, id)
    const start = view.recipients[0].deliveredAt as number
    expect(deadline(view, 'acknowledge').dueAt - start).toBe(DAY)
    expect(deadline(view, 'respond').dueAt - start).toBe(7 * DAY)
    // The notice's own overrides win over the policy.
    const urgent = await open(channel, incident({ ackWithin: 2 * HOUR }))
    const urgentView = await delivered(usa, urgent)
    expect(deadline(urgentView, 'acknowledge').within).toBe(2 * HOUR)
  })

  it('an acknowledgment 1 ms before its deadline is met; 1 ms after, it is late and was escalated once', async () => {
    const channel = await channelWith({ preset: 'crisis-line' })
    const early = await open(channel, incident({ urgency: 'flash' }))
    const late = await open(channel, incident({ urgency: 'flash', subject: 'Second outage' }))
    const earlyView = await delivered(usa, early)
    await delivered(usa, late)
    // rus's clock started when it stored each notice, no later than the receipts it signed.
    const rusEarly = await delivered(rus, early)
    const rusLate = await delivered(rus, late)
    expect(rusEarly.recipients[0].deliveredAt).toBeLessThanOrEqual(
      earlyView.recipients[0].deliveredAt,
    )

    await clock.advance(deadline(rusEarly, 'acknowledge').dueAt - 1 - clock.now())
    const ackEarly = await ack(early, channel)
    expect(ackEarly.event.time).toBe(deadline(rusEarly, 'acknowledge').dueAt - 1)

    await clock.advance(deadline(rusLate, 'acknowledge').dueAt + 1 - clock.now())
    const ackLate = await ack(late, channel)
    expect(ackLate.event.time).toBe(deadline(rusLate, 'acknowledge').dueAt + 1)

    // rus's own view: its deadline job fired at the due time for the late one, never for the other.
    const rusEarlyAfter = (await api(rus, 'GET', `/notices/${early}`)).body
    const rusLateAfter = (await api(rus, 'GET', `/notices/${late}`)).body
    expect(deadline(rusEarlyAfter, 'acknowledge')).toMatchObject({
      status: 'met',
      met: true,
      firedAt: null,
    })
    expect(deadline(rusLateAfter, 'acknowledge')).toMatchObject({
      status: 'late',
      met: false,
      firedAt: deadline(rusLate, 'acknowledge').dueAt,
    })
    expect(rusLateAfter.history.map((h: { what: string }) => h.what)).toEqual([
      'opened',
      'delivered',
      'overdue',
      'acknowledged',
    ])
    expect(alerts.of(late).map((c) => c.what)).toEqual(['begin', 'overdue', 'end'])
    expect(alerts.of(early).map((c) => c.what)).toEqual(['begin', 'end'])

    // usa measures against rus's signed receipt and rus's signed acknowledgment time.
    const usaEarly = await eventually(async () => {
      const body = (await api(usa, 'GET', `/notices/${early}`)).body
      return body.recipients[0].state === 'acknowledged' && body
    })
    const usaLate = await eventually(async () => {
      const body = (await api(usa, 'GET', `/notices/${late}`)).body
      return body.recipients[0].state === 'acknowledged' && body
    })
    expect(deadline(usaEarly, 'acknowledge')).toMatchObject({
      metAt: ackEarly.event.time,
      status: ackEarly.event.time <= deadline(earlyView, 'acknowledge').dueAt ? 'met' : 'late',
    })
    expect(deadline(usaLate, 'acknowledge')).toMatchObject({
      metAt: ackLate.event.time,
      status: 'late',
      met: false,
    })
    expect(usaLate.recipients[0].acknowledgedBy).toBe(ackLate.event.officer)
  })

  it('refuses each bad input with its own code and stores nothing', async () => {
    const channel = await channelWith({ preset: 'crisis-line' })
    const id = await open(channel, incident())
    await delivered(rus, id)
    const count = async (node: TestNode) =>
      Number(
        (
          await node.database.db
            .selectFrom('events')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('channel', '=', channel)
            .executeTakeFirstOrThrow()
        ).n,
      )
    const before = { usa: await count(usa), rus: await count(rus) }
    const refused = async (
      node: TestNode,
      type: string,
      body: unknown,
      status: number,
      code: string,
    ) => {
      const reply = await compose(node, channel, type, body)
      expect([reply.status, reply.body.error?.code], `${type} ${JSON.stringify(body)}`).toEqual([
        status,
        code,
      ])
    }
    await refused(
      usa,
      'notice.open',
      incident({ severity: undefined }),
      422,
      'NOTICE_TEMPLATE_INCOMPLETE',
    )
    await refused(
      usa,
      'notice.open',
      { ...incident(), kind: 'clarification', observedActivity: undefined },
      422,
      'NOTICE_TEMPLATE_INCOMPLETE',
    )
    await refused(
      usa,
      'notice.open',
      incident({ sectors: ['energy', 'finance'] }),
      422,
      'SECTOR_UNKNOWN',
    )
    await refused(usa, 'notice.open', incident({ severity: 0 }), 400, 'REQUEST_INVALID')
    await refused(usa, 'notice.open', incident({ severity: 6 }), 400, 'REQUEST_INVALID')
    await refused(usa, 'notice.ack', { notice: id }, 403, 'NOTICE_OWN_ACK')
    await refused(rus, 'notice.ack', { notice: 'f'.repeat(64) }, 404, 'NOTICE_NOT_FOUND')
    await ack(id, channel)
    before.rus += 1
    await refused(rus, 'notice.ack', { notice: id }, 409, 'NOTICE_ALREADY_ACKNOWLEDGED')
    const closed = await compose(usa, channel, 'notice.close', {
      notice: id,
      resolution: 'Contained.',
    })
    expect(closed.status).toBe(201)
    before.usa += 1
    await eventually(
      async () => (await api(rus, 'GET', `/notices/${id}`)).body.closedAt !== null,
      10_000,
      'the close at rus',
    )
    await refused(
      rus,
      'notice.reply',
      { notice: id, text: 'Late answer', lang: 'ru', tlp: 'amber' },
      409,
      'NOTICE_CLOSED',
    )
    await refused(usa, 'notice.close', { notice: id, resolution: 'Again' }, 409, 'NOTICE_CLOSED')
    expect(await count(usa)).toBeGreaterThanOrEqual(before.usa)
    expect(await count(rus)).toBe(before.rus + 1) // usa's close arrived; rus stored nothing of its own
    const ownAtUsa = await usa.database.db
      .selectFrom('events')
      .select('id')
      .where('channel', '=', channel)
      .where('author', '=', 'usa')
      .execute()
    expect(ownAtUsa).toHaveLength(3) // genesis, the notice, its close

    const both = await api(usa, 'POST', '/channels', {
      as: 'usa',
      title: 'Both',
      members: ['usa', 'rus'],
      preset: 'nis2',
      policy: (await api(usa, 'GET', '/presets')).body.presets[1].policy,
    })
    expect([both.status, both.body.error.code]).toEqual([400, 'PRESET_WITH_POLICY'])
    const cursor = await api(usa, 'GET', '/notices?before=bm90LWEtY3Vyc29y')
    expect([cursor.status, cursor.body.error.code]).toEqual([400, 'PAGE_CURSOR_INVALID'])
    const twoWays = await api(usa, 'GET', '/notices?before=bjox&after=bjox')
    expect([twoWays.status, twoWays.body.error.code]).toEqual([400, 'PAGE_CURSORS_CONFLICT'])
    const missing = await api(usa, 'GET', `/notices/${'e'.repeat(64)}`)
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NOTICE_NOT_FOUND'])
  })

  it('lists notices with filters and cursor pages, newest first', async () => {
    const channel = await channelWith({ preset: 'crisis-line' })
    const ids: string[] = []
    for (const urgency of ['routine', 'priority', 'flash', 'routine', 'priority']) {
      ids.push(await open(channel, incident({ urgency })))
    }
    for (const id of ids) await delivered(usa, id)
    const page = (query: string) => api(usa, 'GET', `/notices?channel=${channel}&${query}`)
    const first = await page('limit=2')
    expect(first.body.notices.map((n: { id: string }) => n.id)).toEqual([ids[4], ids[3]])
    expect(first.body.cursors.after).toBeNull()
    const second = await page(`limit=2&before=${first.body.cursors.before}`)
    expect(second.body.notices.map((n: { id: string }) => n.id)).toEqual([ids[2], ids[1]])
    const third = await page(`limit=2&before=${second.body.cursors.before}`)
    expect(third.body.notices.map((n: { id: string }) => n.id)).toEqual([ids[0]])
    expect(third.body.cursors.before).toBeNull()
    const back = await page(`limit=2&after=${third.body.cursors.after}`)
    expect(back.body.notices.map((n: { id: string }) => n.id)).toEqual([ids[2], ids[1]])

    const priority = await page('urgency=priority')
    expect(priority.body.notices.map((n: { id: string }) => n.id)).toEqual([ids[4], ids[1]])
    await ack(ids[2]!, channel)
    const acknowledged = await eventually(async () => {
      const reply = await page('state=acknowledged&party=rus')
      return reply.body.notices.length === 1 && reply
    })
    expect(acknowledged.body.notices[0].id).toBe(ids[2])
    expect((await page('state=delivered')).body.notices).toHaveLength(4)
    expect((await page('kind=ping')).body.notices).toEqual([])
    expect((await page('party=usa')).body.notices).toEqual([])

    // Past every acknowledgment deadline of the crisis line (routine: 4 h).
    await clock.advance(4 * HOUR + MINUTE)
    const overdue = await page('overdue=true')
    expect(overdue.body.notices.map((n: { id: string }) => n.id)).toEqual([
      ids[4],
      ids[3],
      ids[1],
      ids[0],
    ])
    expect((await page('overdue=false')).body.notices.map((n: { id: string }) => n.id)).toEqual([
      ids[2],
    ])
    const whole = await api(usa, 'GET', '/notices/overdue')
    const list: string[] = whole.body.notices.map((n: { id: string }) => n.id)
    const here = whole.body.notices.filter((n: NoticeView) => n.channel === channel)
    expect(here.map((n: NoticeView) => n.id).sort()).toEqual(
      [ids[0], ids[1], ids[3], ids[4]].sort(),
    )
    expect(whole.body.cursors).toEqual({ before: null, after: null })
    // Oldest due first: each notice stands at its first unmet deadline.
    const firstDue = whole.body.notices.map((n: NoticeView) =>
      Math.min(
        ...n.recipients.flatMap((r) =>
          r.deadlines.filter((d) => d.status === 'overdue').map((d) => d.dueAt!),
        ),
      ),
    )
    expect(firstDue).toEqual([...firstDue].sort((a, b) => a - b))
    // Paged by three, the same list, each page but the last with a cursor on.
    const walked: string[] = []
    let after: string | null = null
    let pages = 0
    do {
      const reply = await api(
        usa,
        'GET',
        `/notices/overdue?limit=3${after === null ? '' : `&after=${after}`}`,
      )
      expect(reply.status).toBe(200)
      walked.push(...reply.body.notices.map((n: { id: string }) => n.id))
      after = reply.body.cursors.after
      pages++
      if (after !== null) expect(reply.body.notices).toHaveLength(3)
    } while (after !== null)
    expect(walked).toEqual(list)
    expect(pages).toBe(Math.ceil(list.length / 3))
    // A cursor of another list is refused, not read as a position.
    const foreign = await api(usa, 'GET', `/notices/overdue?after=${first.body.cursors.before}`)
    expect(foreign.status).toBe(400)
    expect(foreign.body.error.code).toBe('PAGE_CURSOR_INVALID')
  })

  it('ping tests: ad hoc and weekly at a UTC weekday and hour, with each party’s answer statistics', async () => {
    const channel = await channelWith({ preset: 'crisis-line' })
    // Weekly, at the next whole hour of today's weekday (UTC): the scenario's is Monday 10:00.
    const now = new Date(clock.now())
    const at = { weekday: now.getUTCDay(), hour: (now.getUTCHours() + 1) % 24 }
    const schedule = await api(usa, 'POST', `/channels/${channel}/ping-schedules`, {
      as: 'usa',
      ...at,
    })
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201)
    const nextAt = schedule.body.nextAt as number
    expect(new Date(nextAt).getUTCHours()).toBe(at.hour)
    expect(new Date(nextAt).getUTCMinutes()).toBe(0)
    expect(nextAt).toBeGreaterThan(clock.now())
    expect(nextAt - clock.now()).toBeLessThanOrEqual(HOUR)

    const adHoc = await api(usa, 'POST', `/channels/${channel}/pings`, { as: 'usa' })
    expect(adHoc.status).toBe(201)
    await delivered(usa, adHoc.body.event.id)
    await clock.advance(5 * MINUTE)
    await ack(adHoc.body.event.id, channel)

    await clock.advance(nextAt - clock.now())
    const scheduled = await eventually(async () => {
      const reply = await api(usa, 'GET', `/notices?channel=${channel}&kind=ping`)
      return reply.body.notices.length === 2 && reply.body.notices[0]
    })
    expect(scheduled.openedAt).toBe(nextAt)
    await delivered(usa, scheduled.id)
    await clock.advance(11 * MINUTE)
    await ack(scheduled.id, channel)
    const stats = await eventually(async () => {
      const reply = await api(usa, 'GET', `/pings/stats?channel=${channel}`)
      return reply.body.parties[0]?.answered === 2 && reply.body.parties
    })
    const [rusStats] = stats
    expect(rusStats).toMatchObject({ party: 'rus', pings: 2, answered: 2, responseRate: 1 })
    expect(rusStats.medianMs).toBeGreaterThanOrEqual(5 * MINUTE)
    expect(rusStats.medianMs).toBeLessThan(6 * MINUTE)
    expect(rusStats.p90Ms).toBeGreaterThanOrEqual(11 * MINUTE)
    expect(rusStats.lastAnsweredAt).toBe(clock.now())
    // The next week's ping is scheduled already.
    const next = await usa.database.db
      .selectFrom('jobs')
      .select(['due_at', 'state'])
      .where('kind', '=', 'notice.ping')
      .where('state', '=', 'pending')
      .execute()
    expect(next).toContainEqual({ due_at: nextAt + 7 * DAY, state: 'pending' })
  })

  it('parley verify --deadlines on usa’s exported transcripts agrees with usa’s view of every notice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-deadlines-'))
    try {
      let compared = 0
      for (const channel of channels) {
        let text = ''
        for await (const line of exportTranscript(usa.database.db, channel, 'usa', clock.now())) {
          text += line
        }
        const file = join(dir, `${channel}.parley`)
        await writeFile(file, text)
        const { stdout } = await run(process.execPath, [
          CLI,
          'verify',
          '--deadlines',
          '--json',
          '--workers',
          '1',
          file,
        ])
        const report = JSON.parse(stdout)
        expect(report.ok).toBe(true)
        const listed = await api(usa, 'GET', `/notices?channel=${channel}&limit=500`)
        const fromNode = [...listed.body.notices].reverse()
        expect(report.deadlines.map((n: { id: string }) => n.id)).toEqual(
          fromNode.map((n: { id: string }) => n.id),
        )
        for (const [i, proven] of report.deadlines.entries()) {
          const shown = fromNode[i]
          const facts = (notice: Json) => ({
            id: notice.id,
            opener: notice.opener,
            closedAt: notice.closedAt,
            recipients: notice.recipients.map((r: Json) => ({
              party: r.party,
              deliveredAt: r.deliveredAt,
              acknowledgedAt: r.acknowledgedAt,
              repliedAt: r.repliedAt,
              finalAt: r.finalAt,
              deadlines: r.deadlines.map((d: Json) => ({
                name: d.name,
                by: d.by,
                within: d.within,
                dueAt: d.dueAt,
                metAt: d.metAt,
                status: d.status,
                met: d.met,
              })),
            })),
          })
          expect(facts(proven)).toEqual(facts(shown))
          compared++
        }
      }
      // Met, late, overdue, pending and cancelled deadlines among them.
      expect(compared).toBeGreaterThanOrEqual(15)
      const { stdout } = await run(process.execPath, [
        CLI,
        'verify',
        '--deadlines',
        '--workers',
        '1',
        join(dir, `${channels[0]}.parley`),
      ])
      expect(stdout).toMatch(/notices +1\n/)
      expect(stdout).toMatch(/acknowledge +by recipient due \S+ {2}(PENDING|MISSED)/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  // Last: rus restarts in process, off the network, so that no other test run on the machine
  // can take its port while it is down (its later starts need no federation).
  it('restarts: a pending deadline fires once at its time; one that fell due while down fires at start-up, once', async () => {
    const channel = await channelWith({ preset: 'crisis-line' })
    const flash = await open(channel, incident({ urgency: 'flash' }))
    const routine = await open(channel, incident({ subject: 'Routine one' }))
    const flashDue = deadline(await delivered(rus, flash), 'acknowledge').dueAt as number
    const routineDue = deadline(await delivered(rus, routine), 'acknowledge').dueAt as number
    expect(routineDue - flashDue).toBeGreaterThan(3 * HOUR)
    await delivered(usa, routine)
    await rus.stop()
    let app: ParleyApp | undefined
    const restart = async () => {
      await app?.close()
      app = await build(rus.config, {
        database: rus.database,
        clock,
        logger: false,
        federate: false,
        noticeAlerts: alerts,
      })
      await app.ready()
      await app.scheduler.idle()
    }
    const view = async (id: string) => {
      const reply = await app!.inject({
        method: 'GET',
        url: `/api/v1/notices/${id}`,
        headers: { authorization: `Bearer ${rus.officers.get('rus')!.token}` },
      })
      return reply.json()
    }
    const fired = (id: string) => alerts.of(id).filter((c) => c.what === 'overdue')
    try {
      await clock.advance(MINUTE)
      await restart()
      expect(deadline(await view(flash), 'acknowledge').firedAt).toBe(null)
      await clock.advance(flashDue - clock.now() + 10)
      expect(deadline(await view(flash), 'acknowledge')).toMatchObject({
        status: 'overdue',
        firedAt: flashDue,
      })
      expect(fired(flash)).toHaveLength(1)
      const jobs = await rus.database.db
        .selectFrom('jobs')
        .select(['state', 'attempts'])
        .where('key', '=', `${flash}:rus:acknowledge`)
        .execute()
      expect(jobs).toEqual([{ state: 'done', attempts: 1 }])

      // Down across the routine notice's deadline: it fires when the node starts, once.
      await app!.close()
      app = undefined
      await clock.advance(routineDue - clock.now() + HOUR)
      const startedAt = clock.now()
      await restart()
      expect(deadline(await view(routine), 'acknowledge')).toMatchObject({
        status: 'overdue',
        firedAt: startedAt,
      })
      await clock.advance(MINUTE)
      await restart()
      expect(deadline(await view(routine), 'acknowledge').firedAt).toBe(startedAt)
      expect(fired(routine)).toHaveLength(1)
      expect(fired(flash)).toHaveLength(1)
      const overdue = await app!.inject({
        method: 'GET',
        url: '/api/v1/notices/overdue',
        headers: { authorization: `Bearer ${rus.officers.get('rus')!.token}` },
      })
      const ids = overdue.json().notices.map((n: { id: string }) => n.id)
      expect(ids).toContain(flash)
      expect(ids).toContain(routine)
    } finally {
      await app?.close()
    }
  })
})
