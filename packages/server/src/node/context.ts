import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { AppendContext, ProjectionRegistry } from '../ledger/index.ts'
import type { NodeIdentity } from '../node-identity.ts'
import type { DB } from '../store/tables.ts'
import { EventHub } from './event-hub.ts'
import { LocalCommitter } from './local-committer.ts'

/**
 * What the parts of a node share: the database, the clock, who it is, its event hub and its
 * committer of local events (one per node, so two apps in one process never share a queue).
 */
export interface NodeContext {
  readonly db: Kysely<DB>
  readonly identity: NodeIdentity
  now(): number
  readonly hub: EventHub
  readonly log: FastifyBaseLogger
  /** Tells the push workers of these destinations that they have work. */
  readonly wake: (destinations: readonly string[]) => void
  readonly committer: LocalCommitter
  /** The features' read models, run by the ledger as it stores events and receipts. */
  readonly projections: ProjectionRegistry
}

/** The node's context, with a fresh event hub and committer. */
export function createNodeContext(
  parts: Omit<NodeContext, 'hub' | 'committer'> & { readonly hub?: EventHub },
): NodeContext {
  const ctx: { -readonly [K in keyof NodeContext]: NodeContext[K] } = {
    ...parts,
    hub: parts.hub ?? new EventHub(),
    committer: undefined as unknown as LocalCommitter,
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
  return { now: ctx.now(), hosted: hostedParties(ctx), projections: ctx.projections }
}
