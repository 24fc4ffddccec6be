import { ProtocolError, type ProtocolErrorCode, protocolErrors } from '@parley/protocol'
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely, Transaction } from 'kysely'
import { ServerError, type ServerErrorCode, serverErrors } from '../../errors.ts'
import {
  type AppendResult,
  type AuthenticatedEvents,
  appendEvents,
  appendLocalEvents,
  type BatchAppendResult,
  type LocalAppend,
  type LocalDraft,
  type StoredEvent,
} from '../../ledger/index.ts'
import { type NodeIdentity, signingKey } from '../../node-identity.ts'
import type { DB } from '../../store/tables.ts'
import { enqueueOwnEvents } from '../federation/outbox.repository.ts'
import type { EventHub } from './event-hub.ts'

/** What the parts of a node share: the database, the clock, who it is, and its event hub. */
export interface NodeContext {
  readonly db: Kysely<DB>
  readonly identity: NodeIdentity
  now(): number
  readonly hub: EventHub
  readonly log: FastifyBaseLogger
  /** Tells the push workers of these destinations that they have work. */
  readonly wake: (destinations: readonly string[]) => void
}

/** Parties hosted by this node, as the ledger wants them. */
export function hostedParties(ctx: Pick<NodeContext, 'identity'>): string[] {
  return [...ctx.identity.parties.keys()]
}

/** Work that must commit in the transaction that stores a local event, or not at all. */
export interface CommitLocalOptions {
  /** Runs inside that transaction once the event is stored; throwing rolls the event back. */
  readonly onStored?: (trx: Transaction<DB>, stored: StoredEvent) => Promise<void>
}

/**
 * Signs and commits an event of a hosted party and, in the same transaction, queues it for
 * every peer node that hosts a participant (the transactional outbox, DESIGN §4.7). Throws
 * the protocol's error when the ledger refuses the draft; nothing is stored then.
 *
 * Drafts posted while a commit is under way wait for it and then go together in the next
 * transaction (group commit): each call still resolves only once its own event is durably
 * committed, but many calls share one commit, one lock and one outbox insert. A draft with an
 * `onStored` hook is committed on its own, so its hook can only ever roll back its own event.
 */
export function commitLocal(
  ctx: NodeContext,
  draft: LocalDraft,
  options: CommitLocalOptions = {},
): Promise<StoredEvent> {
  if (!ctx.identity.parties.has(draft.author)) {
    return Promise.reject(new ServerError('PARTY_NOT_HOSTED', { party: draft.author }))
  }
  return committerOf(ctx).submit(draft, options.onStored)
}

/**
 * {@link commitLocal} for many drafts that must commit together: they go in ONE transaction of
 * their own (never split across group commits), and an unexpected failure fails them all.
 * Each entry settles on its own, as the ledger stored or refused that draft.
 */
export function commitLocalAll(
  ctx: NodeContext,
  drafts: readonly LocalDraft[],
): Promise<PromiseSettledResult<StoredEvent>[]> {
  for (const draft of drafts) {
    if (!ctx.identity.parties.has(draft.author)) {
      return Promise.reject(new ServerError('PARTY_NOT_HOSTED', { party: draft.author }))
    }
  }
  return Promise.allSettled(committerOf(ctx).submitAll(drafts))
}

function committerOf(ctx: NodeContext): LocalCommitter {
  let committer = committers.get(ctx)
  if (committer === undefined) {
    committer = new LocalCommitter(ctx)
    committers.set(ctx, committer)
  }
  return committer
}

/** Most drafts one group commit takes: many share a commit, and none waits long for a turn. */
const MAX_GROUP = 500

const committers = new WeakMap<NodeContext, LocalCommitter>()

interface Waiting {
  readonly draft: LocalDraft
  readonly onStored: CommitLocalOptions['onStored']
  readonly resolve: (stored: StoredEvent) => void
  readonly reject: (error: unknown) => void
  /** Set on the drafts of one {@link commitLocalAll}: they commit alone and together. */
  readonly atomic?: object
}

/** The node's queue of local drafts: one transaction at a time, taking all that waited. */
class LocalCommitter {
  readonly #ctx: NodeContext
  #queue: Waiting[] = []
  #running = false

  constructor(ctx: NodeContext) {
    this.#ctx = ctx
  }

