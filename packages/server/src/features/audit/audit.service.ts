import { canonicalJson, sha256Hex, utf8 } from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../store/tables.ts'
import { auditRows, insertAuditRow, lastAuditRow, lockAuditLog } from './audit.repository.ts'

/** One thing an officer (or the node, or the operator's CLI) did, as the audit log records it. */
export interface AuditEntry {
  readonly time: number
  /** Dotted and lower case: `login`, `login.failed`, `officer.roles`, `release.approve`. */
  readonly action: string
  /** The officer who acted; null for the node itself and for the operator's CLI. */
  readonly officer: string | null
  /** The party the action belongs to; null for node-wide actions. */
  readonly party: string | null
  /** Integers, strings, booleans and nulls only (the row is hashed as canonical JSON). */
  readonly details?: Readonly<Record<string, unknown>>
}

/** An audit log row as stored and as the API shows it. */
export interface AuditRecord {
  readonly seq: number
  readonly time: number
  readonly officer: string | null
  readonly party: string | null
  readonly action: string
  readonly details: Readonly<Record<string, unknown>>
  readonly prev: string | null
  readonly hash: string
}

/**
 * The hash of an audit row: lowercase hex SHA-256 of the canonical JSON (RFC 8785) of every
 * column but `hash`, `prev` included, so each row commits to the whole log before it.
 */
export async function auditRowHash(row: Omit<AuditRecord, 'hash'>): Promise<string> {
  const { seq, time, officer, party, action, details, prev } = row
  return sha256Hex(utf8(canonicalJson({ seq, time, officer, party, action, details, prev })))
}

/**
 * Appends an entry to the hash-chained audit log and returns the row. Given a transaction it
 * appends inside it, so the entry commits (or rolls back) with the action it records.
 *
 * @example await audit(app.db, { time: app.now(), action: 'release.approve',
 *   officer: request.officer.id, party: request.officer.party, details: { item } })
 */
export async function audit(
  db: Kysely<DB> | Transaction<DB>,
  entry: AuditEntry,
): Promise<AuditRecord> {
  if (!db.isTransaction) return db.transaction().execute((trx) => audit(trx, entry))
  const trx = db as Transaction<DB>
  await lockAuditLog(trx)
  const last = await lastAuditRow(trx)
  const unhashed = {
    seq: (last?.seq ?? 0) + 1,
    time: entry.time,
    officer: entry.officer,
    party: entry.party,
    action: entry.action,
    details: { ...entry.details },
    prev: last?.hash ?? null,
  }
  const row: AuditRecord = { ...unhashed, hash: await auditRowHash(unhashed) }
  await insertAuditRow(trx, row)
  return row
}

/** Audit rows after `after` (a seq), oldest first; `party` limits them to one party's. */
export function listAudit(
  db: Kysely<DB>,
  options: { readonly after?: number; readonly limit?: number; readonly party?: string } = {},
): Promise<AuditRecord[]> {
  return auditRows(db, {
    after: options.after ?? 0,
    limit: options.limit ?? 100,
    ...(options.party === undefined ? {} : { party: options.party }),
  })
}

/** Why a row breaks the chain. */
export type AuditBreak = 'seq-gap' | 'prev-mismatch' | 'hash-mismatch'

/** The outcome of recomputing the whole chain. */
export type AuditVerification =
  | { readonly ok: true; readonly rows: number; readonly head: string | null }
  | {
      readonly ok: false
      readonly rows: number
      readonly broken: { readonly seq: number; readonly reason: AuditBreak }
    }

/**
 * Recomputes the audit chain from seq 1 and reports the first row that does not hold: a
 * missing seq, a `prev` that is not the previous row's hash, or a row whose content no longer
 * matches its hash. Rows deleted from the end leave no trace here; compare `head` with a
 * value recorded earlier to catch that.
 */
export async function verifyAuditChain(
  db: Kysely<DB>,
  options: { readonly pageSize?: number } = {},
): Promise<AuditVerification> {
  const pageSize = options.pageSize ?? 1000
  let expectedSeq = 1
  let prev: string | null = null
  for (;;) {
    const page = await auditRows(db, { after: expectedSeq - 1, limit: pageSize })
    for (const row of page) {
      const rows = expectedSeq - 1
      if (row.seq !== expectedSeq)
        return { ok: false, rows, broken: { seq: row.seq, reason: 'seq-gap' } }
      if (row.prev !== prev) {
        return { ok: false, rows, broken: { seq: row.seq, reason: 'prev-mismatch' } }
      }
      if ((await auditRowHash(row)) !== row.hash) {
        return { ok: false, rows, broken: { seq: row.seq, reason: 'hash-mismatch' } }
      }
      prev = row.hash
      expectedSeq += 1
    }
    if (page.length < pageSize) return { ok: true, rows: expectedSeq - 1, head: prev }
  }
}
