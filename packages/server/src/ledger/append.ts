import {
  type Behind,
  canonicalJson,
  createEvent,
  type Event,
  type EventFields,
  isProtocolError,
  type Rejection,
  type Signer,
  validateEvent,
} from '@parley/protocol'
import { type Kysely, sql, type Transaction } from 'kysely'
import { ServerError } from '../errors.ts'
import { jsonb } from '../store/jsonb.ts'
import type { DB } from '../store/tables.ts'
import { raiseAlarm } from './alarms.ts'
import { recordEquivocation } from './equivocations.ts'
import { type Need, pendingReady, putPending, removePending } from './pending.ts'
import { project } from './projections.ts'
import { type Hints, hintsOf, loadHeads, preloadView, validateWith } from './receiver-view.ts'

/** An event as the ledger holds it. */
export interface StoredEvent {
  readonly id: string
  readonly event: Event
  readonly sig: string
  readonly receivedAt: number
  /** Local commit order: the order this node stored events in, not the same on every node. */
  readonly position: number
}

export interface AppendContext {
  /** The receiver's clock (ms): `received_at`, and the bound for events from the future. */
  readonly now: number
  /** Parties hosted on this node. */
  readonly hosted: readonly string[]
  /**
   * Runs inside the transaction that stores each event (including pending events applied
   * later), so work that must not be lost with it (the outbox, notices) commits with it.
   */
  readonly onStored?: (trx: Transaction<DB>, stored: StoredEvent) => Promise<void>
}

export type AppendResult =
  | {
      readonly status: 'stored'
      readonly id: string
      readonly event: Event
      /** `heads` entries ahead of this node: logs worth pulling. */
      readonly behind: readonly Behind[]
      /** Pending events that this one unblocked, stored after it, in order. */
      readonly applied: readonly StoredEvent[]
    }
  | { readonly status: 'duplicate'; readonly id: string }
  | {
      readonly status: 'pending'
      readonly id: string
      readonly need: Need
      /** Other pending events that landed meanwhile (see `stored`). */
      readonly applied?: readonly StoredEvent[]
    }
  | {
      readonly status: 'rejected'
      readonly code: string
      readonly message: string
      readonly id?: string
    }

type Outcome =
  | { status: 'stored'; stored: StoredEvent; behind: readonly Behind[] }
  | Exclude<AppendResult, { status: 'stored' }>

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
  const hints = hintsOf(signed)
  const outcome = await inTransaction(db, (trx) => appendIn(trx, signed, hints, ctx, {}))
  if (outcome.status === 'rejected' || outcome.status === 'duplicate') return outcome
  const applied = await drainPending(db, hints.channel!, ctx)
  if (outcome.status === 'stored') return settled(outcome, applied)
  // Whatever it waited for may have landed while it was being put aside.
  const landed = applied.find((stored) => stored.id === outcome.id)
  if (landed === undefined) return applied.length === 0 ? outcome : { ...outcome, applied }
  const rest = applied.filter((stored) => stored !== landed)
  return { status: 'stored', id: landed.id, event: landed.event, behind: [], applied: rest }
}

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
  const hints: Hints = {
    channel: draft.channel,
    author: draft.author,
    seq: undefined,
    heads: [],
    references: [],
  }
  const outcome = await inTransaction(db, async (trx) => {
    await lockChain(trx, draft.channel, draft.author)
    const heads = await loadHeads(trx, draft.channel)
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
    let signed: { event: Event; sig: string }
    try {
      const { event, sig } = await createEvent(fields, signer)
      signed = { event, sig }
    } catch (error) {
      if (!isProtocolError(error)) throw error
      return { status: 'rejected' as const, code: error.code, message: error.message }
    }
    return appendIn(trx, signed, { ...hints, seq: signed.event.seq }, ctx, { local: true })
  })
  if (outcome.status !== 'stored') return outcome
  return settled(outcome, await drainPending(db, draft.channel, ctx))
}

function settled(
  { stored, behind }: Extract<Outcome, { status: 'stored' }>,
  applied: readonly StoredEvent[],
): AppendResult {
  return { status: 'stored', id: stored.id, event: stored.event, behind, applied }
}

/**
 * Applies the pending events of a channel that now fit, in seq order per author, until none
 * can move; each in its own transaction. Also worth running at start-up, for events left
 * pending by a crash between a commit and its drain.
 */
export async function drainPending(
  db: Kysely<DB>,
  channel: string,
  ctx: AppendContext,
): Promise<StoredEvent[]> {
  const applied: StoredEvent[] = []
  for (let progress = true; progress; ) {
    progress = false
    for (const row of await pendingReady(db, channel)) {
      const signed: unknown = JSON.parse(row.raw)
      const outcome = await inTransaction(db, (trx) =>
        appendIn(trx, signed, hintsOf(signed), ctx, { fromPending: row.id }),
      )
      if (outcome.status === 'stored') {
        applied.push(outcome.stored)
        progress = true
      }
    }
  }
  return applied
}

