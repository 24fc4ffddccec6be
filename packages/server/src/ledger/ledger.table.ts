import type { JsonValue } from '@parley/protocol'
import type { ColumnType, Generated } from 'kysely'

/**
 * A jsonb column: read back as parsed JSON, written as JSON text (see `jsonb()`), because the
 * two drivers disagree on how to send a JS array to jsonb and agree on text.
 */
export type JsonColumn<T = JsonValue> = ColumnType<T, string, string>

/** A party this node knows: its own (hosted) parties and pinned peers. */
export interface PartiesTable {
  id: string
  name: string
  hosted: Generated<boolean>
}

/** Public keys only: private keys live in the node's key files, never in the database. */
export interface PartyKeysTable {
  key_id: string
  party: string
  public_key: string
  valid_from: number
  valid_until: number | null
  pinned_at: number
}

export type ChannelStatus = 'invited' | 'active'

export interface ChannelsTable {
  id: string
  creator: string
  genesis_id: string
  title: string
  policy: JsonColumn
  created_at: number
  /** `invited` until a hosted party that was invited (not the creator) joins. */
  status: ChannelStatus
}

export type MemberRole = 'member' | 'observer'

export interface ChannelMembersTable {
  channel: string
  party: string
  role: MemberRole
  /** Seq of the party's own event that made it a participant; null while only invited. */
  joined_seq: number | null
}

/** The append-only log. `raw` is the canonical `{event,sig}` text, the source for exports. */
export interface EventsTable {
  id: string
  channel: string
  author: string
  seq: number
  prev: string | null
  time: number
  type: string
  body: JsonColumn
  raw: string
  received_at: number
  /** Local commit order; always a causal order, since an event is stored after what it cites. */
  position: Generated<number>
}

/** Signed events that arrived before what they depend on; retried when the gap fills. */
export interface PendingEventsTable {
  id: string
  channel: string
  author: string
  seq: number
  raw: string
  need_author: string
  need_from_seq: number
  received_at: number
}

export interface ReceiptsTable {
  /** Hex SHA-256 of the receipt's domain-separated canonical bytes. */
  id: string
  by_party: string
  key_id: string
  received_at: number
  raw: string
  stored_at: number
}

export interface ReceiptEventsTable {
  receipt: string
  event: string
  /** Channel of the event when the receipt was stored; null for an event not held here. */
  channel: string | null
}

/** Proof of a fork: two signed events with one author and seq; `a_id` < `b_id`. */
export interface EquivocationsTable {
  id: Generated<number>
  channel: string
  author: string
  seq: number
  a_id: string
  a_raw: string
  b_id: string
  b_raw: string
  detected_at: number
}

// `escalation`: a notice deadline's ladder calls the officers on duty (features/escalation).
export type AlarmKind = 'equivocation' | 'heads_conflict' | 'escalation'

export interface AlarmsTable {
  id: Generated<number>
  kind: AlarmKind
  channel: string | null
  party: string | null
  details: JsonColumn
  raised_at: number
  cleared_at: number | null
}

export interface LedgerTables {
  parties: PartiesTable
  party_keys: PartyKeysTable
  channels: ChannelsTable
  channel_members: ChannelMembersTable
  events: EventsTable
  pending_events: PendingEventsTable
  receipts: ReceiptsTable
  receipt_events: ReceiptEventsTable
  equivocations: EquivocationsTable
  alarms: AlarmsTable
}
