import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely'
import { forgetSessions, updateCachedSession } from '../../node/session-cache.ts'
import type { DB } from '../../store/tables.ts'
import type { ChallengeKind, SessionsTable } from './sessions.table.ts'

type Executor = Kysely<DB> | Transaction<DB>

export type SessionRow = Selectable<SessionsTable>

/** A session with what each request needs to know about its officer, in one query. */
export interface SessionWithOfficer extends SessionRow {
  readonly party: string
  readonly roles: string[]
  readonly disabled: boolean
  readonly officer_epoch: number
  readonly must_change_password: boolean
  readonly has_second_factor: boolean
}

export async function insertSession(db: Executor, row: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(row).execute()
}

export async function sessionWithOfficer(
  db: Executor,
  idHash: string,
): Promise<SessionWithOfficer | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('officers', 'officers.id', 'sessions.officer')
    .selectAll('sessions')
    .select([
      'officers.party',
      'officers.roles',
      'officers.privilege_epoch as officer_epoch',
      'officers.must_change_password',
      sql<boolean>`officers.disabled_at is not null`.as('disabled'),
      sql<boolean>`officers.totp_secret is not null or exists (
        select 1 from officer_passkeys where officer_passkeys.officer = officers.id)`.as(
        'has_second_factor',
      ),
    ])
    .where('sessions.id_hash', '=', idHash)
    .executeTakeFirst()
  return row
}

export async function deleteSession(db: Executor, idHash: string): Promise<void> {
  forgetSessions()
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute()
}

/** Ends every session of an officer, except `keep` when given. */
export async function deleteSessionsOf(
  db: Executor,
  officer: string,
  keep?: string,
): Promise<void> {
  forgetSessions()
  let query = db.deleteFrom('sessions').where('officer', '=', officer)
  if (keep !== undefined) query = query.where('id_hash', '!=', keep)
  await query.execute()
}

export async function touchSession(db: Executor, idHash: string, now: number): Promise<void> {
  updateCachedSession<SessionWithOfficer>(idHash, (row) => ({ ...row, last_seen_at: now }))
  await db
    .updateTable('sessions')
    .set({ last_seen_at: now })
    .where('id_hash', '=', idHash)
    .execute()
}

/** Gives a session a new id (and privilege epoch); false when it was gone already. */
export async function renameSession(
  db: Executor,
  idHash: string,
  next: { readonly idHash: string; readonly epoch: number; readonly now: number },
): Promise<boolean> {
  forgetSessions()
  const result = await db
    .updateTable('sessions')
    .set({ id_hash: next.idHash, privilege_epoch: next.epoch, last_seen_at: next.now })
    .where('id_hash', '=', idHash)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function setChallenge(
  db: Executor,
  idHash: string,
  challenge: { readonly value: string; readonly kind: ChallengeKind; readonly expiresAt: number },
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({
      challenge: challenge.value,
      challenge_kind: challenge.kind,
      challenge_expires_at: challenge.expiresAt,
    })
    .where('id_hash', '=', idHash)
    .execute()
}

/** Takes the session's pending challenge of `kind` (it is good for one attempt), or null. */
export async function takeChallenge(
  trx: Transaction<DB>,
  idHash: string,
  kind: ChallengeKind,
  now: number,
): Promise<string | null> {
  const row = await trx
    .selectFrom('sessions')
    .select(['challenge', 'challenge_kind', 'challenge_expires_at'])
    .where('id_hash', '=', idHash)
    .forUpdate()
    .executeTakeFirst()
  if (row?.challenge == null) return null
  await trx
    .updateTable('sessions')
    .set({ challenge: null, challenge_kind: null, challenge_expires_at: null })
    .where('id_hash', '=', idHash)
    .execute()
  const live = row.challenge_kind === kind && (row.challenge_expires_at ?? 0) > now
  return live ? row.challenge : null
}

/** Until when `key` is locked out, or null. */
export async function lockedUntil(db: Executor, key: string, now: number): Promise<number | null> {
  const row = await db
    .selectFrom('login_failures')
    .select('locked_until')
    .where('key', '=', key)
    .executeTakeFirst()
  return row?.locked_until != null && row.locked_until > now ? row.locked_until : null
}

/**
 * Counts a failed login against `key` within a window of `window` ms; at `threshold` failures
 * the key is locked for `window` ms. Returns the lock's end when this failure set it.
 */
export async function recordFailure(
  trx: Transaction<DB>,
  key: string,
  now: number,
  window: number,
  threshold: number,
): Promise<number | null> {
  const row = await trx
    .selectFrom('login_failures')
    .selectAll()
    .where('key', '=', key)
    .forUpdate()
    .executeTakeFirst()
  const fresh = row === undefined || now - row.window_start >= window
  const failures = fresh ? 1 : row.failures + 1
  const windowStart = fresh ? now : row.window_start
  const lockUntil = failures >= threshold ? now + window : null
  await trx
    .insertInto('login_failures')
    .values({
      key,
      // A lock starts a new count: after it ends, the full number of attempts is available.
      failures: lockUntil === null ? failures : 0,
      window_start: lockUntil === null ? windowStart : lockUntil,
      locked_until: lockUntil ?? row?.locked_until ?? null,
    })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => ({
        failures: eb.ref('excluded.failures'),
        window_start: eb.ref('excluded.window_start'),
        locked_until: eb.ref('excluded.locked_until'),
      })),
    )
    .execute()
  return lockUntil
}

/**
 * Deletes sessions past their timeouts (those never presented again would stay forever) and
 * failure counters whose window and lock are over.
 */
export async function purgeStale(
  db: Executor,
  now: number,
  limits: { readonly idle: number; readonly window: number },
): Promise<void> {
  forgetSessions()
  await db
    .deleteFrom('sessions')
    .where((eb) =>
      eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - limits.idle)]),
    )
    .execute()
  await db
    .deleteFrom('login_failures')
    .where('window_start', '<=', now - limits.window)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .execute()
}

export async function clearFailures(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('login_failures').where('key', '=', key).execute()
}
