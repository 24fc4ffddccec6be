import { type Kysely, type RawBuilder, type Selectable, sql, type Transaction } from 'kysely'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'
import type { AuditLogTable } from './audit.table.ts'

type Executor = Kysely<DB> | Transaction<DB>

export type AuditRow = Selectable<AuditLogTable>

/**
 * The lock that serializes appends: every writer waits on it, readers do not. An advisory
 * lock rather than a table lock, so {@link insertAuditRowAfter} can take it in its statement.
 */
const AUDIT_LOCK = sql`pg_advisory_xact_lock(hashtextextended('parley/audit_log', 0))`

/** Serializes appends: every writer waits here, readers do not. */
export async function lockAuditLog(trx: Transaction<DB>): Promise<void> {
  await sql`select ${AUDIT_LOCK}`.execute(trx)
}

/**
 * Appends `row` in ONE statement, taking the writers' lock, when the log still ends with the
 * row it chains on (`row.prev`, null for the first): true when it did. False when another row
 * came first, which the writer then reads under the lock (as {@link lockAuditLog} and
 * {@link lastAuditRow}) before it chains on it.
 */
export async function insertAuditRowAfter(trx: Transaction<DB>, row: AuditRow): Promise<boolean> {
  const { rows } = await sql<{ seq: number }>`
    with writer as (select ${AUDIT_LOCK})
    insert into audit_log (seq, time, officer, party, action, details, prev, hash)
    select ${row.seq}::bigint, ${row.time}::bigint, ${row.officer}::text, ${row.party}::text,
      ${row.action}::text, ${jsonb(row.details)}::jsonb, ${row.prev}::text, ${row.hash}::text
    from writer
    where (select hash from audit_log order by seq desc limit 1) is not distinct from ${row.prev}::text
    on conflict (seq) do nothing
    returning seq`.execute(trx)
  return rows.length === 1
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
