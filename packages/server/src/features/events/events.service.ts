import { ProtocolError, type ProtocolErrorCode, protocolErrors } from '@parley/protocol'
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import { ServerError, type ServerErrorCode, serverErrors } from '../../errors.ts'
import {
  type AppendResult,
  appendEvent,
  appendLocalEvent,
  type LocalDraft,
  readEvent,
  type StoredEvent,
} from '../../ledger/index.ts'
import { type NodeIdentity, signingKey } from '../../node-identity.ts'
import type { DB } from '../../store/tables.ts'
import { enqueueEvent } from '../federation/outbox.repository.ts'
import type { EventHub } from './event-hub.ts'
import { channelParticipants } from './events.repository.ts'

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

/**
 * Signs and commits an event of a hosted party and, in the same transaction, queues it for
 * every peer node that hosts a participant (the transactional outbox, DESIGN §4.7). Throws
 * the protocol's error when the ledger refuses the draft; nothing is stored then.
 */
export async function commitLocal(ctx: NodeContext, draft: LocalDraft): Promise<StoredEvent> {
  const party = ctx.identity.parties.get(draft.author)
  if (party === undefined) throw new ServerError('PARTY_NOT_HOSTED', { party: draft.author })
  const now = ctx.now()
  const key = signingKey(party, now)
  const hosted = hostedParties(ctx)
  const destinations = new Set<string>()
  const seen = new Map<string, StoredEvent>()
  const result = await appendLocalEvent(
    ctx.db,
    draft,
    { keyId: key.id, privateKey: key.privateKey },
    {
      now,
      hosted,
      onStored: async (trx, stored) => {
        seen.set(stored.id, stored)
        // Only a hosted party's own events leave from here; others reach peers from their authors.
        if (!hosted.includes(stored.event.author)) return
        const participants = await channelParticipants(trx, stored.event.channel)
        const recipients = participants.filter((p) => !hosted.includes(p))
        for (const url of await enqueueEvent(trx, stored.id, recipients, now)) destinations.add(url)
      },
    },
  )
  if (result.status === 'rejected') throw refusal(result)
  // A fresh local event can neither be held already nor wait for anything.
  if (result.status !== 'stored') throw new ServerError('INTERNAL')
  const stored = await announce(ctx, result, seen, true)
  ctx.wake([...destinations])
  return stored
}

/**
 * Commits an event received from a peer (push or pull) and announces what got stored,
 * including pending events it unblocked.
 */
export async function commitReceived(ctx: NodeContext, signed: unknown): Promise<AppendResult> {
  const seen = new Map<string, StoredEvent>()
  const result = await appendEvent(ctx.db, signed, {
    now: ctx.now(),
    hosted: hostedParties(ctx),
    onStored: async (_trx, stored) => {
      seen.set(stored.id, stored)
    },
  })
  if (result.status === 'stored') await announce(ctx, result, seen, false)
  return result
}

/** Publishes a stored event, then the pending events it unblocked, to the live stream. */
async function announce(
  ctx: NodeContext,
  result: Extract<AppendResult, { status: 'stored' }>,
  seen: ReadonlyMap<string, StoredEvent>,
  local: boolean,
): Promise<StoredEvent> {
  // onStored saw the row inside the transaction that committed it; a retried transaction
  // can only have stored the same event again, since ids commit to content.
  const stored = seen.get(result.id) ?? (await readEvent(ctx.db, result.id))
  if (stored === undefined) throw new ServerError('INTERNAL')
  ctx.hub.publish({ id: stored.id, signed: { event: stored.event, sig: stored.sig }, local })
  for (const applied of result.applied) {
    ctx.hub.publish({
      id: applied.id,
      signed: { event: applied.event, sig: applied.sig },
      local: false,
    })
  }
  return stored
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
