import type { EventOf, EventType } from '@parley/protocol'
import type { Transaction } from 'kysely'
import { jsonb } from '../store/jsonb.ts'
import type { DB } from '../store/tables.ts'
import type { StoredEvent } from './append-types.ts'

/** What a projection may know besides the event. */
export interface ProjectionContext {
  readonly hosted: readonly string[]
}

type Projection<T extends EventType> = (
  trx: Transaction<DB>,
  stored: StoredEvent & { readonly event: EventOf<T> },
  ctx: ProjectionContext,
) => Promise<void>

/**
 * The read models kept beside the log, one function per event type. Each runs in the
 * transaction that stores its event, so a projection is never ahead of or behind the log,
 * and each can be rebuilt by replaying the log in order (`parley reindex`). Types without
 * an entry have no read model yet: notices (status, deadlines), red lines and drafts add
 * theirs here.
 */
export const projections: { readonly [T in EventType]?: Projection<T> } = {
  'channel.create': projectChannelCreate,
  'channel.join': projectChannelJoin,
}

/** Updates the read models for one stored event. */
export async function project(
  trx: Transaction<DB>,
  stored: StoredEvent,
  ctx: ProjectionContext,
): Promise<void> {
  const projection = projections[stored.event.type] as Projection<EventType> | undefined
  await projection?.(trx, stored, ctx)
}

/**
 * A new channel, with its members and observers. When a party of this node is invited (a
 * member, not the creator) it starts as an invitation the party accepts by joining.
 */
async function projectChannelCreate(
  trx: Transaction<DB>,
  { id, event }: StoredEvent & { readonly event: EventOf<'channel.create'> },
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
  { event }: StoredEvent & { readonly event: EventOf<'channel.join'> },
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
