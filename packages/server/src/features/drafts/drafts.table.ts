import type { JsonColumn } from '../../ledger/index.ts'

export interface DraftsTable {
  /** The id of its draft.create. */
  id: string
  channel: string
  creator: string
  created_at: number
  /** The signed draft.create, `{ event, sig }`. */
  genesis: JsonColumn
  /** What the draft's events add up to (`DraftState`), recomputed from the set at each event. */
  state: JsonColumn
}

export interface DraftEventsTable {
  event_id: string
  draft: string
  author: string
  seq: number
  time: number
  type: 'draft.propose' | 'draft.accept' | 'draft.adopt'
  body: JsonColumn
}

export interface DraftTables {
  drafts: DraftsTable
  draft_events: DraftEventsTable
}
