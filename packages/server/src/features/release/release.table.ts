import type { JsonColumn } from '../../ledger/ledger.table.ts'

/**
 * `approved`: a releaser said yes and the event is being signed; it becomes `released` with
 * the event's id, or `pending` again when the ledger refuses it.
 */
export type ReleaseStatus = 'pending' | 'approved' | 'released' | 'rejected'

/**
 * The release queue (DESIGN §6): formal items composed by a drafter that wait for another
 * officer with the releaser role. Nothing here is signed or federated until it is released.
 */
export interface ReleaseQueueTable {
  /** `r_` and 26 lowercase Crockford base32 digits. */
  id: string
  channel: string
  /** The hosted party the item will be signed as. */
  party: string
  type: string
  /** The composed body, exactly as it will be signed. */
  body: JsonColumn<Record<string, unknown>>
  /** The officer who composed it; the event carries this id as `officer`. */
  drafter: string
  created_at: number
  status: ReleaseStatus
  /** The releaser who approved or rejected it (cleared if the ledger refused the approved item). */
  decided_by: string | null
  decided_at: number | null
  /** Why it was rejected. */
  reason: string | null
  /** The id of the event it became, once released. */
  event_id: string | null
}

export interface ReleaseTables {
  release_queue: ReleaseQueueTable
}
