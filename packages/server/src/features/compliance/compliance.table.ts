import type { JsonColumn } from '../../ledger/index.ts'

export interface ComplianceReportsTable {
  id: string
  channel: string
  /** The draft.create of the adopted agreement. */
  agreement: string
  /** The report that opened the thread (itself, for a first report). */
  thread: string
  author: string
  time: number
  body: JsonColumn
}

export interface ComplianceTables {
  compliance_reports: ComplianceReportsTable
}
