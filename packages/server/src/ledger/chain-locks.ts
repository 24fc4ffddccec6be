import { sql } from 'kysely'

/** The chains' lock keys, in the one global order every writer takes them in. */
export function chainKeys(
  events: readonly { readonly channel: string; readonly author: string }[],
): string[] {
  return [...new Set(events.map(({ channel, author }) => `${channel}\n${author}`))].sort()
}

/**
 * An expression that takes the chain locks of `keys` one after the other (unnest yields them in
 * order) and counts them. Inside a query's WHERE it is a one-time filter, run before anything
 * else the query reads.
 */
export function chainLocks(keys: readonly string[]) {
  return sql<number>`(select count(pg_advisory_xact_lock(hashtextextended(key, 0)))
    from unnest(${keys}::text[]) as k(key))`
}
