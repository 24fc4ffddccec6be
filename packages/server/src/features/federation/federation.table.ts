import type { Generated } from 'kysely'

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
  last_error: string | null
  last_success_at: number | null
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
