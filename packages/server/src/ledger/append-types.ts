import type { Behind, ErrorDetails, Event } from '@parley/protocol'
import type { Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import type { EventVerifier } from './event-verifier.ts'
import type { Need } from './pending.ts'
import type { ProjectionContext, ProjectionRegistry } from './projection.ts'

/** An event as the ledger holds it. */
export interface StoredEvent {
  readonly id: string
  readonly event: Event
  readonly sig: string
  readonly receivedAt: number
  /** Local commit order: the order this node stored events in, not the same on every node. */
  readonly position: number
}

export interface AppendContext extends ProjectionContext {
  /** The receiver's clock (ms): `received_at`, and the bound for events from the future. */
  readonly now: number
  /** The read models, updated in the transaction that stores each event. */
  readonly projections: ProjectionRegistry
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
  /** Checks the signatures of big batches on worker threads; without it, on this thread. */
  readonly verifier?: EventVerifier
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

/** What one input of a batch came to inside its transaction, before pending events drain. */
export type Outcome =
  | { status: 'stored'; stored: StoredEvent; behind: readonly Behind[] }
  | Exclude<AppendResult, { status: 'stored' }>
