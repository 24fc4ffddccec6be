/**
 * The session lookup of every officer request, kept in process: a session row (joined with its
 * officer) by its id hash. Every write that can change what such a row says (logout, revoke,
 * password reset, disable, roles, second factors, the privilege epoch) calls
 * {@link forgetSessions} first, so the next request reads the database again. Entries also age
 * out after {@link SESSION_CACHE_TTL_MS}: that bounds what another process writing to the same
 * PostgreSQL (the CLI, a second node) can leave stale, and a request that read the row while a
 * change's transaction was still open.
 */
export const SESSION_CACHE_TTL_MS = 2_000
const MAX_ENTRIES = 10_000

interface Entry {
  readonly row: unknown
  readonly at: number
}

const entries = new Map<string, Entry>()
let generation = 0

/** The cached row of a session, while it is fresh. */
export function cachedSession<T>(idHash: string, now: number): T | undefined {
  const entry = entries.get(idHash)
  if (entry === undefined) return undefined
  if (now - entry.at >= SESSION_CACHE_TTL_MS || now < entry.at) {
    entries.delete(idHash)
    return undefined
  }
  return entry.row as T
}

/** The generation to hand {@link rememberSession}: read it before reading the row. */
export function sessionGeneration(): number {
  return generation
}

/** Keeps a row read at `readAt` under generation `since`, unless a change came in meanwhile. */
export function rememberSession(idHash: string, row: unknown, since: number, now: number): void {
  if (since !== generation) return
  if (entries.size >= MAX_ENTRIES) entries.clear()
  entries.set(idHash, { row, at: now })
}

/** Updates a cached row in place of a write the row itself records (`last_seen_at`). */
export function updateCachedSession<T>(idHash: string, update: (row: T) => T): void {
  const entry = entries.get(idHash)
  if (entry !== undefined) entries.set(idHash, { row: update(entry.row as T), at: entry.at })
}

/** Forgets every cached session: a session or officer row is about to change. */
export function forgetSessions(): void {
  generation++
  entries.clear()
}
