import { createHash } from 'node:crypto'
import {
  type Authenticated,
  authenticateEvent,
  type Behind,
  checkPlacement,
  type ErrorDetails,
  type Event,
  type EventFields,
  isProtocolError,
  type PartyKey,
  type PreparedEvent,
  pinnedKeyAt,
  prepareEvent,
  type Rejection,
  type Signer,
  signPreparedEvent,
} from '@parley/protocol'
import { type Kysely, sql, type Transaction } from 'kysely'
import { ServerError } from '../errors.ts'
import { isDatabaseUnavailable } from '../store/database-errors.ts'
import type { DB } from '../store/tables.ts'
import { transaction } from '../store/transaction.ts'
import { raiseAlarm } from './alarms.ts'
import { recordEquivocation } from './equivocations.ts'
import { pinnedKeysOf } from './keys.ts'
import { type Need, pendingState, putPending, removePending } from './pending.ts'
import { project } from './projections.ts'
import {
  type Hints,
  hintsOf,
  preloadView,
  recordStored,
  referencesOf,
  type ViewCache,
  validateWith,
} from './receiver-view.ts'

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
  /**
   * Runs once per transaction, after `onStored`, with every event it stored in order: the
   * place for work that is cheaper done for many events at once (one outbox insert).
   */
  readonly onStoredBatch?: (trx: Transaction<DB>, stored: readonly StoredEvent[]) => Promise<void>
  /**
   * Told, once a batch's transaction committed and before the pending events it may have
   * unblocked are drained, what it stored: the moment to announce and deliver it.
   */
  readonly onCommitted?: (stored: readonly StoredEvent[]) => void
}

export type AppendResult =
  | (StoredEvent & {
      readonly status: 'stored'
      /** `heads` entries ahead of this node: logs worth pulling. */
      readonly behind: readonly Behind[]
      /** Pending events that this one unblocked, stored after it, in order. */
      readonly applied: readonly StoredEvent[]
    })
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
      /** What the refusal names (the path of a schema error, the key, the seq…), for the API. */
      readonly details: ErrorDetails
      readonly id?: string
    }

