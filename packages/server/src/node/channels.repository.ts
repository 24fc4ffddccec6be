import type { ChannelView } from '@parley/api'
import type { Kysely, Transaction } from 'kysely'
import type { ChannelStatus, MemberRole } from '../ledger/index.ts'
import type { DB } from '../store/tables.ts'

type Db = Kysely<DB> | Transaction<DB>

export interface ChannelRow {
  readonly id: string
  readonly title: string
  readonly creator: string
  readonly genesisId: string
  readonly status: ChannelStatus
  readonly createdAt: number
  readonly policy: ChannelView['policy']
  readonly members: { party: string; role: MemberRole; joined: boolean }[]
}

/** Channels in which one of `parties` takes part, newest first. */
export async function listChannels(
  db: Db,
  parties: readonly string[],
  only?: string,
): Promise<ChannelRow[]> {
  if (parties.length === 0) return []
  const channels = await db
    .selectFrom('channels')
    .selectAll()
    .$if(only !== undefined, (qb) => qb.where('id', '=', only!))
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('channel_members')
          .select('channel')
          .whereRef('channel_members.channel', '=', 'channels.id')
          .where('channel_members.party', 'in', parties),
      ),
    )
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute()
  if (channels.length === 0) return []
  const members = await db
    .selectFrom('channel_members')
    .selectAll()
    .where(
      'channel',
      'in',
      channels.map((channel) => channel.id),
    )
    .orderBy('party')
    .execute()
  return channels.map((channel) => ({
    id: channel.id,
    title: channel.title,
    creator: channel.creator,
    genesisId: channel.genesis_id,
    status: channel.status,
    createdAt: channel.created_at,
    // The projection stores the genesis's policy, which the ledger validated, or {}.
    policy: channel.policy as ChannelView['policy'],
    members: members
      .filter((member) => member.channel === channel.id)
      .map((member) => ({
        party: member.party,
        role: member.role,
        joined: member.joined_seq !== null,
      })),
  }))
}

/** One channel, if a party of `parties` takes part in it. */
export async function findChannel(
  db: Db,
  channel: string,
  parties: readonly string[],
): Promise<ChannelRow | undefined> {
  const [row] = await listChannels(db, parties, channel)
  return row
}
