import type { JsonColumn } from '../../ledger/ledger.table.ts'

/**
 * The local audit log (DESIGN §6): append-only and hash-chained, so a row changed behind the
 * node's back breaks the chain at that row.
 */
export interface AuditLogTable {
  seq: number
  time: number
  /** The officer who acted, or null for the node itself and the operator's CLI. */
  officer: string | null
  /** The party the action belongs to; admins see their own party's entries. */
  party: string | null
  action: string
  details: JsonColumn<Record<string, unknown>>
  /** The previous row's hash, null for seq 1. */
  prev: string | null
  hash: string
}

export interface AuditTables {
  audit_log: AuditLogTable
}
