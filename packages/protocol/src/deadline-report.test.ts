import { describe, expect, it } from 'vitest'
import { DeadlineCollector, type NoticeDeadlines } from './deadline-report.ts'
import type { Event } from './schemas.ts'
import { eventId } from './signing.ts'

// `parley verify --deadlines` reads a transcript's lines into a DeadlineCollector: an auditor
// sees, per notice and recipient, when it was delivered, acknowledged and answered, and whether
// each deadline of the signed policy was met. These tests feed it lines as a transcript holds
// them and read the verdicts an auditor would.

const CHANNEL = 'ch_01JDXS4Q8ZK3M5N7P9R2T4V6W8'
const HOUR = 3_600_000
const T0 = 1_764_277_200_000
const POLICY = {
  languages: ['en'],
  ackWithin: { routine: 24 * HOUR, priority: 4 * HOUR, flash: 900_000 },
  respondWithin: 72 * HOUR,
  release: { twoPersonRule: [], flashExempt: false },
}

let seqs = new Map<string, number>()
function event(author: string, time: number, type: string, body: Record<string, unknown>) {
  const seq = (seqs.get(author) ?? 0) + 1
  seqs.set(author, seq)
  const e = { v: 1, channel: CHANNEL, author, seq, prev: null, heads: {}, time, key: `${author}#1` }
  return { kind: 'event', event: { ...e, type, body } as unknown as Event, sig: 'x' }
}

const genesis = (policy: object | undefined, members = ['usa', 'rus', 'chn']) =>
  event('usa', T0, 'channel.create', {
    title: 'Hotline',
    members,
    observers: [],
    ...(policy === undefined ? {} : { policy }),
  })

const notice = (author: string, time: number, extra: Record<string, unknown> = {}) =>
  event(author, time, 'notice.open', {
    kind: 'incident',
    subject: 'Grid outage',
    lang: 'en',
    urgency: 'priority',
    tlp: 'amber',
    ...extra,
  })

const receipt = (by: string, receivedAt: number, events: string[]) => ({
  kind: 'receipt',
  receipt: { events, by, key: `${by}#1`, receivedAt },
  sig: 'x',
})

const idOf = (line: { event: Event }) => eventId(line.event)

async function collect(lines: readonly unknown[], asOf: number): Promise<NoticeDeadlines[]> {
  const collector = new DeadlineCollector()
  for (const line of lines) await collector.add(line)
  return collector.report(asOf)
}

