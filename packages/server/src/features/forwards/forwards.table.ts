import type { JsonColumn } from '../../ledger/index.ts'

export interface ForwardedItemsTable {
  /** The id of the forward event. */
  forward: string
  item: number
  channel: string
  from_channel: string
  forwarded_by: string
  forwarded_at: number
  /** The original signed event, `{ event, sig }`, as forwarded. */
  original: JsonColumn
}

export interface ForwardTables {
  forwarded_items: ForwardedItemsTable
}
