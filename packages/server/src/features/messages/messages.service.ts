import type { PageCursors, PageQuery } from '@parley/api'
import { timelinePage } from '../../ledger/index.ts'
import { channelOrThrow } from '../../node/channels.ts'
import type { NodeContext } from '../../node/context.ts'
import { type DeliveryState, type EventView, toEventView } from '../../node/event-view.ts'
import { type DeliveryRow, deliveryOf } from '../../node/outbox.repository.ts'
import { listPeerNodes } from '../federation/peers.service.ts'

/**
 * A page of a channel's events in the deterministic display order of DESIGN §4.7, each event
 * of a hosted party with its delivery state per recipient node. Costs O(limit): an index range
 * of the order, and the outbox rows of the page's own events only.
 */
export async function timeline(
  ctx: NodeContext,
  channelId: string,
  query: PageQuery,
): Promise<{ events: EventView[]; cursors: PageCursors }> {
  await channelOrThrow(ctx, channelId)
  const page = await timelinePage(ctx.db, channelId, query)
  const own = page.items.filter((stored) => ctx.identity.parties.has(stored.event.author))
  const rows = await deliveryOf(
    ctx.db,
    own.map((stored) => stored.id),
  )
  const peers =
    rows.length === 0
      ? new Map()
      : new Map((await listPeerNodes(ctx.db)).map((peer) => [peer.url, peer]))
  const byEvent = new Map<string, DeliveryState[]>()
  for (const row of rows) {
    const states = byEvent.get(row.eventId) ?? []
    states.push(
      deliveryState(
        row,
        peers.get(row.destination)?.parties ?? [],
        peers.get(row.destination)?.lastError ?? null,
      ),
    )
    byEvent.set(row.eventId, states)
  }
  const events = page.items.map((stored) =>
    toEventView(
      stored,
      ctx.identity.parties.has(stored.event.author) ? (byEvent.get(stored.id) ?? []) : undefined,
    ),
  )
  return { events, cursors: page.cursors }
}

function deliveryState(
  row: DeliveryRow,
  parties: string[],
  lastError: string | null,
): DeliveryState {
  const base = { node: row.node, url: row.destination, parties }
  if (row.deliveredAt !== null) {
    return { ...base, state: 'delivered', receiptAt: row.receiptAt ?? row.deliveredAt }
  }
  if (row.rejectedCode !== null) return { ...base, state: 'rejected', code: row.rejectedCode }
  if (row.failingSince !== null) {
    return {
      ...base,
      state: 'failed-retrying',
      since: row.failingSince,
      ...(lastError === null ? {} : { lastError }),
    }
  }
  return { ...base, state: 'queued' }
}
