import type { Kysely } from 'kysely'
import type { DB } from '../store/tables.ts'
import { inTransaction } from './append-transaction.ts'
import type { AppendContext, AppendResult, BatchAppendResult } from './append-types.ts'
import { authenticateAll, type Checking } from './chain-state.ts'
import type { EventVerifier } from './event-verifier.ts'
import { settleBatch } from './pending-drain.ts'
import { storeChecked } from './store-checked.ts'

/**
 * Validates a signed event (DESIGN §4.4) against what this node holds and, when it holds,
 * stores it with its projections in one transaction. Idempotent: an event already stored
 * comes back as `duplicate`. An event that arrived before what it depends on waits in
 * `pending_events` (`pending`, with what to pull) and is applied as soon as that arrives; a
 * fork is kept as proof and raises an alarm.
 */
export async function appendEvent(
  db: Kysely<DB>,
  signed: unknown,
  ctx: AppendContext,
): Promise<AppendResult> {
  const { results, applied } = await appendEvents(db, [signed], ctx)
  const result = results[0]!
  if (result.status === 'stored') return { ...result, applied }
  if (result.status === 'pending' && applied.length > 0) return { ...result, applied }
  return result
}

/**
 * {@link appendEvent} for many events at once, as a push or a log page brings them: each is
 * validated on its own and in order (later events see the earlier ones), but signatures are
 * checked concurrently before any lock is taken, and everything is stored in ONE transaction
 * with a handful of queries, whatever the batch size. A failing transaction stores none of them.
 */
export async function appendEvents(
  db: Kysely<DB>,
  signedEvents: readonly unknown[] | AuthenticatedEvents,
  ctx: AppendContext,
): Promise<BatchAppendResult> {
  const { checked } = Array.isArray(signedEvents)
    ? await authenticateEvents(db, signedEvents, ctx.verifier)
    : (signedEvents as AuthenticatedEvents)
  const outcomes = await inTransaction(db, (trx) =>
    storeChecked(
      trx,
      checked.map((item) => ({ checked: item })),
      ctx,
    ),
  )
  return settleBatch(db, outcomes, ctx)
}

/** Events through steps 1–3 of DESIGN §4.4, ready for {@link appendEvents}. */
export interface AuthenticatedEvents {
  readonly checked: readonly Checking[]
}

/**
 * Steps 1–3 of a batch ahead of {@link appendEvents}: a node pulling a log checks the next
 * page's signatures while the page before it commits. They depend on pinned keys only.
 */
export async function authenticateEvents(
  db: Kysely<DB>,
  signedEvents: readonly unknown[],
  verifier?: EventVerifier,
): Promise<AuthenticatedEvents> {
  return { checked: await authenticateAll(db, signedEvents, verifier) }
}
