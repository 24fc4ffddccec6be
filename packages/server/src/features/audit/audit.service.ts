import type { PageQuery } from '@parley/api'
import { canonicalJson, sha256Hex, utf8 } from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import { type Keyset, type Page, readPage } from '../../store/keyset.ts'
import type { DB } from '../../store/tables.ts'
import {
  auditRange,
  auditRows,
  insertAuditRow,
  insertAuditRowAfter,
  lastAuditRow,
  lockAuditLog,
} from './audit.repository.ts'

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
  const row = await chained(entry, await lastAuditRow(trx))
  await insertAuditRow(trx, row)
  return row
}

/**
 * Where this process last saw the audit log end: a guess that lets {@link appendAudit} write
 * an entry in one statement. Another writer (a second process, the CLI, an entry written by
 * {@link audit}) or a rolled-back transaction makes it stale; the insert then finds that the
 * log ends elsewhere and the entry is chained on the real end, so a stale guess costs two
 * statements and never a fork. One per app, as the node's state is.
 */
export class AuditTail {
  last: { readonly seq: number; readonly hash: string } | null | undefined
}

/** {@link audit} inside `trx`, in one statement when `tail` knows where the log ends. */
export async function appendAudit(
  trx: Transaction<DB>,
  tail: AuditTail,
  entry: AuditEntry,
): Promise<AuditRecord> {
  if (tail.last !== undefined) {
    const row = await chained(entry, tail.last)
    if (await insertAuditRowAfter(trx, row)) {
      tail.last = row
      return row
    }
  }
  const row = await audit(trx, entry)
  tail.last = row
  return row
}

async function chained(
  entry: AuditEntry,
  last: { readonly seq: number; readonly hash: string } | null | undefined,
): Promise<AuditRecord> {
  const unhashed = {
    seq: (last?.seq ?? 0) + 1,
    time: entry.time,
    officer: entry.officer,
    party: entry.party,
    action: entry.action,
    details: storable(entry.details ?? {}) as Record<string, unknown>,
    prev: last?.hash ?? null,
  }
  return { ...unhashed, hash: await auditRowHash(unhashed) }
}

/**
 * A value the audit can always hash and store: what it records comes from requests, and a
 * string holding U+0000 or a lone surrogate (a login name, say) must still be recorded, not
 * fail the write and roll back what it records. Such characters are written as the escape
 * that spells them (`\ud800` as six characters), and a backslash of that string is doubled, so
 * the escape reads back unambiguously.
 */
export function storable(value: unknown): unknown {
  if (typeof value === 'string') return escapeUnstorable(value)
  if (Array.isArray(value)) return value.map(storable)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, member]) => [escapeUnstorable(key), storable(member)]),
    )
  }
  return value
}

function escapeUnstorable(text: string): string {
  if (text.isWellFormed() && !text.includes('\u0000')) return text
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is what must be escaped
    /\\|\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (unit) => (unit === '\\' ? '\\\\' : `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`),
  )
}

/**
 * Audit rows after `after` (a seq), oldest first. `party` limits them to what that party's
 * admins see: the party's own rows, and the node's door, the failed logins and lock-outs that
 * belong to no party (an unknown username, an address), which every hosted party's admins
 * watch alike.
 */
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

const auditKeyset: Keyset<AuditRecord> = {
  scope: 'audit',
  columns: ['seq'],
  kinds: ['int'],
  key: (row) => [row.seq],
}

/** A page of the audit log in the shared page shape (newest page by default), oldest first. */
export function auditPage(
  db: Kysely<DB>,
  query: PageQuery,
  party?: string,
): Promise<Page<AuditRecord>> {
  return readPage(auditKeyset, query, (where, direction, limit) =>
    auditRange(db, { where, direction, limit, ...(party === undefined ? {} : { party }) }),
  )
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
