import { ServerError } from '../errors.ts'
import { type ChannelRow, findChannel } from './channels.repository.ts'
import { hostedParties, type NodeContext } from './context.ts'

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
  // The node's clock, as every timed thing reads it: a test that holds it still sees no row age.
  const now = ctx.now()
  if (cached !== undefined && now >= cached.at && now - cached.at < CHANNEL_ROW_TTL_MS)
    return cached.row
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