  submit(draft: LocalDraft, onStored: CommitLocalOptions['onStored']): Promise<StoredEvent> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ draft, onStored, resolve, reject })
      if (!this.#running) void this.#run()
    })
  }

  submitAll(drafts: readonly LocalDraft[]): Promise<StoredEvent>[] {
    const atomic = {}
    const promises = drafts.map(
      (draft) =>
        new Promise<StoredEvent>((resolve, reject) => {
          this.#queue.push({ draft, onStored: undefined, resolve, reject, atomic })
        }),
    )
    if (!this.#running && drafts.length > 0) void this.#run()
    return promises
  }

  async #run(): Promise<void> {
    this.#running = true
    try {
      while (this.#queue.length > 0) await this.#commit(this.#nextGroup())
    } finally {
      this.#running = false
    }
  }

  /**
   * The waiters of the next transaction: a hooked draft alone, or a run of units (a plain
   * draft, or all the drafts of one {@link commitLocalAll}) of at most MAX_GROUP drafts, unless
   * its first unit alone is larger.
   */
  #nextGroup(): Waiting[] {
    if (this.#queue[0]!.onStored !== undefined) return this.#queue.splice(0, 1)
    let end = 0
    while (end < this.#queue.length && this.#queue[end]!.onStored === undefined) {
      const unit = unitEnd(this.#queue, end)
      if (end > 0 && unit > MAX_GROUP) break
      end = unit
    }
    return this.#queue.splice(0, end)
  }

  /** Commits one group; every waiter is settled, whatever happens. */
  async #commit(group: readonly Waiting[]): Promise<void> {
    const ctx = this.#ctx
    const now = ctx.now()
    const hosted = hostedParties(ctx)
    const items: LocalAppend[] = []
    const waiting: Waiting[] = []
    for (const waiter of group) {
      try {
        const key = signingKey(ctx.identity.parties.get(waiter.draft.author)!, now)
        items.push({ draft: waiter.draft, signer: { keyId: key.id, privateKey: key.privateKey } })
        waiting.push(waiter)
      } catch (error) {
        waiter.reject(error)
      }
    }
    if (items.length === 0) return
    const destinations = new Set<string>()
    const hook = waiting.length === 1 ? waiting[0]!.onStored : undefined
    let batch: BatchAppendResult
    try {
      batch = await appendLocalEvents(ctx.db, items, {
        now,
        hosted,
        ...(hook === undefined ? {} : { onStored: hook }),
        // Only a hosted party's own events leave from here; others reach peers from their authors.
        onStoredBatch: async (trx, stored) => {
          const own = stored.filter(({ event }) => hosted.includes(event.author))
          const events = own.map(({ id, event }) => ({ id, channel: event.channel }))
          for (const url of await enqueueOwnEvents(trx, events, hosted, now)) destinations.add(url)
        },
        // Durable now: stream it and start delivering it before anything else is done.
        onCommitted: (stored) => {
          publish(ctx, stored, true)
          ctx.wake([...destinations])
        },
      })
    } catch (error) {
      // One unit must not sink the others: an unexpected failure is retried unit by unit, and
      // fails a unit (a lone draft, or a batch that commits together or not at all) alone.
      if (unitEnd(waiting, 0) < waiting.length) {
        for (let i = 0; i < waiting.length; ) {
          const end = unitEnd(waiting, i)
          await this.#commit(waiting.slice(i, end))
          i = end
        }
      } else for (const waiter of waiting) waiter.reject(error)
      return
    }
    const stored = storedOf(batch)
    for (const [i, result] of batch.results.entries()) {
      const waiter = waiting[i]!
      if (result.status === 'stored') waiter.resolve(stored.get(result.id)!)
      else if (result.status === 'rejected') waiter.reject(refusal(result))
      // A fresh local event can neither be held already nor wait for anything.
      else waiter.reject(new ServerError('INTERNAL'))
    }
    publish(ctx, batch.applied, false)
  }
}

/** Where the unit starting at `start` ends: after its draft, or after its batch's last. */
function unitEnd(waiters: readonly Waiting[], start: number): number {
  const atomic = waiters[start]!.atomic
  let end = start + 1
  if (atomic === undefined) return end
  while (end < waiters.length && waiters[end]!.atomic === atomic) end++
  return end
}

/**
 * Commits an event received from a peer (push or pull) and announces what got stored,
 * including pending events it unblocked.
 */
export async function commitReceived(ctx: NodeContext, signed: unknown): Promise<AppendResult> {
  const { results, applied } = await commitReceivedBatch(ctx, [signed])
  const result = results[0]!
  if (result.status === 'stored') return { ...result, applied }
  if (result.status === 'pending' && applied.length > 0) return { ...result, applied }
  return result
}

/**
 * Commits events received from a peer together (a push, a log page): validated one by one and
 * in order, stored in one transaction; then announces what got stored, inputs first.
 */
export async function commitReceivedBatch(
  ctx: NodeContext,
  signed: readonly unknown[] | AuthenticatedEvents,
): Promise<BatchAppendResult> {
  const batch = await appendEvents(ctx.db, signed, {
    now: ctx.now(),
    hosted: hostedParties(ctx),
    onCommitted: (stored) => publish(ctx, stored, false),
  })
  publish(ctx, batch.applied, false)
  return batch
}

/** The stored events of a batch by id, as the live stream shows them. */
function storedOf({ results }: BatchAppendResult): Map<string, StoredEvent> {
  const stored = new Map<string, StoredEvent>()
  for (const result of results) {
    if (result.status !== 'stored') continue
    const { id, event, sig, receivedAt, position } = result
    stored.set(id, { id, event, sig, receivedAt, position })
  }
  return stored
}

/** Announces committed events on the live stream, in order. */
function publish(ctx: NodeContext, events: readonly StoredEvent[], local: boolean): void {
  for (const { id, event, sig } of events) ctx.hub.publish({ id, signed: { event, sig }, local })
}

/** The ledger's refusal as the API error with the same stable code. */
export function refusal(result: { readonly code: string; readonly message: string }): Error {
  const error = Object.hasOwn(protocolErrors, result.code)
    ? new ProtocolError(result.code as ProtocolErrorCode)
    : Object.hasOwn(serverErrors, result.code)
      ? new ServerError(result.code as ServerErrorCode)
      : new ServerError('REQUEST_INVALID', { reason: result.message })
  error.message = result.message
  return error
}