describe('DeadlineCollector', () => {
  it('measures each recipient from its own earliest receipt: met, late, pending and waiting', async () => {
    seqs = new Map()
    const channel = genesis(POLICY)
    const open = notice('usa', T0 + HOUR)
    const id = await idOf(open)
    const reply = (author: string, time: number, final?: boolean) =>
      event(author, time, 'notice.reply', {
        notice: id,
        text: 'seen',
        lang: 'en',
        tlp: 'amber',
        ...(final === undefined ? {} : { final }),
      })
    const lines = [
      { format: 'parley-transcript/1', channel: CHANNEL },
      channel,
      open,
      // rus's later receipt comes first in the file; the earlier one starts its clock.
      receipt('rus', T0 + 3 * HOUR, [id]),
      receipt('rus', T0 + 2 * HOUR, [id]),
      receipt('rus', T0 + 9 * HOUR, [id]),
      event('rus', T0 + 5 * HOUR, 'notice.ack', { notice: id }),
      event('rus', T0 + 6 * HOUR, 'notice.ack', { notice: id }),
      reply('rus', T0 + 10 * HOUR),
      reply('usa', T0 + 11 * HOUR),
      reply('rus', T0 + 80 * HOUR, true),
      // chn's receipt came late and it has not acknowledged yet.
      receipt('chn', T0 + 20 * HOUR, [id]),
      // Not a notice of this transcript: ignored.
      event('rus', T0 + 7 * HOUR, 'notice.ack', { notice: 'ab'.repeat(32) }),
    ]
    const asOf = T0 + 22 * HOUR
    expect(await collect(lines, asOf)).toEqual([
      {
        id,
        kind: 'incident',
        urgency: 'priority',
        subject: 'Grid outage',
        opener: 'usa',
        openedAt: T0 + HOUR,
        closedAt: null,
        recipients: [
          {
            party: 'rus',
            deliveredAt: T0 + 2 * HOUR,
            acknowledgedAt: T0 + 5 * HOUR,
            repliedAt: T0 + 10 * HOUR,
            finalAt: T0 + 80 * HOUR,
            deadlines: [
              {
                name: 'acknowledge',
                by: 'recipient',
                within: 4 * HOUR,
                dueAt: T0 + 6 * HOUR,
                metAt: T0 + 5 * HOUR,
                status: 'met',
                met: true,
              },
              {
                name: 'respond',
                by: 'recipient',
                within: 72 * HOUR,
                dueAt: T0 + 74 * HOUR,
                metAt: T0 + 80 * HOUR,
                status: 'late',
                met: false,
              },
            ],
          },
          {
            party: 'chn',
            deliveredAt: T0 + 20 * HOUR,
            acknowledgedAt: null,
            repliedAt: null,
            finalAt: null,
            deadlines: [
              {
                name: 'acknowledge',
                by: 'recipient',
                within: 4 * HOUR,
                dueAt: T0 + 24 * HOUR,
                metAt: null,
                status: 'pending',
                met: null,
              },
              {
                name: 'respond',
                by: 'recipient',
                within: 72 * HOUR,
                dueAt: T0 + 92 * HOUR,
                metAt: null,
                status: 'pending',
                met: null,
              },
            ],
          },
        ],
      },
    ])
  })

  it('keeps the first close, and ends what was not due by then as cancelled', async () => {
    seqs = new Map()
    const channel = genesis(POLICY, ['usa', 'rus'])
    const open = notice('rus', T0 + HOUR, { kind: 'ping', urgency: 'flash' })
    const id = await idOf(open)
    const lines = [
      channel,
      open,
      open, // the same notice twice is one notice
      receipt('usa', T0 + HOUR, [id]),
      event('rus', T0 + HOUR + 60_000, 'notice.close', { notice: id, resolution: 'test' }),
      event('rus', T0 + 2 * HOUR, 'notice.close', { notice: id, resolution: 'again' }),
    ]
    const [report, ...rest] = await collect(lines, T0 + 9 * HOUR)
    expect(rest).toEqual([])
    expect(report!.closedAt).toBe(T0 + HOUR + 60_000)
    expect(report!.opener).toBe('rus')
    // A ping asks for an acknowledgment only.
    expect(report!.recipients).toEqual([
      {
        party: 'usa',
        deliveredAt: T0 + HOUR,
        acknowledgedAt: null,
        repliedAt: null,
        finalAt: null,
        deadlines: [
          {
            name: 'acknowledge',
            by: 'recipient',
            within: 900_000,
            dueAt: T0 + HOUR + 900_000,
            metAt: null,
            status: 'cancelled',
            met: null,
          },
        ],
      },
    ])
  })

  it('takes the policy of the channel’s first event only, and reports an unmet deadline overdue', async () => {
    seqs = new Map()
    // A later channel.create (seq 2) of the same author cannot replace the signed policy.
    const channel = [genesis(undefined, ['usa', 'rus']), genesis(POLICY)]
    const open = notice('usa', T0 + HOUR, { ackWithin: HOUR })
    const id = await idOf(open)
    const lines: unknown[] = [...channel, open]
    lines.push(receipt('rus', T0 + HOUR, [id]))
    const [report] = await collect(lines, T0 + 3 * HOUR)
    expect(report!.recipients).toEqual([
      {
        party: 'rus',
        deliveredAt: T0 + HOUR,
        acknowledgedAt: null,
        repliedAt: null,
        finalAt: null,
        // No policy: only the notice's own acknowledgment deadline, and no respond deadline.
        deadlines: [
          {
            name: 'acknowledge',
            by: 'recipient',
            within: HOUR,
            dueAt: T0 + 2 * HOUR,
            metAt: null,
            status: 'overdue',
            met: false,
          },
        ],
      },
    ])
  })

  it('lists notices in transcript order with recipients waiting for a receipt', async () => {
    seqs = new Map()
    const channel = genesis(POLICY)
    const first = notice('usa', T0 + HOUR, { subject: 'First' })
    const second = notice('rus', T0 + 2 * HOUR, { subject: 'Second', urgency: 'routine' })
    const reports = await collect(
      [channel, first, second, 'not a line', null, { kind: 'event' }],
      T0 + 3 * HOUR,
    )
    expect(reports.map((r) => [r.subject, r.opener, r.recipients.map((p) => p.party)])).toEqual([
      ['First', 'usa', ['rus', 'chn']],
      ['Second', 'rus', ['usa', 'chn']],
    ])
    const waiting = reports[1]!.recipients[0]!
    expect(waiting.deliveredAt).toBeNull()
    expect(waiting.deadlines.map((d) => [d.name, d.dueAt, d.status, d.met])).toEqual([
      ['acknowledge', null, 'waiting', null],
      ['respond', null, 'waiting', null],
    ])
  })

  it('measures the opener’s milestone by the opener’s own replies, and ignores lines about unknown notices', async () => {
    seqs = new Map()
    const policy = {
      ...POLICY,
      milestones: [{ name: 'notification', within: 10 * HOUR, by: 'opener' }],
    }
    const channel = genesis(policy, ['usa', 'rus'])
    const open = notice('usa', T0 + HOUR)
    const id = await idOf(open)
    const elsewhere = 'f'.repeat(64)
    const reply = (author: string, time: number, to = id) =>
      event(author, time, 'notice.reply', { notice: to, text: 'seen', lang: 'en', tlp: 'amber' })
    const lines = [
      channel,
      open,
      receipt('rus', T0 + 2 * HOUR, [id]),
      reply('rus', T0 + 3 * HOUR),
      reply('usa', T0 + 20 * HOUR),
      reply('usa', T0 + 4 * HOUR, elsewhere),
      event('usa', T0 + 5 * HOUR, 'notice.close', { notice: elsewhere }),
      event('rus', T0 + 6 * HOUR, 'message.post', { text: 'hi', lang: 'en', tlp: 'green' }),
    ]
    const [report] = await collect(lines, T0 + 30 * HOUR)
    expect(report!.closedAt).toBeNull()
    const rus = report!.recipients[0]!
    expect(rus.repliedAt).toBe(T0 + 3 * HOUR)
    expect(rus.deadlines.find((d) => d.name === 'notification')).toEqual({
      name: 'notification',
      by: 'opener',
      within: 10 * HOUR,
      dueAt: T0 + 12 * HOUR,
      metAt: T0 + 20 * HOUR,
      status: 'late',
      met: false,
    })
  })

  it('lists no recipient for a notice when the transcript lacks the channel’s genesis', async () => {
    seqs = new Map()
    seqs.set('usa', 1)
    const open = notice('usa', T0 + HOUR)
    const [report] = await collect([open, receipt('rus', T0 + 2 * HOUR, [await idOf(open)])], T0)
    expect(report!.id).toBe(await idOf(open))
    expect(report!.recipients).toEqual([])
  })
})
