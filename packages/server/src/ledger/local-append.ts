import { createHash } from 'node:crypto'
import {
  type Behind,
  type Event,
  type EventFields,
  isProtocolError,
  type PartyKey,
  type PreparedEvent,
  pinnedKeyAt,
  prepareEvent,
  type Signer,
  signPreparedEvent,
} from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import { inTransaction } from './append-transaction.ts'
import type { AppendContext, AppendResult, BatchAppendResult, Outcome } from './append-types.ts'
import { lockChains, place } from './chain-state.ts'
import { afterStore, EventRows } from './event-rows.ts'
import { rejectedBy } from './evidence.ts'
import { pinnedKeysOf } from './keys.ts'
import { settleBatch } from './pending-drain.ts'
import { preloadView, recordStored, referencesOf } from './receiver-view.ts'

/** What a hosted party wants to say; the ledger fills in seq, prev, heads and time. */
export interface LocalDraft {
  readonly channel: string
  readonly author: string
  readonly type: Event['type']
  readonly body: Event['body']
  readonly officer?: string
}

/**
 * Builds, signs and stores an event of a hosted party in one transaction, holding the lock of
 * its chain, so two officers posting at once never fork their own party's chain. `heads`
 * lists every other author of the channel this node holds. A draft the protocol would refuse
 * comes back `rejected` with the protocol's code, and nothing is stored.
 */
export async function appendLocalEvent(
  db: Kysely<DB>,
  draft: LocalDraft,
  signer: Signer,
  ctx: AppendContext,
): Promise<AppendResult> {
  const { results, applied } = await appendLocalEvents(db, [{ draft, signer }], ctx)
  const result = results[0]!
  return result.status === 'stored' ? { ...result, applied } : result
}

/** One draft of {@link appendLocalEvents} and the key that signs it. */
export interface LocalAppend {
  readonly draft: LocalDraft
  readonly signer: Signer
}

/**
 * {@link appendLocalEvent} for many drafts in ONE transaction (group commit): each draft chains
 * on the ones before it, as if they had been appended one after the other, and a refused draft
 * takes no seq. The events are signed concurrently once their ids are known (an id does not
 * cover the signature). Nothing is stored unless the whole transaction commits.
 */
export async function appendLocalEvents(
  db: Kysely<DB>,
  items: readonly LocalAppend[],
  ctx: AppendContext,
): Promise<BatchAppendResult> {
  const keys = await pinnedKeysOf(db, [...new Set(items.map(({ draft }) => draft.author))])
  const outcomes = await inTransaction(db, (trx) => storeLocal(trx, items, keys, ctx))
  return settleBatch(db, outcomes, ctx)
}

/** Builds, checks, signs and stores drafts of hosted parties, in order, in one transaction. */
async function storeLocal(
  trx: Transaction<DB>,
  items: readonly LocalAppend[],
  keys: ReadonlyMap<string, readonly PartyKey[]>,
  ctx: AppendContext,
): Promise<Outcome[]> {
  const drafts = items.map(({ draft }) => draft)
  await lockChains(trx, drafts)
  const cache = await preloadView(
    trx,
    drafts.map((draft) => ({
      channel: draft.channel,
      author: draft.author,
      seq: undefined,
      heads: [],
      references: referencesOf(draft.body),
    })),
  )
  const accepted: { prepared: PreparedEvent; signer: Signer; behind: readonly Behind[] }[] = []
  const outcomes: (Outcome | number)[] = []
  for (const { draft, signer } of items) {
    const heads = cache.heads.get(draft.channel) ?? new Map()
    const own = heads.get(draft.author)
    const others: Record<string, { seq: number; id: string }> = {}
    for (const [party, head] of heads) {
      if (party !== draft.author) others[party] = { seq: head.seq, id: head.id }
    }
    const fields = {
      channel: draft.channel,
      author: draft.author,
      seq: (own?.seq ?? 0) + 1,
      prev: own?.id ?? null,
      heads: others,
      // Never earlier than the previous event, even when the clock stepped back.
      time: Math.max(ctx.now, own?.time ?? 0),
      type: draft.type,
      officer: draft.officer,
      body: draft.body,
    } as EventFields
    let prepared: PreparedEvent
    try {
      prepared = await prepareEvent(fields, signer.keyId, sha256HexNow)
      // Step 2 of §4.4, as every receiver will check it. The signature itself is not verified
      // again: the key that makes it is the one pinned for the party at start-up.
      const { author, key, time } = prepared.event
      pinnedKeyAt(keys.get(author) ?? [], author, key, time)
    } catch (error) {
      if (!isProtocolError(error)) throw error
      outcomes.push({
        status: 'rejected',
        code: error.code,
        message: error.message,
        details: error.details,
      })
      continue
    }
    const placement = await place(trx, cache, ctx, { event: prepared.event, id: prepared.id })
    if (!placement.ok) {
      outcomes.push(rejectedBy(placement))
      continue
    }
    recordStored(cache, prepared)
    outcomes.push(accepted.length)
    accepted.push({ prepared, signer, behind: placement.behind })
  }
  const signed = await Promise.all(
    accepted.map(({ prepared, signer }) => signPreparedEvent(prepared, signer)),
  )
  const rows = new EventRows(trx)
  for (const { id, event, sig, raw } of signed)
    rows.add({ id, event, sig, raw, receivedAt: ctx.now })
  const stored = await rows.flush()
  await afterStore(trx, stored, ctx)
  return outcomes.map((outcome) =>
    typeof outcome === 'number'
      ? { status: 'stored', stored: stored[outcome]!, behind: accepted[outcome]!.behind }
      : outcome,
  )
}

/** SHA-256 without a trip to the thread pool: each draft's id is the next one's `prev`. */
function sha256HexNow(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
