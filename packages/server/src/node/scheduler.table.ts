import type { ColumnType, Generated } from 'kysely'
import type { JsonColumn } from '../ledger/ledger.table.ts'

/**
 * Where a job stands: waiting for its due time (or its next retry), held by a lease while a
 * handler runs it, done, or dead after its last allowed attempt failed.
 */
export type JobState = 'pending' | 'running' | 'done' | 'dead'

/** A durable job of the scheduler. Times are ms on the node's clock. */
export interface JobsTable {
  id: Generated<number>
  kind: string
  /** Unique within its kind: what makes scheduling the same deadline twice one job. */
  key: string
  payload: JsonColumn
  state: JobState
  /** When it may run next: its deadline, then after a failure its retry time. */
  due_at: number
  /** Claims so far, each counted when the job is leased. */
  attempts: ColumnType<number, number | undefined, number>
  last_error: string | null
  /** The scheduler instance holding the lease, while running. */
  leased_by: string | null
  /** When a lease not renewed lapses and another instance may claim the job again. */
  leased_until: number | null
  created_at: number
  finished_at: number | null
}

export interface SchedulerTables {
  jobs: JobsTable
}