interface AppendOptions {
  /** The pending row this event came from, removed once the event is settled. */
  readonly fromPending?: string
  /** A hosted party's own new event: it never waits and is never kept as evidence. */
  readonly local?: boolean
}

async function appendIn(
  trx: Transaction<DB>,
  signed: unknown,
  hints: Hints,
  ctx: AppendContext,
  { fromPending, local = false }: AppendOptions,
): Promise<Outcome> {
  if (hints.channel !== undefined && hints.author !== undefined) {
    await lockChain(trx, hints.channel, hints.author)
  }
  const cache = await preloadView(trx, hints)
  const validation = await validateWith(trx, cache, ctx, (view) => validateEvent(signed, view))
  const waits = !validation.ok && validation.need !== undefined && !local
  if (fromPending !== undefined && !waits) await removePending(trx, fromPending)

  if (!validation.ok)
    return local ? rejectedBy(validation) : keepEvidence(trx, signed, validation, ctx)
  if (validation.duplicate) return { status: 'duplicate', id: validation.id }
  const { event, sig, id } = validation
  if (event.type === 'channel.create' && !takesPart(event, ctx.hosted)) {
    const error = new ServerError('CHANNEL_NOT_HOSTED', { channel: event.channel })
    return { status: 'rejected', code: error.code, message: error.message, id }
  }
  const stored = await insertEvent(trx, { id, event, sig, receivedAt: ctx.now })
  await project(trx, stored, ctx)
  await ctx.onStored?.(trx, stored)
  return { status: 'stored', stored, behind: validation.behind }
}

/**
 * What a rejection leaves behind: an event that waits for something keeps its place in
 * `pending_events`; a fork is kept as proof; a heads conflict raises an alarm. Anything else
 * writes nothing.
 */
async function keepEvidence(
  trx: Transaction<DB>,
  signed: unknown,
  rejection: Rejection,
  ctx: AppendContext,
): Promise<Outcome> {
  const { id, need } = rejection
  // Without an id the event did not even parse: there is nothing to keep.
  if (id === undefined) return rejectedBy(rejection)
  const { event } = signed as { event: Event }
  if (need !== undefined) {
    await putPending(trx, {
      id,
      channel: event.channel,
      author: event.author,
      seq: event.seq,
      raw: rawOf(signed),
      need,
      receivedAt: ctx.now,
    })
    return { status: 'pending', id, need }
  }
  if (rejection.code === 'EQUIVOCATION' && rejection.conflict !== undefined) {
    await recordEquivocation(trx, rejection.conflict.id, { id, raw: rawOf(signed) }, ctx.now)
  } else if (rejection.code === 'HEADS_CONFLICT') {
    await raiseAlarm(trx, {
      kind: 'heads_conflict',
      channel: event.channel,
      party: event.author,
      details: { event: id, message: rejection.message },
      now: ctx.now,
    })
  }
  return rejectedBy(rejection)
}

function rejectedBy({ code, message, id }: Rejection): Outcome {
  return { status: 'rejected', code, message, ...(id === undefined ? {} : { id }) }
}

function takesPart(event: Extract<Event, { type: 'channel.create' }>, hosted: readonly string[]) {
  const { members, observers } = event.body
  return hosted.some((party) => members.includes(party) || observers.includes(party))
}

async function insertEvent(
  trx: Transaction<DB>,
  { id, event, sig, receivedAt }: Omit<StoredEvent, 'position'>,
): Promise<StoredEvent> {
  const { position } = await trx
    .insertInto('events')
    .values({
      id,
      channel: event.channel,
      author: event.author,
      seq: event.seq,
      prev: event.prev,
      time: event.time,
      type: event.type,
      body: jsonb(event.body),
      raw: canonicalJson({ event, sig }),
      received_at: receivedAt,
    })
    .returning('position')
    .executeTakeFirstOrThrow()
  return { id, event, sig, receivedAt, position }
}

/**
 * Serializes appends to one chain. An advisory lock exists before the chain has any row and
 * works alike on PostgreSQL and PGlite; the transaction's end releases it.
 */
async function lockChain(trx: Transaction<DB>, channel: string, author: string): Promise<void> {
  const key = `${channel}\n${author}`
  await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx)
}

// Only called once the signature verified, so the event is canonical JSON.
function rawOf(signed: unknown): string {
  const { event, sig } = signed as { event: unknown; sig: unknown }
  return canonicalJson({ event, sig })
}

const RETRYABLE = new Set([
  '23505', // unique_violation: a concurrent append stored the same row first
  '40001', // serialization_failure
  '40P01', // deadlock_detected
])

/**
 * Runs one append in a transaction, and again when it lost a race the chain lock does not
 * cover (two channel.create of one channel id by different parties, say): the retry then
 * sees the winner's rows and decides accordingly.
 */
async function inTransaction<T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (attempt >= 3 || typeof code !== 'string' || !RETRYABLE.has(code)) throw error
    }
  }
}
