import type { Transaction } from 'kysely'
import type { DB } from '../../store/tables.ts'

/** What the escalation ladder is told about one deadline of one hosted party. */
export interface NoticeAlert {
  readonly key: string // `${notice}:${party}:${deadline}`
  readonly party: string // the hosted party whose officers must act
  readonly channel: string
  readonly notice: string // the notice.open event id
  readonly kind: string
  readonly urgency: 'routine' | 'priority' | 'flash'
  readonly subject: string
  readonly deadline: 'acknowledge' | 'respond'
  readonly startedAt: number // the signed receipt time
  readonly dueAt: number
}

/**
 * The escalation port: the notices feature tells it when a hosted party's clock starts and
 * stops, in the transaction of the event or receipt that starts or stops it, and the ladder
 * (duty roster, console alarm, e-mail, webhooks) does the rest on its own timing.
 */
export interface NoticeAlerts {
  /** A notice reached a hosted party: its ladder starts (alarm at once, the rest on its timing). */
  begin(alert: NoticeAlert, trx: Transaction<DB>): Promise<void>
  /** The party acknowledged (or the notice closed): its ladder stops. */
  end(
    notice: string,
    party: string,
    reason: 'acknowledged' | 'replied' | 'closed',
    trx: Transaction<DB>,
  ): Promise<void>
  /**
   * A deadline passed unmet: the deadline job fired (once). Optional, so a ladder that runs
   * purely on its own timing from `begin` need not implement it.
   */
  overdue?(alert: NoticeAlert, trx: Transaction<DB>): Promise<void>
}
