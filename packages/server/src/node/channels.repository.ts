import type { ChannelView } from '@parley/api'
import type { ExpressionBuilder, Kysely, RawBuilder, Selectable, Transaction } from 'kysely'
import type { ChannelStatus, MemberRole } from '../ledger/index.ts'
import type { ChannelsTable } from '../ledger/ledger.table.ts'
import type { Keyset } from '../store/keyset.ts'
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
    .where((eb) => takenPartIn(eb, parties))
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute()
  return withMembers(db, channels)
}

/**
 * Channels in (created_at, id) order, `direction` from `where` on (a keyset page's fetch, on
 * the index `channels_order`): those one of `parties` takes part in and, with `officer`, in
 * that officer's compartments, so a page is filled with channels the officer may see.
 */
export async function channelRange(
  db: Db,
  filter: {
    readonly parties: readonly string[]
    readonly officer?: string
    readonly where: RawBuilder<boolean> | undefined
    readonly direction: 'asc' | 'desc'
    readonly limit: number
  },
): Promise<ChannelRow[]> {
  const { parties, officer, where, direction, limit } = filter
  if (parties.length === 0) return []
  const channels = await db
    .selectFrom('channels')
    .selectAll()
    .where((eb) => takenPartIn(eb, parties))
    .$if(officer !== undefined, (qb) =>
      qb.where((eb) =>
        eb.exists(
          eb
            .selectFrom('channel_access')
            .select('channel_access.channel')
            .whereRef('channel_access.channel', '=', 'channels.id')
            .where('channel_access.officer', '=', officer!),
        ),
      ),
    )
    .$if(where !== undefined, (qb) => qb.where(where!))
    .orderBy('channels.created_at', direction)
    .orderBy('channels.id', direction)
    .limit(limit)
    .execute()
  return withMembers(db, channels)
}

/**
 * A page order of channels, as {@link channelRange} reads them: when each was opened, then its
 * id. `scope` names the list, so a cursor of one list of channels is refused by another.
 */
export function channelOrder(scope: string): Keyset<ChannelRow> {
  return {
    scope,
    columns: ['channels.created_at', 'channels.id'],
    kinds: ['int', 'text'],
    key: (row) => [Number(row.createdAt), row.id],
  }
}

function takenPartIn(eb: ExpressionBuilder<DB, 'channels'>, parties: readonly string[]) {
  return eb.exists(
    eb
      .selectFrom('channel_members')
      .select('channel')
      .whereRef('channel_members.channel', '=', 'channels.id')
      .where('channel_members.party', 'in', parties),
  )
}

async function withMembers(
  db: Db,
  channels: readonly Selectable<ChannelsTable>[],
): Promise<ChannelRow[]> {
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
