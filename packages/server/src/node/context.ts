import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import { type AppendContext, EventVerifier, type ProjectionRegistry } from '../ledger/index.ts'
import type { NodeIdentity } from '../node-identity.ts'
import type { DB } from '../store/tables.ts'
import { type Clock, systemClock } from './clock.ts'
import { EventHub } from './event-hub.ts'
import { LocalCommitter } from './local-committer.ts'
import { Scheduler } from './scheduler.ts'
import { Telemetry } from './telemetry.ts'

/**
 * What the parts of a node share: the database, the clock, who it is, its event hub, its
 * committer of local events, its scheduler and its telemetry (one of each per node, so two
 * apps in one process never share a queue or a counter).
 */
export interface NodeContext {
  readonly db: Kysely<DB>
  readonly identity: NodeIdentity
  /** The clock's `now`, for the many callers that only read the time. */
  now(): number
  readonly clock: Clock
  readonly hub: EventHub
  readonly log: FastifyBaseLogger
  /** Tells the push workers of these destinations that they have work. */
  readonly wake: (destinations: readonly string[]) => void
  readonly committer: LocalCommitter
  /** Durable timed work; features register their job handlers on it at `build()`. */
  readonly scheduler: Scheduler
  /** The features' read models, run by the ledger as it stores events and receipts. */
  readonly projections: ProjectionRegistry
  /** Counters and histograms of the hot paths, served at `/metrics`. */
  readonly telemetry: Telemetry
  /** Checks the signatures of big received batches (pushes, log pages) on every core. */
  readonly verifier: EventVerifier
}

/**
 * The node's context, with a fresh event hub, committer, scheduler and telemetry. Without a `clock`, the
 * clock is real time read through `now`.
 */
export function createNodeContext(
  parts: Omit<
    NodeContext,
    'hub' | 'committer' | 'clock' | 'scheduler' | 'telemetry' | 'verifier'
  > & {
    readonly hub?: EventHub
    readonly clock?: Clock
    readonly verifier?: EventVerifier
  },
): NodeContext {
  const clock = parts.clock ?? systemClock(parts.now)
  const ctx: { -readonly [K in keyof NodeContext]: NodeContext[K] } = {
    ...parts,
    clock,
    hub: parts.hub ?? new EventHub(),
    verifier: parts.verifier ?? new EventVerifier(),
    committer: undefined as unknown as LocalCommitter,
    scheduler: new Scheduler({ db: parts.db, clock, log: parts.log }),
    telemetry: new Telemetry(),
  }
  ctx.committer = new LocalCommitter(ctx)
  return ctx
}

/** Parties hosted by this node, as the ledger wants them. */
export function hostedParties(ctx: Pick<NodeContext, 'identity'>): string[] {
  return [...ctx.identity.parties.keys()]
}

/** What the ledger needs to store events now: the clock, hosted parties and read models. */
export function appendContext(ctx: NodeContext): AppendContext {
  return {
    now: ctx.now(),
    hosted: hostedParties(ctx),
    projections: ctx.projections,
    verifier: ctx.verifier,
  }
}
