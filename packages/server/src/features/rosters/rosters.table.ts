import type { JsonColumn } from '../../ledger/ledger.table.ts'

/** A hosted party's duty roster: weekly shifts and one-off overrides, as one document. */
export interface DutyRostersTable {
  party: string
  roster: JsonColumn
  updated_at: number
  updated_by: string | null
}

export interface RosterTables {
  duty_rosters: DutyRostersTable
}
