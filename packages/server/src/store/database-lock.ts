import { type Kysely, sql } from 'kysely'
import { ServerError } from '../errors.ts'
import type { Database } from './database.ts'
import type { DB } from './tables.ts'

/** The advisory lock every Parley node and maintenance command takes on its database. */
const LOCK_KEY = '5067356855476569' // "PARLEY" and a version, as a bigint

export interface DatabaseLock {
  release(): Promise<void>
}

/**
 * Holds the database for as long as this node runs: a shared session advisory lock on a
 * connection kept for it, so nodes sharing one PostgreSQL run side by side while `parley
 * reindex` (which takes it exclusively) refuses to start, and a node will not start while a
 * reindex runs. On the same connection it takes an exclusive lock per hosted party (one
 * writer per party): one process signs and orders each party's chain, so what it keeps in
 * memory about that chain never goes stale behind its back, and two nodes configured for one
 * party on one database are caught at start instead of signing interleaved events. A node
 * that finds a party held refuses to start with `PARTY_IN_USE` rather than wait, so the twin
 * is seen at once and never takes over the chain when the first one stops. A node that dies lets go
 * with its session. Embedded PGlite admits one process, and keeping its one connection would
 * stall the node: the CLI checks the node's port instead (and PGlite's own lock file).
 */
export async function holdDatabase(
  database: Database,
  parties: readonly string[] = [],
  options: HoldOptions = {},
): Promise<DatabaseLock> {
  if (database.dialect !== 'postgres') return { release: async () => {} }
  let taken!: (held: Refusal | undefined) => void
  const decided = new Promise<Refusal | undefined>((resolve) => (taken = resolve))
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  const session = database.db.connection().execute(async (connection) => {
    if (!(await tryLock(connection, 'shared'))) {
      taken({ code: 'DATABASE_IN_USE', details: { reason: 'parley reindex is rebuilding it' } })
      return
    }
    const busy = await lockParties(connection, parties)
    if (busy !== undefined) {
      await sql`select pg_advisory_unlock_all()`.execute(connection)
      taken({ code: 'PARTY_IN_USE', details: { party: busy } })
      return
    }
    taken(undefined)
    // The connection is idle while held, so nothing else would see it die: a cheap statement
    // now and then does (and ends the session with its error), until the lock is released.
    const every = options.checkEveryMs ?? 2000
    let stop = false
    void released.then(() => (stop = true))
    while (!stop) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, every)
        timer.unref()
        void released.then(() => {
          clearTimeout(timer)
          resolve()
        })
      })
      if (!stop) await sql`select 1`.execute(connection)
    }
    await sql`select pg_advisory_unlock_all()`.execute(connection)
  })
  // A connection lost later takes the lock with it; nothing is left to undo then.
  const ended = session.then(
    () => undefined,
    (error: unknown) => error,
  )
  const refusal = await Promise.race([
    decided,
    ended.then((error) => Promise.reject(error ?? new Error('lock session ended'))),
  ])
  if (refusal !== undefined) {
    await ended
    throw new ServerError(refusal.code, refusal.details)
  }
  let releasing = false
  void ended.then((error) => {
    if (!releasing) options.onLost?.(error)
  })
  return {
    release: async () => {
      releasing = true
      release()
      await ended
    },
  }
}

export interface HoldOptions {
  /** The lock's connection ended while held (the database went away or ended the session). */
  readonly onLost?: (error: unknown) => void
  /** How often the held connection is checked (ms; default 2000). */
  readonly checkEveryMs?: number
}

export interface KeepOptions {
  /** Why the lock was lost and each failed try to take it again. */
  readonly warn: (details: Record<string, unknown>, message: string) => void
  /** Another process took the database or a party meanwhile: this node must stop writing. */
  readonly onTaken: (error: ServerError) => void
  /** Between tries to take the lock again while the database is away (ms). */
  readonly retryMs?: number
  /** How often the held connection is checked (ms; default 2000). */
  readonly checkEveryMs?: number
}

