import fc from 'fast-check'
import { Compile } from 'typebox/compile'
import { describe, expect, it } from 'vitest'
import { deadlineRules, noticeDeadlines, type RecipientFacts, statusOf } from './deadlines.ts'
import { bodySchemas } from './schemas.ts'

const HOUR = 3_600_000
const create = Compile(bodySchemas['channel.create'])
const policy = {
  languages: ['en', 'ru'],
  ackWithin: { routine: 24 * HOUR, priority: 4 * HOUR, flash: 900_000 },
  respondWithin: 72 * HOUR,
  release: { twoPersonRule: ['notice.open' as const], flashExempt: false },
}
const facts = (over: Partial<RecipientFacts> = {}): RecipientFacts => ({
  deliveredAt: 1_000,
  acknowledgedAt: null,
  recipientReplies: [],
  openerReplies: [],
  closedAt: null,
  ...over,
})

describe('the policy’s milestones (an optional field added after v1)', () => {
  it('leave a channel.create signed before them valid, and take well-formed milestones only', () => {
    // The working group's genesis as v1 nodes signed it: no milestones field.
    expect(create.Check({ title: 'WG', members: ['usa', 'rus'], observers: [], policy })).toBe(true)
    expect(create.Check({ title: 'WG', members: ['usa'], observers: [] })).toBe(true)
    const milestones = [
      { name: 'notification', within: 72 * HOUR, by: 'opener', kinds: ['incident'] },
      { name: 'final-report', within: 720 * HOUR, by: 'opener', final: true },
    ]
    expect(
      create.Check({
        title: 'NIS2',
        members: ['usa'],
        observers: [],
        policy: { ...policy, milestones },
      }),
    ).toBe(true)
    for (const bad of [
      [{ name: 'x', within: 0, by: 'opener' }],
      [{ name: 'x', within: 1, by: 'someone' }],
      [{ name: 'Bad Name', within: 1, by: 'opener' }],
      [{ name: 'x', within: 1, by: 'opener', extra: true }],
      [{ name: 'x', within: 1, by: 'opener', kinds: ['unknown'] }],
    ]) {
      expect(
        create.Check({
          title: 'T',
          members: ['usa'],
          observers: [],
          policy: { ...policy, milestones: bad },
        }),
        JSON.stringify(bad),
      ).toBe(false)
    }
  })
})

describe('deadlineRules', () => {
  it('acknowledge by urgency, respond, then milestones of the notice’s kind; a ping asks for an acknowledgment only', () => {
    const nis2 = {
      ...policy,
      milestones: [
        { name: 'notification', within: 72 * HOUR, by: 'opener' as const },
        {
          name: 'drill-report',
          within: HOUR,
          by: 'recipient' as const,
          kinds: ['advance-notice' as const],
        },
      ],
    }
    expect(deadlineRules(nis2, { kind: 'incident', urgency: 'flash' })).toEqual([
      { name: 'acknowledge', by: 'recipient', within: 900_000, final: false },
      { name: 'respond', by: 'recipient', within: 72 * HOUR, final: true },
      { name: 'notification', by: 'opener', within: 72 * HOUR, final: false },
    ])
    expect(
      deadlineRules(nis2, { kind: 'advance-notice', urgency: 'routine' }).map((r) => r.name),
    ).toEqual(['acknowledge', 'respond', 'drill-report'])
    expect(deadlineRules(nis2, { kind: 'ping', urgency: 'routine' }).map((r) => r.name)).toEqual([
      'acknowledge',
    ])
    // The notice's own times win; a channel opened without a policy sets only those.
    expect(
      deadlineRules(policy, {
        kind: 'information',
        urgency: 'routine',
        ackWithin: 5,
        respondWithin: 6,
      }).map((r) => r.within),
    ).toEqual([5, 6])
    expect(deadlineRules({}, { kind: 'incident', urgency: 'routine' })).toEqual([])
    expect(
      deadlineRules(undefined, { kind: 'incident', urgency: 'routine', ackWithin: 7 }),
    ).toHaveLength(1)
  })
})

