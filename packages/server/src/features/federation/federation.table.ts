import type { Generated } from 'kysely'
import type { JsonColumn } from '../../ledger/ledger.table.ts'

/**
 * The transactional outbox (DESIGN §4.7): one row per event and destination node, written in
 * the transaction that appends the event. Rows stay after delivery, so the API can show each
 * event's delivery state per recipient node.
 */
export interface OutboxTable {
  /** Enqueue order; a destination's worker pushes its rows in this order. */
  id: Generated<number>
  destination: string
  event_id: string
  enqueued_at: number
  delivered_at: number | null
  /** The receipt that covers the event, once the destination signed one. */
  receipt_id: string | null
  /** Set when the destination rejected the event for good (its code); never retried. */
  rejected_code: string | null
}

/** A peer node (a federation base URL) and the parties it hosts, with its delivery health. */
export interface PeerNodesTable {
  url: string
  node: string | null
  /** First failed push or pull since the last success: "unreachable since T". */
  failing_since: number | null
  /** The last failure's code (`PEER_UNREACHABLE`, `PEER_BINDING_FAILED`…). */
  last_error: string | null
  /** Its status and reason, which never name a channel. */
  last_error_detail: JsonColumn<PeerFailureDetail> | null
  /** The channels whose exchanges failed in this streak, shown only to who may see them. */
  failing_channels: JsonColumn<string[]> | null
  last_success_at: number | null
  /** When the URL last proved, by hello, that it holds its parties' pinned keys. */
  bound_at: number | null
}

/** What a failed exchange says beside its code; never a channel id, never the peer's bytes. */
export interface PeerFailureDetail {
  readonly status?: number
  readonly reason?: string
}

/** Which node to push a party's events to. */
export interface PeerPartiesTable {
  party: string
  url: string
}

export interface FederationTables {
  outbox: OutboxTable
  peer_nodes: PeerNodesTable
  peer_parties: PeerPartiesTable
}
