import type { JsonColumn } from '../../ledger/ledger.table.ts'

/** One version of a party's directory entry, as the first event carrying it said. */
export interface DirectoryVersionsTable {
  party: string
  version: number
  contacts: JsonColumn
  event: string
  channel: string
  officer: string | null
  /** The event's signed time. */
  time: number
}

export interface DirectoryTables {
  directory_versions: DirectoryVersionsTable
}
