import type { JsonColumn } from '../../ledger/ledger.table.ts'

/** A notice as opened (`notice.open`), with its close. Times are signed event times (UTC ms). */
export interface NoticesTable {
  id: string
  channel: string
  /** The notice's place in this node's log: the order of lists and cursors. */
  position: number
  opener: string
  officer: string | null
  kind: string
  urgency: 'routine' | 'priority' | 'flash'
  tlp: string
  subject: string
  severity: number | null
  sectors: JsonColumn<string[]>
  opened_at: number
  closed_at: number | null
  /**
   * The earliest due time among its unmet deadlines (null while none runs): the notice is
   * overdue once the clock passes it. Kept by the projection, so the overdue list reads an index.
   */
  next_due: number | null
}

/** One recipient party of a notice: a member of its channel other than the opener. */
export interface NoticeRecipientsTable {
  notice: string
  party: string
  /** The signed receipt time; on the recipient's own node, when it stored the notice. */
  delivered_at: number | null
  receipt: string | null
  ack_at: number | null
  ack_officer: string | null
  ack_event: string | null
  replied_at: number | null
  final_at: number | null
}

/** One deadline of a notice for one recipient: due at the receipt plus `within`. */
export interface NoticeDeadlinesTable {
  notice: string
  party: string
  name: string
  owner: 'recipient' | 'opener'
  within: number
  final: boolean
  /** Its place among the notice's deadlines (acknowledge, respond, milestones). */
  ordinal: number
  due_at: number | null
  met_at: number | null
}

/** A notice's events, for its history. */
export interface NoticeEventsTable {
  notice: string
  event: string
  position: number
  type: string
  party: string
  officer: string | null
  time: number
  final: boolean | null
}

/** When this node's deadline job found a deadline unmet (local, not from the log). */
export interface NoticeOverdueTable {
  notice: string
  party: string
  deadline: string
  fired_at: number
}

/** A weekly ping test of a channel by a hosted party. */
export interface PingSchedulesTable {
  id: string
  channel: string
  party: string
  officer: string
  /** 0 is Sunday, in UTC. */
  weekday: number
  hour: number
  minute: number
  created_at: number
}

export interface NoticeTables {
  notices: NoticesTable
  notice_recipients: NoticeRecipientsTable
  notice_deadlines: NoticeDeadlinesTable
  notice_events: NoticeEventsTable
  notice_overdue: NoticeOverdueTable
  ping_schedules: PingSchedulesTable
}
