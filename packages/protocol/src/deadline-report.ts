import {
  type ChannelPolicy,
  type DeadlineVerdict,
  noticeDeadlines,
  type RecipientFacts,
} from './deadlines.ts'
import type { BodyOf, Event, Receipt } from './schemas.ts'
import { eventId } from './signing.ts'

/** One recipient of a notice, as a transcript proves it. */
export interface RecipientDeadlines {
  readonly party: string
  /** The recipient's earliest signed receipt covering the notice (`receivedAt`). */
  readonly deliveredAt: number | null
  readonly acknowledgedAt: number | null
  readonly repliedAt: number | null
  readonly finalAt: number | null
  readonly deadlines: readonly (DeadlineVerdict & { readonly met: boolean | null })[]
}

/** A notice of a transcript with each recipient's times and deadlines. */
export interface NoticeDeadlines {
  readonly id: string
  readonly kind: string
  readonly urgency: string
  readonly subject: string
  readonly opener: string
  readonly openedAt: number
  readonly closedAt: number | null
  readonly recipients: readonly RecipientDeadlines[]
}

interface NoticeState {
  readonly id: string
  readonly event: Event & { readonly body: BodyOf<'notice.open'> }
  closedAt: number | null
  readonly acks: Map<string, number>
  readonly replies: { party: string; time: number; final: boolean }[]
}

/**
 * Collects what the deadlines of a channel's notices rest on from the lines of its transcript:
 * the policy and members of its signed `channel.create`, the notices and their acknowledgments,
 * replies and close, and the receipts signed by their recipients. Nothing else counts, so a
 * third party reaches the same verdicts offline. Feed it lines in transcript order.
 */
export class DeadlineCollector {
  #policy: Partial<ChannelPolicy> | null = null
  #members: readonly string[] = []
  readonly #notices = new Map<string, NoticeState>()
  readonly #order: string[] = []
  /** Per event id, per receiving party: the earliest signed receipt time. */
  readonly #receipts = new Map<string, Map<string, number>>()

  /** Takes one parsed transcript line (an event or a receipt line; others are ignored). */
  async add(line: unknown): Promise<void> {
    const value = line as { kind?: unknown; event?: Event; receipt?: Receipt }
    if (value?.kind === 'receipt' && value.receipt !== undefined) {
      this.#receipt(value.receipt)
      return
    }
    if (value?.kind !== 'event' || value.event === undefined) return
    const event = value.event
    switch (event.type) {
      case 'channel.create':
        if (event.seq === 1) {
          this.#policy = (event.body.policy ?? {}) as Partial<ChannelPolicy>
          this.#members = event.body.members
        }
        return
      case 'notice.open': {
        const id = await eventId(event)
        if (this.#notices.has(id)) return
        this.#notices.set(id, {
          id,
          event: event as NoticeState['event'],
          closedAt: null,
          acks: new Map(),
          replies: [],
        })
        this.#order.push(id)
        return
      }
      case 'notice.ack': {
        const notice = this.#notices.get(event.body.notice)
        if (notice !== undefined && !notice.acks.has(event.author)) {
          notice.acks.set(event.author, event.time)
        }
        return
      }
      case 'notice.reply': {
        const notice = this.#notices.get(event.body.notice)
        notice?.replies.push({
          party: event.author,
          time: event.time,
          final: event.body.final === true,
        })
        return
      }
      case 'notice.close': {
        const notice = this.#notices.get(event.body.notice)
        if (notice !== undefined && notice.closedAt === null) notice.closedAt = event.time
        return
      }
      default:
        return
    }
  }

  #receipt(receipt: Receipt): void {
    for (const id of receipt.events) {
      const byParty = this.#receipts.get(id) ?? new Map<string, number>()
      const known = byParty.get(receipt.by)
      if (known === undefined || receipt.receivedAt < known)
        byParty.set(receipt.by, receipt.receivedAt)
      this.#receipts.set(id, byParty)
    }
  }

  /** Every notice with its deadlines, measured as of `asOf` (the transcript's export time). */
  report(asOf: number): NoticeDeadlines[] {
    return this.#order.map((id) => {
      const notice = this.#notices.get(id)!
      const { event } = notice
      const recipients = this.#members.filter((party) => party !== event.author)
      return {
        id,
        kind: event.body.kind,
        urgency: event.body.urgency,
        subject: event.body.subject,
        opener: event.author,
        openedAt: event.time,
        closedAt: notice.closedAt,
        recipients: recipients.map((party) => {
          const own = notice.replies.filter((reply) => reply.party === party)
          const facts: RecipientFacts = {
            deliveredAt: this.#receipts.get(id)?.get(party) ?? null,
            acknowledgedAt: notice.acks.get(party) ?? null,
            recipientReplies: own,
            openerReplies: notice.replies.filter((reply) => reply.party === event.author),
            closedAt: notice.closedAt,
          }
          return {
            party,
            deliveredAt: facts.deliveredAt,
            acknowledgedAt: facts.acknowledgedAt,
            repliedAt: own[0]?.time ?? null,
            finalAt: own.find((reply) => reply.final)?.time ?? null,
            deadlines: noticeDeadlines(this.#policy, event.body, facts, asOf).map((verdict) => ({
              ...verdict,
              met:
                verdict.status === 'met'
                  ? true
                  : verdict.status === 'late' || verdict.status === 'overdue'
                    ? false
                    : null,
            })),
          }
        }),
      }
    })
  }
}
