import {
  type Authenticated,
  authenticateEvent,
  checkPlacement,
  type Event,
  type Rejection,
} from '@parley/protocol'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import type { AppendContext } from './append-types.ts'
import type { EventVerifier } from './event-verifier.ts'
import { pinnedKeysOf } from './keys.ts'
import { type Hints, hintsOf, referencesOf, type ViewCache, validateWith } from './receiver-view.ts'

export type Checking = ({ ok: true } & Authenticated) | Rejection

/**
 * DESIGN §4.4 steps 1–3 for every event, concurrently: they depend on pinned keys only, so
 * they run before any lock is taken, and the crypto of a batch keeps every core busy (on the
 * node's worker threads, when it has a `verifier`).
 */
export async function authenticateAll(
  db: Kysely<DB>,
  signedEvents: readonly unknown[],
  verifier?: EventVerifier,
): Promise<Checking[]> {
  const authors = new Set<string>()
  for (const signed of signedEvents) {
    const { author } = hintsOf(signed)
    if (author !== undefined) authors.add(author)
  }
  const keys = await pinnedKeysOf(db, [...authors])
  if (verifier !== undefined) return verifier.authenticate(signedEvents, keys)
  return Promise.all(
    signedEvents.map((signed) => authenticateEvent(signed, (party) => keys.get(party) ?? [])),
  )
}

/** Steps 4–7 for one authenticated event, against the batch's view of its channel. */
export function place(
  trx: Transaction<DB>,
  cache: ViewCache,
  ctx: AppendContext,
  checked: { event: Event; id: string },
) {
  return validateWith(trx, cache, ctx, checked.event.channel, (view) =>
    checkPlacement({ ...checked, sig: '' }, view),
  )
}

export function hintsOfEvent(event: Event): Hints {
  return {
    channel: event.channel,
    author: event.author,
    seq: event.seq,
    heads: Object.entries(event.heads).map(([party, head]) => ({ party, seq: head.seq })),
    references: referencesOf(event.body),
  }
}

/**
 * Serializes appends to each chain a transaction writes. An advisory lock exists before the
 * chain has any row and works alike on PostgreSQL and PGlite; the transaction's end releases
 * it. Locks are taken in one global order, so two batches never wait for each other in a cycle,
 * and in one statement (unnest yields the sorted keys in order, one lock after the other), so a
 * group commit over many chains pays one round trip for them all.
 */
export async function lockChains(
  trx: Transaction<DB>,
  events: readonly { readonly channel: string; readonly author: string }[],
): Promise<void> {
  const keys = [...new Set(events.map(({ channel, author }) => `${channel}\n${author}`))].sort()
  if (keys.length === 0) return
  await sql`select pg_advisory_xact_lock(hashtextextended(key, 0))
    from unnest(${keys}::text[]) as k(key)`.execute(trx)
}
