import type { JsonColumn } from '../../ledger/index.ts'

export interface RedlinesTable {
  /** The id of its redline.declare. */
  id: string
  channel: string
  party: string
  /** 1 at the declaration, one more per revision or withdrawal. */
  version: number
  status: 'standing' | 'withdrawn'
  /** The red line as it stands (the body of its last declare or revise). */
  current: JsonColumn
  declared_at: number
  updated_at: number
}

export interface RedlineVersionsTable {
  event_id: string
  redline: string
  channel: string
  party: string
  version: number
  kind: 'declare' | 'revise' | 'withdraw'
  body: JsonColumn
  time: number
}

export interface RedlineTables {
  redlines: RedlinesTable
  redline_versions: RedlineVersionsTable
}
