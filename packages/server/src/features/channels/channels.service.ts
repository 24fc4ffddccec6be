import type { PageQuery } from '@parley/api'
import type { BodyOf } from '@parley/protocol'
import { ServerError } from '../../errors.ts'
import type { StoredEvent } from '../../ledger/index.ts'
import {
  type ChannelRow,
  channelOrder,
  channelRange,
  findChannel,
  listChannels,
} from '../../node/channels.repository.ts'
import { actingParty, channelOrThrow } from '../../node/channels.ts'
import { commitLocal } from '../../node/commit.ts'
import { hostedParties, type NodeContext } from '../../node/context.ts'
import { type Page, readPage } from '../../store/keyset.ts'
import { actingAs, dropCreatorGrant, grantCreator } from '../access/access.service.ts'
import type { ComposeContext } from '../compose/compose.service.ts'
import { assertPolicyMeetsFloor } from '../compose/release-floor.ts'
import { assertReleasable } from '../compose/release-guard.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'

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
 * Opens a channel as the officer's party: its policy meets the node's release floor, the
 * genesis passes the release guard like any item, and the officer is on the new channel's
 * access list before its event commits.
 */
export async function openChannel(
  ctx: ComposeContext,
  officer: RequestOfficer,
  input: CreateChannelInput,
): Promise<Awaited<ReturnType<typeof createChannel>>> {
  const { as, ...body } = input
  const author = actingParty(ctx.node, actingAs(officer, as), hostedParties(ctx.node))
  assertPolicyMeetsFloor(ctx.floor, body.policy)
  assertReleasable(ctx.guard, { type: 'channel.create', body })
  const id = newChannelId()
  await grantCreator(ctx.access, officer, id)
  try {
    return await createChannel(ctx.node, officer.id, { ...body, as: author }, id)
  } catch (error) {
    await dropCreatorGrant(ctx.access, officer, id)
    throw error
  }
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

export function channelsOfNode(ctx: NodeContext): Promise<ChannelRow[]> {
  return listChannels(ctx.db, hostedParties(ctx))
}

/**
 * A page of the channels of the officer's compartments that a hosted party takes part in, in
 * the order they were opened. Channels the officer may not see are skipped in the query, so a
 * page holds `limit` channels they may see while there are that many.
 */
export function channelPage(
  ctx: NodeContext,
  officer: RequestOfficer,
  query: PageQuery,
): Promise<Page<ChannelRow>> {
  return readPage(channelOrder('channels'), query, (where, direction, limit) =>
    channelRange(ctx.db, {
      parties: hostedParties(ctx),
      officer: officer.id,
      where,
      direction,
      limit,
    }),
  )
}
