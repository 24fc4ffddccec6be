import type { BodyOf } from '@parley/protocol'
import { ServerError } from '../../errors.ts'
import type { StoredEvent } from '../../ledger/index.ts'
import { commitLocal } from '../../node/commit.ts'
import { hostedParties, type NodeContext } from '../../node/context.ts'
import { type ChannelRow, findChannel, listChannels } from './channels.repository.ts'

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A fresh channel id: `ch_` and 128 random bits in 26 Crockford base32 digits (DESIGN §4.1). */
export function newChannelId(): string {
  let value = 0n
  for (const byte of crypto.getRandomValues(new Uint8Array(16)))
    value = (value << 8n) | BigInt(byte)
  let out = ''
  for (let i = 0; i < 26; i++) {
    out = CROCKFORD[Number(value & 31n)] + out
    value >>= 5n
  }
  return `ch_${out}`
}

/**
 * The hosted party an officer acts as: the one named, or the only candidate. Naming a party
 * this node does not host is `PARTY_NOT_HOSTED`; an ambiguous call must name one.
 */
export function actingParty(
  ctx: Pick<NodeContext, 'identity'>,
  as: string | undefined,
  candidates: readonly string[],
): string {
  if (as !== undefined) {
    if (!ctx.identity.parties.has(as)) throw new ServerError('PARTY_NOT_HOSTED', { party: as })
    return as
  }
  const hosted = candidates.filter((party) => ctx.identity.parties.has(party))
  if (hosted.length === 1) return hosted[0]!
  throw new ServerError('REQUEST_INVALID', {
    reason: `name the party to act as ("as": one of ${hosted.join(', ') || 'none'})`,
  })
}

export type CreateChannelInput = BodyOf<'channel.create'> & { readonly as?: string }

/**
 * Opens a channel: signs `channel.create` as a hosted party and queues it for the others.
 * The caller may choose the new id, to set up local state (the creator's access) beforehand.
 */
export async function createChannel(
  ctx: NodeContext,
  officer: string,
  input: CreateChannelInput,
  channel: string = newChannelId(),
): Promise<{ channel: ChannelRow; event: StoredEvent }> {
  const { as, ...body } = input
  const author = actingParty(ctx, as, hostedParties(ctx))
  const event = await commitLocal(ctx, {
    channel,
    author,
    type: 'channel.create',
    body,
    officer,
  })
  return { channel: (await findChannel(ctx.db, channel, [author]))!, event }
}

/**
 * Accepts an invitation: signs `channel.join` citing the channel's genesis event. Observers
 * join too: a participant's first event in a channel must be its join, so a rapporteur that
 * observes could otherwise never propose text.
 */
export async function joinChannel(
  ctx: NodeContext,
  officer: string,
  channelId: string,
  as: string | undefined,
): Promise<StoredEvent> {
  const channel = await channelOrThrow(ctx, channelId)
  const invited = channel.members.filter((member) => !member.joined).map((member) => member.party)
  const party = actingParty(ctx, as, invited)
  if (!invited.includes(party)) {
    throw new ServerError('INVITATION_NOT_FOUND', { channel: channelId, party })
  }
  return commitLocal(ctx, {
    channel: channelId,
    author: party,
    type: 'channel.join',
    body: { accepts: channel.genesisId },
    officer,
  })
}

/** A channel a hosted party takes part in, or `CHANNEL_NOT_FOUND`. */
export async function channelOrThrow(ctx: NodeContext, channel: string): Promise<ChannelRow> {
  const row = await knownChannel(ctx, channel)
  if (row === undefined) throw new ServerError('CHANNEL_NOT_FOUND', { channel })
  return row
}

/** How long a channel row may be served from memory. */
const CHANNEL_ROW_TTL_MS = 1000

const channelRows = new WeakMap<
  NodeContext,
  Map<string, { row: Promise<ChannelRow | undefined>; at: number }>
>()

/**
 * Channel rows as every post reads them (twice, with the release check). A row changes only
 * when a channel.create or channel.join commits here, which drops it; a read that raced such a
 * commit lives a second at most. A channel not found is never remembered. The ledger checks
 * membership again on every append, so a row a moment old can refuse or admit nothing wrongly.
 */
export function knownChannel(ctx: NodeContext, channel: string): Promise<ChannelRow | undefined> {
  let rows = channelRows.get(ctx)
  if (rows === undefined) {
    const created = new Map<string, { row: Promise<ChannelRow | undefined>; at: number }>()
    ctx.hub.subscribe(({ signed }) => {
      const { type } = signed.event
      if (type === 'channel.create' || type === 'channel.join') created.delete(signed.event.channel)
    })
    channelRows.set(ctx, created)
    rows = created
  }
  const cached = rows.get(channel)
  const now = performance.now()
  if (cached !== undefined && now - cached.at < CHANNEL_ROW_TTL_MS) return cached.row
  if (rows.size > 10_000) rows.clear()
  const row = findChannel(ctx.db, channel, hostedParties(ctx))
  const entry = { row, at: now }
  rows.set(channel, entry)
  const forget = () => {
    if (rows.get(channel) === entry) rows.delete(channel)
  }
  row.then((found) => found === undefined && forget(), forget)
  return row
}

export function channelsOfNode(ctx: NodeContext): Promise<ChannelRow[]> {
  return listChannels(ctx.db, hostedParties(ctx))
}
