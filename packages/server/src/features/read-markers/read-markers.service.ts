import { type ReadMarker, UNREAD_COUNT_MAX } from '@parley/api'
import { ServerError } from '../../errors.ts'
import { timelinePosition } from '../../ledger/index.ts'
import { channelOrThrow } from '../../node/channels.ts'
import type { NodeContext } from '../../node/context.ts'
import { advanceMarker, countAfter, markersOf } from './read-markers.repository.ts'

/**
 * Marks `channel` read by `officer` up to `upTo`. A marker never moves backwards: marking an
 * earlier event (another tab, a late request) leaves it where it is, and the answer says where.
 */
export async function markRead(
  ctx: NodeContext,
  officer: string,
  channel: string,
  upTo: string,
): Promise<ReadMarker> {
  await channelOrThrow(ctx, channel)
  const position = await timelinePosition(ctx.db, channel, upTo)
  if (position === undefined) {
    throw new ServerError('READ_MARKER_EVENT_UNKNOWN', { channel, event: upTo })
  }
  await advanceMarker(ctx.db, officer, channel, { eventId: upTo, ...position }, ctx.now())
  return (await readMarkers(ctx, officer, [channel]))[0]!
}

/** The officer's marker and unread count in each channel, counted up to {@link UNREAD_COUNT_MAX}. */
export async function readMarkers(
  ctx: NodeContext,
  officer: string,
  channels: readonly string[],
): Promise<ReadMarker[]> {
  const markers = await markersOf(ctx.db, officer, channels)
  return Promise.all(
    channels.map(async (channel) => {
      const marker = markers.get(channel)
      return {
        channel,
        upTo: marker?.eventId ?? null,
        unread: await countAfter(ctx.db, channel, marker, UNREAD_COUNT_MAX),
      }
    }),
  )
}

/** The channels with the officer's unread count added (GET /channels, the channel view). */
export async function withUnread<C extends { id: string }>(
  ctx: NodeContext,
  officer: string,
  channels: readonly C[],
): Promise<(C & { unread: number })[]> {
  const markers = await readMarkers(
    ctx,
    officer,
    channels.map((c) => c.id),
  )
  return channels.map((channel, i) => ({ ...channel, unread: markers[i]!.unread }))
}
