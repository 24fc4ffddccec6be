import { type Kysely, type Selectable, sql, type Transaction } from 'kysely'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'
import type { AuditLogTable } from './audit.table.ts'

type Executor = Kysely<DB> | Transaction<DB>

export type AuditRow = Selectable<AuditLogTable>

/** Serializes appends: every writer waits here, readers do not. */
export async function lockAuditLog(trx: Transaction<DB>): Promise<void> {
  await sql`lock table audit_log in exclusive mode`.execute(trx)
}

export async function lastAuditRow(db: Executor): Promise<AuditRow | undefined> {
  return db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst()
}

export async function insertAuditRow(db: Executor, row: AuditRow): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ ...row, details: jsonb(row.details) })
    .execute()
}

/** Rows after `after` in seq order, optionally of one party only. */
export async function auditRows(
  db: Executor,
  options: { readonly after: number; readonly limit: number; readonly party?: string },
): Promise<AuditRow[]> {
  let query = db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>', options.after)
    .orderBy('seq')
    .limit(options.limit)
  if (options.party !== undefined) query = query.where('party', '=', options.party)
  return query.execute()
}
