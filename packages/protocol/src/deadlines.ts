import type { Static } from 'typebox'
import type { BodyOf, ChannelPolicySchema } from './schemas.ts'

/**
 * A notice's deadlines, computed from signed data only: the policy of the channel's signed
 * `channel.create` (with the notice's own `ackWithin`/`respondWithin`), a recipient's signed
 * receipt time, and the signed times of the acknowledgment and replies. The node's read model
 * and `parley verify --deadlines` both use these rules, so a third party holding a transcript
 * reaches the node's verdict offline. All times are UTC milliseconds.
 */

export type ChannelPolicy = Static<typeof ChannelPolicySchema>
export type Milestone = NonNullable<ChannelPolicy['milestones']>[number]
type NoticeBody = BodyOf<'notice.open'>

/** Who must act to meet a deadline: the party the notice reached, or the party that opened it. */
export type DeadlineOwner = 'recipient' | 'opener'

/** One deadline of a notice for one recipient, before it is measured against events. */
export interface DeadlineRule {
  /** `acknowledge`, `respond`, or a milestone's name. */
  readonly name: string
  readonly by: DeadlineOwner
  readonly within: number
  /** Met only by a final reply (`respond`, and milestones that say so). */
  readonly final: boolean
}

/** The kinds a milestone applies to when it names none. */
export const MILESTONE_DEFAULT_KINDS: readonly string[] = ['incident']

/**
 * The deadlines a notice sets for each of its recipients, from the signed policy and the
 * notice's overrides. A ping asks for a human acknowledgment only. A channel opened without a
 * policy sets none beyond the notice's own overrides.
 */
export function deadlineRules(
  policy: Partial<ChannelPolicy> | null | undefined,
  body: Pick<NoticeBody, 'kind' | 'urgency' | 'ackWithin' | 'respondWithin'>,
): DeadlineRule[] {
  const rules: DeadlineRule[] = []
  const ack = body.ackWithin ?? policy?.ackWithin?.[body.urgency]
  if (ack !== undefined)
    rules.push({ name: 'acknowledge', by: 'recipient', within: ack, final: false })
  if (body.kind === 'ping') return rules
  const respond = body.respondWithin ?? policy?.respondWithin
  if (respond !== undefined) {
    rules.push({ name: 'respond', by: 'recipient', within: respond, final: true })
  }
  for (const milestone of policy?.milestones ?? []) {
    if (!(milestone.kinds ?? MILESTONE_DEFAULT_KINDS).includes(body.kind)) continue
    rules.push({
      name: milestone.name,
      by: milestone.by,
      within: milestone.within,
      final: milestone.final === true,
    })
  }
  return rules
}

/** What happened to a notice as far as one recipient goes, each time as signed. */
export interface RecipientFacts {
  /** The recipient's signed receipt time (`receivedAt`); null while none is held. */
  readonly deliveredAt: number | null
  /** The signed time of the recipient's first `notice.ack`. */
  readonly acknowledgedAt: number | null
  /** Signed times of the recipient's replies, and of the opener's, oldest first. */
  readonly recipientReplies: readonly { readonly time: number; readonly final: boolean }[]
  readonly openerReplies: readonly { readonly time: number; readonly final: boolean }[]
  /** The signed time of the opener's `notice.close`. */
  readonly closedAt: number | null
}

/**
 * - `waiting`: not delivered yet, so not started;
 * - `pending`: running, not yet due;
 * - `met`: met at or before its due time; `late`: met after it;
 * - `overdue`: due and unmet (as of `now`, or when the notice was closed);
 * - `cancelled`: the notice closed before it fell due, unmet.
 */
export type DeadlineStatus = 'waiting' | 'pending' | 'met' | 'late' | 'overdue' | 'cancelled'

export interface DeadlineVerdict {
  readonly name: string
  readonly by: DeadlineOwner
  readonly within: number
  readonly dueAt: number | null
  readonly metAt: number | null
  readonly status: DeadlineStatus
}

/** When a rule's deadline is met, given the facts: the first event of its owner that meets it. */
export function metAt(rule: DeadlineRule, facts: RecipientFacts): number | null {
  if (rule.name === 'acknowledge' && rule.by === 'recipient') return facts.acknowledgedAt
  const replies = rule.by === 'recipient' ? facts.recipientReplies : facts.openerReplies
  const meeting = replies.find((reply) => !rule.final || reply.final)
  return meeting?.time ?? null
}

/** Measures one deadline: due at the receipt plus its time; met by an event at or before due. */
export function verdict(rule: DeadlineRule, facts: RecipientFacts, now: number): DeadlineVerdict {
  const dueAt = facts.deliveredAt === null ? null : facts.deliveredAt + rule.within
  const met = metAt(rule, facts)
  return {
    ...ruleFields(rule),
    dueAt,
    metAt: met,
    status: statusOf(dueAt, met, facts.closedAt, now),
  }
}

/** The status of a deadline due at `dueAt` (null: not started), met at `met`, as of `now`. */
export function statusOf(
  dueAt: number | null,
  met: number | null,
  closedAt: number | null,
  now: number,
): DeadlineStatus {
  if (dueAt === null) return closedAt === null ? 'waiting' : 'cancelled'
  if (met !== null) return met <= dueAt ? 'met' : 'late'
  if (closedAt !== null) return closedAt <= dueAt ? 'cancelled' : 'overdue'
  return now > dueAt ? 'overdue' : 'pending'
}

/** Every deadline of a notice for one recipient. */
export function noticeDeadlines(
  policy: Partial<ChannelPolicy> | null | undefined,
  body: Pick<NoticeBody, 'kind' | 'urgency' | 'ackWithin' | 'respondWithin'>,
  facts: RecipientFacts,
  now: number,
): DeadlineVerdict[] {
  return deadlineRules(policy, body).map((rule) => verdict(rule, facts, now))
}

function ruleFields(rule: DeadlineRule): Pick<DeadlineVerdict, 'name' | 'by' | 'within'> {
  return { name: rule.name, by: rule.by, within: rule.within }
}