/** What a batch append did. */
export interface BatchAppendResult {
  /** One result per input, in input order; a stored result's `applied` is always empty here. */
  readonly results: readonly AppendResult[]
  /** Pending events, none of them an input, that the batch unblocked, stored after it in order. */
  readonly applied: readonly StoredEvent[]
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
    ? await authenticateEvents(db, signedEvents)
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
): Promise<AuthenticatedEvents> {
  return { checked: await authenticateAll(db, signedEvents) }
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

/** Drains what the batch may have unblocked and turns outcomes into results. */
async function settleBatch(
  db: Kysely<DB>,
  outcomes: readonly Outcome[],
  ctx: AppendContext,
): Promise<BatchAppendResult> {
  const channels = new Set<string>()
  const committed: StoredEvent[] = []
  for (const outcome of outcomes) {
    if (outcome.status === 'stored') {
      channels.add(outcome.stored.event.channel)
      committed.push(outcome.stored)
    } else if (outcome.status === 'pending') channels.add(outcome.need.channel)
  }
  if (committed.length > 0) ctx.onCommitted?.(committed)
  const drained: StoredEvent[] = []
  try {
    const waiting = await channelsWithPending(db)
    for (const outcome of outcomes)
      if (outcome.status === 'pending') waiting.add(outcome.need.channel)
    for (const channel of channels) {
      if (waiting.has(channel)) drained.push(...(await drainPending(db, channel, ctx)))
    }
  } catch (error) {
    // The batch is committed, so its callers must hear that it is, or they would retry what
    // is stored. What it unblocked stays pending, for the next commit in its channel or the
    // drain at start-up.
    if (!isDatabaseUnavailable(error)) throw error
  }
  // An input put aside may have landed while it waited (a later input filled its gap).
  const landed = new Map(drained.map((stored) => [stored.id, stored]))
  const inputs = new Set<string>()
  const results = outcomes.map((outcome): AppendResult => {
    if (outcome.status === 'stored') {
      const { stored, behind } = outcome
      return { status: 'stored', ...stored, behind, applied: [] }
    }
    const stored = outcome.status === 'pending' ? landed.get(outcome.id) : undefined
    if (stored === undefined) return outcome
    inputs.add(stored.id)
    return { status: 'stored', ...stored, behind: [], applied: [] }
  })
  return { results, applied: drained.filter((stored) => !inputs.has(stored.id)) }
}

/**
 * Applies the pending events of a channel that now fit, in seq order per author, until none
 * can move; each round in one transaction. Also worth running at start-up, for events left
 * pending by a crash between a commit and its drain.
 */
export async function drainPending(
  db: Kysely<DB>,
  channel: string,
  ctx: AppendContext,
): Promise<StoredEvent[]> {
  const applied: StoredEvent[] = []
  for (;;) {
    const { waiting, ready: rows } = await pendingState(db, channel)
    if (waiting === 0) (await channelsWithPending(db)).delete(channel)
    if (rows.length === 0) return applied
    const checked = await authenticateAll(
      db,
      rows.map((row) => JSON.parse(row.raw) as unknown),
    )
    const outcomes = await inTransaction(db, (trx) =>
      storeChecked(
        trx,
        checked.map((item, i) => ({ checked: item, fromPending: rows[i]!.id })),
        ctx,
      ),
    )
    let progress = false
    for (const outcome of outcomes) {
      if (outcome.status !== 'stored') continue
      applied.push(outcome.stored)
      progress = true
    }
    if (!progress) return applied
  }
}

/**
 * Channels that may have pending events, per database handle: a commit drains only those, so
 * the common case (nothing waits) costs no query. Read once from the table; a channel joins
 * the set after every commit that put an event of it aside (before that commit's own drain),
 * and leaves it when a drain finds nothing waiting. Either drain then sees what the other
 * committed, as when every commit drained.
 */
const pendingChannels = new WeakMap<Kysely<DB>, Promise<Set<string>>>()

function channelsWithPending(db: Kysely<DB>): Promise<Set<string>> {
  let channels = pendingChannels.get(db)
  if (channels === undefined) {
    channels = db
      .selectFrom('pending_events')
      .select('channel')
      .distinct()
      .execute()
      .then((rows) => new Set(rows.map((row) => row.channel)))
    channels.catch(() => pendingChannels.delete(db))
    pendingChannels.set(db, channels)
  }
  return channels
}

type Checking = ({ ok: true } & Authenticated) | Rejection

/**
 * DESIGN §4.4 steps 1–3 for every event, concurrently: they depend on pinned keys only, so
 * they run before any lock is taken, and the crypto of a batch keeps every core busy.
 */
async function authenticateAll(
  db: Kysely<DB>,
  signedEvents: readonly unknown[],
): Promise<Checking[]> {
  const authors = new Set<string>()
  for (const signed of signedEvents) {
    const { author } = hintsOf(signed)
    if (author !== undefined) authors.add(author)
  }
  const keys = await pinnedKeysOf(db, [...authors])
  return Promise.all(
    signedEvents.map((signed) => authenticateEvent(signed, (party) => keys.get(party) ?? [])),
  )
}

interface Item {
  readonly checked: Checking
  /** The pending row this event came from, removed once the event is settled. */
  readonly fromPending?: string
}

/** DESIGN §4.4 steps 4–7 and storage for authenticated events, in order, in one transaction. */
async function storeChecked(
  trx: Transaction<DB>,
  items: readonly Item[],
  ctx: AppendContext,
): Promise<Outcome[]> {
  const events = items.flatMap(({ checked }) => (checked.ok ? [checked.event] : []))
  await lockChains(trx, events)
  const cache = await preloadView(trx, events.map(hintsOfEvent))
  const rows = new EventRows(trx)
  const outcomes: (Outcome | { status: 'buffered'; index: number; behind: readonly Behind[] })[] =
    []
  for (const { checked, fromPending } of items) {
    if (!checked.ok) {
      // Refused before placement: there is nothing it could wait for.
      if (fromPending !== undefined) await removePending(trx, fromPending)
      outcomes.push(rejectedBy(checked))
      continue
    }
    const placement = await place(trx, cache, ctx, checked)
    const waits = !placement.ok && placement.need !== undefined
    if (fromPending !== undefined && !waits) await removePending(trx, fromPending)
    if (!placement.ok) {
      // Evidence may cite an event of this batch (a fork of one stored a moment ago).
      await rows.flush()
      outcomes.push(await keepEvidence(trx, checked, placement, ctx))
      continue
    }
    if (placement.duplicate) {
      outcomes.push({ status: 'duplicate', id: checked.id })
      continue
    }
    const { event, sig, id, raw } = checked
    if (event.type === 'channel.create' && !takesPart(event, ctx.hosted)) {
      const error = new ServerError('CHANNEL_NOT_HOSTED', { channel: event.channel })
      const { code, message, details } = error
      outcomes.push({ status: 'rejected', code, message, details, id })
      continue
    }
    recordStored(cache, checked)
    const index = rows.add({ id, event, sig, raw, receivedAt: ctx.now })
    outcomes.push({ status: 'buffered', index, behind: placement.behind })
  }
  const stored = await rows.flush()
  await afterStore(trx, stored, ctx)
  return outcomes.map((outcome) =>
    outcome.status === 'buffered'
      ? { status: 'stored', stored: stored[outcome.index]!, behind: outcome.behind }
      : outcome,
  )
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

/** Steps 4–7 for one authenticated event, against the batch's view of its channel. */
function place(
  trx: Transaction<DB>,
  cache: ViewCache,
  ctx: AppendContext,
  checked: { event: Event; id: string },
) {
  return validateWith(trx, cache, ctx, checked.event.channel, (view) =>
    checkPlacement({ ...checked, sig: '' }, view),
  )
}

async function afterStore(
  trx: Transaction<DB>,
  stored: readonly StoredEvent[],
  ctx: AppendContext,
): Promise<void> {
  for (const event of stored) {
    await project(trx, event, ctx)
    await ctx.onStored?.(trx, event)
  }
  if (stored.length > 0) await ctx.onStoredBatch?.(trx, stored)
}

function hintsOfEvent(event: Event): Hints {
  return {
    channel: event.channel,
    author: event.author,
    seq: event.seq,
    heads: Object.entries(event.heads).map(([party, head]) => ({ party, seq: head.seq })),
    references: referencesOf(event.body),
  }
}

/**
 * What a rejection leaves behind: an event that waits for something keeps its place in
 * `pending_events`; a fork is kept as proof; a heads conflict raises an alarm. Anything else
 * writes nothing.
 */
async function keepEvidence(
  trx: Transaction<DB>,
  checked: Authenticated,
  rejection: Rejection,
  ctx: AppendContext,
): Promise<Outcome> {
  const { id, need } = rejection
  const { event, raw } = checked
  if (id === undefined) return rejectedBy(rejection)
  if (need !== undefined) {
    await putPending(trx, {
      id,
      channel: event.channel,
      author: event.author,
      seq: event.seq,
      raw,
      need,
      receivedAt: ctx.now,
    })
    return { status: 'pending', id, need }
  }
  if (rejection.code === 'EQUIVOCATION' && rejection.conflict !== undefined) {
    await recordEquivocation(trx, rejection.conflict.id, { id, raw }, ctx.now)
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

function rejectedBy({ code, message, details, id }: Rejection): Outcome {
  return { status: 'rejected', code, message, details, ...(id === undefined ? {} : { id }) }
}

function takesPart(event: Extract<Event, { type: 'channel.create' }>, hosted: readonly string[]) {
  const { members, observers } = event.body
  return hosted.some((party) => members.includes(party) || observers.includes(party))
}

interface EventRow {
  readonly id: string
  readonly event: Event
  readonly sig: string
  /** The canonical `{ event, sig }` text, as signed and as exported. */
  readonly raw: string
  readonly receivedAt: number
}

/** Most rows one INSERT carries (10 parameters each, far below PostgreSQL's 65,535). */
const INSERT_CHUNK = 1000

/** Events waiting to be written by one multi-row INSERT; positions follow the order added. */
class EventRows {
  readonly #trx: Transaction<DB>
  readonly #rows: EventRow[] = []
  readonly #stored: StoredEvent[] = []
  #flushed = 0

  constructor(trx: Transaction<DB>) {
    this.#trx = trx
  }

  /** Buffers a row; returns its index in what `flush` resolves to. */
  add(row: EventRow): number {
    this.#rows.push(row)
    return this.#rows.length - 1
  }

  /** Writes what is buffered; resolves to every event stored through this buffer so far. */
  async flush(): Promise<StoredEvent[]> {
    while (this.#flushed < this.#rows.length) {
      const chunk = this.#rows.slice(this.#flushed, this.#flushed + INSERT_CHUNK)
      const inserted = await this.#trx
        .insertInto('events')
        .values(
          chunk.map(({ id, event, raw, receivedAt }) => ({
            id,
            channel: event.channel,
            author: event.author,
            seq: event.seq,
            prev: event.prev,
            time: event.time,
            type: event.type,
            // The body was checked with the whole event (integers only, plain JSON); jsonb keeps
            // no text, so the quick serializer gives the same column as a canonical one.
            body: JSON.stringify(event.body),
            raw,
            received_at: receivedAt,
          })),
        )
        .returning(['id', 'position'])
        .execute()
      const positions = new Map(inserted.map((row) => [row.id, row.position]))
      for (const { id, event, sig, receivedAt } of chunk) {
        this.#stored.push({ id, event, sig, receivedAt, position: positions.get(id)! })
      }
      this.#flushed += chunk.length
    }
    return this.#stored
  }
}

/**
 * Serializes appends to each chain a transaction writes. An advisory lock exists before the
 * chain has any row and works alike on PostgreSQL and PGlite; the transaction's end releases
 * it. Locks are taken in one global order, so two batches never wait for each other in a cycle.
 */
async function lockChains(
  trx: Transaction<DB>,
  events: readonly { readonly channel: string; readonly author: string }[],
): Promise<void> {
  const keys = [...new Set(events.map(({ channel, author }) => `${channel}\n${author}`))].sort()
  for (const key of keys) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx)
  }
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
      return await transaction(db, work)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (attempt >= 3 || typeof code !== 'string' || !RETRYABLE.has(code)) throw error
    }
  }
}
