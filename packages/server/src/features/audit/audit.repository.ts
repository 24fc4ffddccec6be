import { type Kysely, type RawBuilder, type Selectable, sql, type Transaction } from 'kysely'
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

/**
 * Actions without a party that every admin sees: attempts at the node's door, and changes to
 * the node's peers made from the config or the CLI (where every hosted party's mail goes).
 */
const NODE_WIDE_ACTIONS = ['login.failed', 'login.locked', 'peer.add', 'peer.url', 'peer.remove']

/** Rows after `after` in seq order, optionally of what one party's admins see. */
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
  const { party } = options
  if (party !== undefined) {
    query = query.where((where) =>
      where.or([
        where('party', '=', party),
        where.and([where('party', 'is', null), where('action', 'in', NODE_WIDE_ACTIONS)]),
      ]),
    )
  }
  return query.execute()
}

/**
 * One keyset page of the audit log (by seq, the primary key): `where` and `direction` from the
 * shared pager, optionally what one party's admins see.
 */
export async function auditRange(
  db: Executor,
  options: {
    readonly where: RawBuilder<boolean> | undefined
    readonly direction: 'asc' | 'desc'
    readonly limit: number
    readonly party?: string
  },
): Promise<AuditRow[]> {
  let query = db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('seq', options.direction)
    .limit(options.limit)
  if (options.where !== undefined) query = query.where(options.where)
  const { party } = options
  if (party !== undefined) {
    query = query.where((where) =>
      where.or([
        where('party', '=', party),
        where.and([where('party', 'is', null), where('action', 'in', NODE_WIDE_ACTIONS)]),
      ]),
    )
  }
  return query.execute()
}