/**
 * `holdDatabase`, kept for the node's whole run. A lost connection takes the session's locks
 * with it, and while they are gone a second node for the same party, or `parley reindex`,
 * could start beside this one; so the node takes them again as soon as the database answers,
 * and if another process holds them by then it is told (`onTaken`: `PARTY_IN_USE` or
 * `DATABASE_IN_USE`) and stops. Its posts meanwhile are safe from a twin all the same: each
 * chain's next seq is unique in the database, so a stale writer's commit is refused.
 */
export async function keepDatabase(
  database: Database,
  parties: readonly string[],
  options: KeepOptions,
): Promise<DatabaseLock> {
  let current: DatabaseLock | undefined
  let closed = false
  let retry: ReturnType<typeof setTimeout> | undefined
  const hold = () => holdDatabase(database, parties, { onLost, checkEveryMs: options.checkEveryMs })
  const again = async () => {
    retry = undefined
    if (closed) return
    try {
      current = await hold()
      options.warn({}, 'database lock taken again')
      if (closed) await current.release()
    } catch (error) {
      if (
        error instanceof ServerError &&
        (error.code === 'PARTY_IN_USE' || error.code === 'DATABASE_IN_USE')
      ) {
        options.onTaken(error)
        return
      }
      options.warn({ err: error }, 'database lock not taken again yet')
      retry = setTimeout(again, options.retryMs ?? 1000)
    }
  }
  function onLost(error: unknown) {
    current = undefined
    if (closed) return
    options.warn({ err: error }, 'database lock lost with its connection: taking it again')
    void again()
  }
  current = await hold()
  return {
    release: async () => {
      closed = true
      clearTimeout(retry)
      await current?.release()
    },
  }
}

/**
 * Runs maintenance work on one connection that holds the lock exclusively, so no node runs on
 * the database meanwhile. Throws `DATABASE_IN_USE` while a node holds it.
 */
export async function withDatabaseExclusively<T>(
  db: Kysely<DB>,
  work: (connection: Kysely<DB>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (connection) => {
    if (!(await tryLock(connection, 'exclusive'))) {
      throw new ServerError('DATABASE_IN_USE', { reason: 'a node is running on it; stop it first' })
    }
    const unlock = () => sql`select pg_advisory_unlock(${LOCK_KEY}::bigint)`.execute(connection)
    let result: T
    try {
      result = await work(connection)
    } catch (error) {
      // The connection may be what failed, and the lock went with it: the first error tells.
      await unlock().catch(() => {})
      throw error
    }
    await unlock()
    return result
  })
}

interface Refusal {
  readonly code: 'DATABASE_IN_USE' | 'PARTY_IN_USE'
  readonly details: Record<string, string>
}

/**
 * Takes every party's writer lock, in one statement; the first party another session holds,
 * or undefined when all are taken. The key is derived from the party id in its own namespace
 * (`party\n<id>`), apart from the chain locks of `lockChains` (`<channel>\n<author>`).
 */
async function lockParties(
  connection: Kysely<DB>,
  parties: readonly string[],
): Promise<string | undefined> {
  if (parties.length === 0) return undefined
  const { rows } = await sql<{ party: string; held: boolean }>`
    select p.party, pg_try_advisory_lock(hashtextextended('party' || chr(10) || p.party, 0)) as held
    from unnest(${[...parties].sort()}::text[]) as p(party)`.execute(connection)
  return rows.find((row) => !row.held)?.party
}

async function tryLock(connection: Kysely<DB>, mode: 'shared' | 'exclusive'): Promise<boolean> {
  const { rows } = await (mode === 'shared'
    ? sql<{ held: boolean }>`select pg_try_advisory_lock_shared(${LOCK_KEY}::bigint) as held`
    : sql<{ held: boolean }>`select pg_try_advisory_lock(${LOCK_KEY}::bigint) as held`
  ).execute(connection)
  return rows[0]!.held
}
