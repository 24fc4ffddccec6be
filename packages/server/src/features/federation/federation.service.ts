import { ProtocolError, type SignedEvent, type SignedReceipt, signReceipt } from '@parley/protocol'
import { ServerError } from '../../errors.ts'
import { MAX_LOG_READ, type Need, readHeads, readLogRaw } from '../../ledger/index.ts'
import { knownChannel } from '../../node/channels.ts'
import { commitReceivedBatch } from '../../node/commit.ts'
import type { NodeContext } from '../../node/context.ts'
import { type HostedParty, signingKey } from '../../node-identity.ts'

/** Most events one push may carry (DESIGN §4.6). */
export const MAX_BATCH_EVENTS = 500
/** Most bytes one push may carry (DESIGN §4.6). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024

export interface BatchResult {
  readonly receipts: SignedReceipt[]
  readonly rejected: { id: string | null; index: number; code: string; message: string }[]
  readonly need: Need[]
  /** Channels to sync with the sender: gaps to fill, or heads citing events not held here. */
  readonly sync: string[]
  /** Events refused for citing another version of an event held here: forks to prove. */
  readonly forks: SignedEvent[]
}

/**
 * Applies a pushed batch (DESIGN §4.6): each event validated on its own and in order, all of
 * them stored in one transaction, then one receipt per receiving party covering every event
 * stored or already held. Never throws for a bad event: it lands in `rejected` with its code,
 * as do the items `ambiguous` lists (their JSON text repeats a member name), unread.
 */
export async function receiveBatch(
  ctx: NodeContext,
  events: readonly unknown[],
  ambiguous: ReadonlyMap<number, ProtocolError> = new Map(),
): Promise<BatchResult> {
  const receivable = new Map<string, string[]>()
  const rejected: BatchResult['rejected'] = []
  const need = new Map<string, Need>()
  const sync = new Set<string>()
  const forks: SignedEvent[] = []
  const readable = ambiguous.size === 0 ? events : events.filter((_, i) => !ambiguous.has(i))
  const { results } = await commitReceivedBatch(ctx, readable)
  let next = 0
  for (const [index, signed] of events.entries()) {
    const refused = ambiguous.get(index)
    if (refused !== undefined) {
      ctx.telemetry.refused('received', refused.code)
      rejected.push({ id: null, index, code: refused.code, message: refused.message })
      continue
    }
    const result = results[next++]!
    switch (result.status) {
      case 'stored':
      case 'duplicate': {
        const channel = (signed as SignedEvent).event.channel
        const ids = receivable.get(channel) ?? []
        ids.push(result.id)
        receivable.set(channel, ids)
        if (result.status === 'stored' && result.behind.length > 0) sync.add(channel)
        break
      }
      case 'pending':
        need.set(`${result.need.channel}\n${result.need.author}`, result.need)
        sync.add(result.need.channel)
        break
      case 'rejected':
        rejected.push({ id: result.id ?? null, index, code: result.code, message: result.message })
        // Refused at step 7, so authenticated: a well-formed signed event.
        if (result.code === 'HEADS_CONFLICT') forks.push(signed as SignedEvent)
    }
  }
  const receipts = await signReceipts(ctx, receivable)
  return { receipts, rejected, need: [...need.values()], sync: [...sync], forks }
}

/**
 * One receipt per channel, by the hosted party that takes part in it. A channel's transcript
 * shows only receipts whose every event is in that channel (DESIGN §4.8): a receipt spanning
 * the channels of a batch would be shown in none, and the sender's proof of delivery lost.
 */
async function signReceipts(
  ctx: NodeContext,
  byChannel: ReadonlyMap<string, string[]>,
): Promise<SignedReceipt[]> {
  const receivedAt = ctx.now()
  return Promise.all(
    [...byChannel].map(async ([channel, ids]) => {
      const party = await receivingParty(ctx, channel)
      const key = signingKey(party, receivedAt)
      return signReceipt(
        { events: [...new Set(ids)], by: party.id, receivedAt },
        { keyId: key.id, privateKey: key.privateKey },
      )
    }),
  )
}

/** The hosted party that speaks for this node in a channel (its first participant here). */
export async function receivingParty(ctx: NodeContext, channel: string): Promise<HostedParty> {
  const row = await knownChannel(ctx, channel)
  const id = row?.members.map((member) => member.party).find((p) => ctx.identity.parties.has(p))
  if (id === undefined) throw new ServerError('CHANNEL_NOT_HOSTED', { channel })
  return ctx.identity.parties.get(id)!
}

/** Refuses a peer that is neither a member nor an observer of the channel. */
async function assertParticipant(ctx: NodeContext, channel: string, party: string): Promise<void> {
  const row = await knownChannel(ctx, channel)
  if (row === undefined) throw new ServerError('CHANNEL_NOT_FOUND', { channel })
  if (!row.members.some((member) => member.party === party))
    throw new ProtocolError('NOT_A_MEMBER', { author: party, channel })
}

/**
 * `GET …/log/:author`: an author's events from `from`, for a participant, as the JSON text of
 * the reply `{ "events": [...] }`, built from the stored canonical texts (the signed bytes,
 * passed on as they are).
 */
export async function logFor(
  ctx: NodeContext,
  requester: string,
  query: { channel: string; author: string; from: number; limit: number },
): Promise<string> {
  await assertParticipant(ctx, query.channel, requester)
  const raws = await readLogRaw(
    ctx.db,
    query.channel,
    query.author,
    query.from,
    Math.min(query.limit, MAX_LOG_READ),
  )
  return `{"events":[${raws.join(',')}]}`
}

/** `GET …/heads`: the latest contiguous event per author, for a participant. */
export async function headsFor(ctx: NodeContext, requester: string, channel: string) {
  await assertParticipant(ctx, channel, requester)
  return readHeads(ctx.db, channel)
}