describe('statusOf', () => {
  it('counts a deadline met at its due millisecond, late one after, and overdue only past it', () => {
    expect(statusOf(100, 99, null, 0)).toBe('met')
    expect(statusOf(100, 100, null, 0)).toBe('met')
    expect(statusOf(100, 101, null, 0)).toBe('late')
    expect(statusOf(100, null, null, 100)).toBe('pending')
    expect(statusOf(100, null, null, 101)).toBe('overdue')
    expect(statusOf(null, null, null, 10 ** 12)).toBe('waiting')
    expect(statusOf(100, null, 100, 10 ** 12)).toBe('cancelled')
    expect(statusOf(100, null, 101, 10 ** 12)).toBe('overdue')
    expect(statusOf(null, null, 5, 10 ** 12)).toBe('cancelled')
  })

  it('is met exactly when the meeting event is signed at or before receipt + within (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        (deliveredAt, within, offset) => {
          const acknowledgedAt = Math.max(0, deliveredAt + within + offset)
          const [ack] = noticeDeadlines(
            { ackWithin: { routine: within, priority: within, flash: within } },
            { kind: 'ping', urgency: 'routine' },
            facts({ deliveredAt, acknowledgedAt }),
            0,
          )
          expect(ack!.dueAt).toBe(deliveredAt + within)
          expect(ack!.status).toBe(acknowledgedAt <= deliveredAt + within ? 'met' : 'late')
        },
      ),
    )
  })

  it('meets respond only with a final reply, and the opener’s milestones only with the opener’s replies', () => {
    const rules = {
      ...policy,
      milestones: [{ name: 'notification', within: 10 * HOUR, by: 'opener' as const }],
    }
    const verdicts = noticeDeadlines(
      rules,
      { kind: 'incident', urgency: 'routine' },
      facts({
        acknowledgedAt: 2_000,
        recipientReplies: [
          { time: 3_000, final: false },
          { time: 4_000, final: true },
        ],
        openerReplies: [{ time: 5_000, final: false }],
      }),
      10_000,
    )
    expect(verdicts.map((v) => [v.name, v.metAt, v.status])).toEqual([
      ['acknowledge', 2_000, 'met'],
      ['respond', 4_000, 'met'],
      ['notification', 5_000, 'met'],
    ])
  })

  it('meets a final milestone only with the opener’s final reply', () => {
    const rules = {
      ...policy,
      milestones: [
        { name: 'final-report', within: 10 * HOUR, by: 'opener' as const, final: true },
        { name: 'notification', within: 10 * HOUR, by: 'opener' as const },
      ],
    }
    const verdicts = noticeDeadlines(
      rules,
      { kind: 'incident', urgency: 'routine' },
      facts({
        openerReplies: [
          { time: 5_000, final: false },
          { time: 6_000, final: true },
        ],
      }),
      10_000,
    )
    expect(verdicts.map((v) => [v.name, v.metAt, v.status])).toEqual([
      ['acknowledge', null, 'pending'],
      ['respond', null, 'pending'],
      ['final-report', 6_000, 'met'],
      ['notification', 5_000, 'met'],
    ])
  })

  it('sets only the notice’s own deadlines in a channel opened without a policy', () => {
    expect(deadlineRules(null, { kind: 'incident', urgency: 'flash' })).toEqual([])
    expect(deadlineRules(undefined, { kind: 'ping', urgency: 'flash', ackWithin: 60_000 })).toEqual(
      [{ name: 'acknowledge', by: 'recipient', within: 60_000, final: false }],
    )
    expect(
      deadlineRules(null, { kind: 'incident', urgency: 'routine', respondWithin: HOUR }),
    ).toEqual([{ name: 'respond', by: 'recipient', within: HOUR, final: true }])
  })
})
