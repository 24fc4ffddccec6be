import type { EventOf, EventType, SignedReceipt } from '@parley/protocol'
import type { Transaction } from 'kysely'
import { ServerError } from '../errors.ts'
import type { DB } from '../store/tables.ts'
import type { StoredEvent } from './append-types.ts'

/** What a projection may know besides what it projects. */
export interface ProjectionContext {
  /** Parties hosted on this node. */
  readonly hosted: readonly string[]
}

/**
 * A read model kept from events of some types. It runs in the transaction that stores each of
 * its events (a local commit, a push, a pull page, a pending event unblocked), so it is never
 * ahead of or behind the log. `parley reindex` rebuilds it by replaying the log into empty
 * `tables`, so `apply` must give the same rows whenever it sees the same events in the same
 * order from empty tables: it may read only the log, its own tables and the context.
 */
export interface EventProjection<T extends EventType = EventType> {
  /** Unique among the registered projections; named in reindex progress. */
  readonly name: string
  readonly types: readonly T[]
  /**
   * The tables it alone writes, each after the tables it references: reindex empties them in
   * the reverse order and fills them in this one.
   */
  readonly tables: readonly string[]
  apply(
    trx: Transaction<DB>,
    stored: StoredEvent & { readonly event: EventOf<T> },
    ctx: ProjectionContext,
  ): Promise<void>
  /**
   * Applies a run of stored events (of its types, in commit order) with a few queries, with
   * exactly the effect of `apply` on each in turn. Only for a projection that reads no other
   * projection's tables: the registry runs it after the others have taken the whole run.
   */
  applyBatch?(
    trx: Transaction<DB>,
    stored: readonly (StoredEvent & { readonly event: EventOf<T> })[],
    ctx: ProjectionContext,
  ): Promise<void>
}

/** A peer's signed receipt as this node keeps it. */
export interface StoredReceipt {
  readonly id: string
  readonly receipt: SignedReceipt['receipt']
  readonly sig: string
  /** This node's clock (ms) when it first stored the receipt. */
  readonly storedAt: number
}

/**
 * A read model kept from receipts (a deadline starts when a notice is delivered). It runs in
 * the transaction that stores the receipt, with the events of this node the receipt covers, in
 * log order. A peer may send one receipt again, covering more events: `apply` must be
 * idempotent (upserts), and is told every covered event each time.
 */
export interface ReceiptProjection {
  readonly name: string
  readonly tables: readonly string[]
  apply(
    trx: Transaction<DB>,
    receipt: StoredReceipt,
    covered: readonly StoredEvent[],
    ctx: ProjectionContext,
  ): Promise<void>
}

/**
 * The node's read models: each feature registers its projections at `build()`, and the ledger
 * runs them as it stores events and receipts. The ledger itself knows no feature table.
 */
export class ProjectionRegistry {
  readonly #byType = new Map<EventType, EventProjection[]>()
  readonly #receipts: ReceiptProjection[] = []
  readonly #owners = new Map<string, string>()
  readonly #names = new Set<string>()

  /** Adds a projection of events; throws if its name or one of its tables is taken. */
  addEvents<T extends EventType>(projection: EventProjection<T>): this {
    this.#claim(projection)
    for (const type of projection.types) {
      const list = this.#byType.get(type) ?? []
      list.push(projection as unknown as EventProjection)
      this.#byType.set(type, list)
    }
    return this
  }

  /** Adds a projection of receipts; throws if its name or one of its tables is taken. */
  addReceipts(projection: ReceiptProjection): this {
    this.#claim(projection)
    this.#receipts.push(projection)
    return this
  }

  /** Every table a projection owns, in registration order (each after those it references). */
  get tables(): readonly string[] {
    return [...this.#owners.keys()]
  }

  /** Whether storing a receipt has any read model to update. */
  get projectsReceipts(): boolean {
    return this.#receipts.length > 0
  }

  /**
   * Updates the read models of events stored in one transaction, in commit order: as
   * {@link applyEvent} on each in turn, with each batch-capable projection taking the run at once.
   */
  async applyEvents(
    trx: Transaction<DB>,
    stored: readonly StoredEvent[],
    ctx: ProjectionContext,
  ): Promise<void> {
    const batched = new Map<EventProjection, StoredEvent[]>()
    for (const one of stored) {
      for (const projection of this.#byType.get(one.event.type) ?? []) {
        if (projection.applyBatch === undefined) await projection.apply(trx, one, ctx)
        else if (batched.has(projection)) batched.get(projection)!.push(one)
        else batched.set(projection, [one])
      }
    }
    for (const [projection, run] of batched) await projection.applyBatch!(trx, run, ctx)
  }

  /** Updates the read models of one stored event, in registration order. */
  async applyEvent(
    trx: Transaction<DB>,
    stored: StoredEvent,
    ctx: ProjectionContext,
  ): Promise<void> {
    for (const projection of this.#byType.get(stored.event.type) ?? []) {
      await projection.apply(trx, stored, ctx)
    }
  }

  /** Updates the read models of one stored receipt, given the events of this node it covers. */
  async applyReceipt(
    trx: Transaction<DB>,
    receipt: StoredReceipt,
    covered: readonly StoredEvent[],
    ctx: ProjectionContext,
  ): Promise<void> {
    for (const projection of this.#receipts) await projection.apply(trx, receipt, covered, ctx)
  }

  #claim({ name, tables }: { readonly name: string; readonly tables: readonly string[] }): void {
    if (this.#names.has(name)) throw new ServerError('PROJECTION_CONFLICT', { what: name })
    for (const table of tables) {
      if (this.#owners.has(table)) throw new ServerError('PROJECTION_CONFLICT', { what: table })
    }
    this.#names.add(name)
    for (const table of tables) this.#owners.set(table, name)
  }
}
