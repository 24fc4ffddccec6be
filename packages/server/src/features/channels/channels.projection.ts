import type { EventOf } from '@parley/protocol'
import type { Transaction } from 'kysely'
import type { EventProjection, ProjectionContext, StoredEvent } from '../../ledger/index.ts'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'

type ChannelEvent = 'channel.create' | 'channel.join'

/**
 * The channels a node holds and who takes part in them. The ledger's validation reads these
 * rows too (members, observers, policy), so the node cannot run without this projection.
 */
export const channelsProjection: EventProjection<ChannelEvent> = {
  name: 'channels',
  types: ['channel.create', 'channel.join'],
  tables: ['channels', 'channel_members'],
  apply: (trx, stored, ctx) =>
    stored.event.type === 'channel.create'
      ? projectChannelCreate(trx, stored as Stored<'channel.create'>, ctx)
      : projectChannelJoin(trx, stored as Stored<'channel.join'>, ctx),
}

type Stored<T extends ChannelEvent> = StoredEvent & { readonly event: EventOf<T> }

/**
 * A new channel, with its members and observers. When a party of this node is invited (a
 * member, not the creator) it starts as an invitation the party accepts by joining. A plain
 * insert on purpose: two parties creating one channel id at once race on its key, and the
 * loser's transaction retries and is refused (a replay into empty tables never conflicts).
 */
async function projectChannelCreate(
  trx: Transaction<DB>,
  { id, event }: Stored<'channel.create'>,
  { hosted }: ProjectionContext,
): Promise<void> {
  const { title, members, observers, policy } = event.body
  const invited = !hosted.includes(event.author) && members.some((party) => hosted.includes(party))
  await trx
    .insertInto('channels')
    .values({
      id: event.channel,
      creator: event.author,
      genesis_id: id,
      title,
      policy: jsonb(policy ?? {}),
      created_at: event.time,
      status: invited ? 'invited' : 'active',
    })
    .execute()
  const rows = [
    ...members.map((party) => ({
      channel: event.channel,
      party,
      role: 'member' as const,
      joined_seq: party === event.author ? event.seq : null,
    })),
    ...observers
      .filter((party) => !members.includes(party))
      .map((party) => ({
        channel: event.channel,
        party,
        role: 'observer' as const,
        joined_seq: null,
      })),
  ]
  await trx.insertInto('channel_members').values(rows).execute()
}

/** A member accepted the invitation; a hosted party's acceptance activates the channel here. */
async function projectChannelJoin(
  trx: Transaction<DB>,
  { event }: Stored<'channel.join'>,
  { hosted }: ProjectionContext,
): Promise<void> {
  await trx
    .updateTable('channel_members')
    .set({ joined_seq: event.seq })
    .where('channel', '=', event.channel)
    .where('party', '=', event.author)
    .execute()
  if (hosted.includes(event.author)) {
    await trx
      .updateTable('channels')
      .set({ status: 'active' })
      .where('id', '=', event.channel)
      .execute()
  }
}
