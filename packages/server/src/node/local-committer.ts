import type { Transaction } from 'kysely'
import { ServerError } from '../errors.ts'
import type { BatchAppendResult, LocalAppend, LocalDraft, StoredEvent } from '../ledger/index.ts'
import { appendLocalEvents } from '../ledger/index.ts'
import { signingKey } from '../node-identity.ts'
import { isDatabaseUnavailable } from '../store/database-errors.ts'
import type { DB } from '../store/tables.ts'
import type { NodeContext } from './context.ts'
import { enqueueOwnEvents } from './outbox.repository.ts'
import { publish, refusal, storedOf } from './publish.ts'

/** Runs inside the transaction that stores a local event; throwing rolls the event back. */
export type OnStored = (trx: Transaction<DB>, stored: StoredEvent) => Promise<void>

/**
 * A write that commits with a local event (a call's audit entry) and, unlike {@link OnStored},
 * lets it share a group commit: `write` runs in the transaction, once per attempt, and
 * `committed` once that transaction committed.
 */
export interface Alongside {
  write(trx: Transaction<DB>): Promise<void>
  committed(): void
}

/** Most drafts one group commit takes: many share a commit, and none waits long for a turn. */
const MAX_GROUP = 500

interface Waiting {
  readonly draft: LocalDraft
  readonly onStored: OnStored | undefined
  readonly alongside?: Alongside
  readonly resolve: (stored: StoredEvent) => void
  readonly reject: (error: unknown) => void
  /** Set on the drafts of one {@link commitLocalAll}: they commit alone and together. */
  readonly atomic?: object
}

/** The node's queue of local drafts: one transaction at a time, taking all that waited. */
export class LocalCommitter {
  readonly #ctx: NodeContext
  #queue: Waiting[] = []
  #running = false

  constructor(ctx: NodeContext) {
    this.#ctx = ctx
  }

  submit(
    draft: LocalDraft,
    onStored: OnStored | undefined,
    alongside?: Alongside,
  ): Promise<StoredEvent> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ draft, onStored, resolve, reject, ...(alongside && { alongside }) })
      if (!this.#running) void this.#run()
    })
  }

  submitAll(drafts: readonly LocalDraft[], alongside?: Alongside): Promise<StoredEvent>[] {
    const atomic = {}
    const promises = drafts.map(
      (draft, i) =>
        new Promise<StoredEvent>((resolve, reject) => {
          const also = i === 0 && alongside !== undefined ? { alongside } : {}
          this.#queue.push({ draft, onStored: undefined, resolve, reject, atomic, ...also })
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
    // The hosted parties, read here rather than through context.ts, which constructs this class.
    const hosted = [...ctx.identity.parties.keys()]
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
    const started = performance.now()
    try {
      batch = await appendLocalEvents(ctx.db, items, {
        now,
        hosted,
        projections: ctx.projections,
        ...(hook === undefined ? {} : { onStored: hook }),
        // Only a hosted party's own events leave from here; others reach peers from their authors.
        onStoredBatch: async (trx, stored) => {
          const own = stored.filter(({ event }) => hosted.includes(event.author))
          const events = own.map(({ id, event }) => ({ id, channel: event.channel }))
          for (const url of await enqueueOwnEvents(trx, events, hosted, now)) destinations.add(url)
          for (const waiter of waiting) await waiter.alongside?.write(trx)
        },
        // Durable now: stream it and start delivering it before anything else is done.
        onCommitted: (stored) => {
          for (const waiter of waiting) waiter.alongside?.committed()
          publish(ctx, stored, true)
          ctx.wake([...destinations])
          ctx.telemetry.committed('local', (performance.now() - started) / 1000, stored.length)
        },
      })
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        // The COMMIT may have landed before the connection went, or not: a retry could commit
        // every draft twice. Each waiter hears it (503) and the queue goes on; nothing was
        // announced, but outbox rows that did commit are worth a look by their push workers.
        for (const waiter of waiting) waiter.reject(error)
        ctx.wake([...destinations])
        return
      }
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
      else if (result.status === 'rejected') {
        ctx.telemetry.refused('local', result.code)
        waiter.reject(refusal(result))
      }
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
