import type { PageQuery } from '@parley/api'
import type { Kysely, Transaction } from 'kysely'
import { type Keyset, type Page, readPage } from '../store/keyset.ts'
import type { DB } from '../store/tables.ts'
import type { StoredEvent } from './append-types.ts'
import { storedOf } from './log.ts'

type Executor = Kysely<DB> | Transaction<DB>

/** Where an event stands in its channel's display order: the timeline's keyset. */
export interface TimelinePosition {
  readonly orderTime: number
  readonly author: string
  readonly seq: number
}

export type TimelineEvent = StoredEvent & { readonly order: TimelinePosition }

const timelineKeyset = (channel: string): Keyset<TimelineEvent> => ({
  scope: `timeline:${channel}`,
  columns: ['timeline_entries.order_time', 'timeline_entries.author', 'timeline_entries.seq'],
  kinds: ['int', 'text', 'int'],
  key: ({ order }) => [order.orderTime, order.author, order.seq],
})

/**
 * One page of a channel's events in display order (DESIGN §4.7, kept by
 * `timelineOrderProjection`): a range of the `timeline_entries_order` index joined to the
 * events by id, so it reads `limit + 1` rows whatever the channel holds.
 */
export function timelinePage(
  db: Executor,
  channel: string,
  query: PageQuery,
): Promise<Page<TimelineEvent>> {
  return readPage(timelineKeyset(channel), query, async (where, direction, limit) => {
    let select = db
      .selectFrom('timeline_entries')
      .innerJoin('events', 'events.id', 'timeline_entries.event_id')
      .select([
        'events.id',
        'events.raw',
        'events.received_at',
        'events.position',
        'timeline_entries.order_time',
        'timeline_entries.author',
        'timeline_entries.seq',
      ])
      .where('timeline_entries.channel', '=', channel)
    if (where !== undefined) select = select.where(where)
    const rows = await select
      .orderBy('timeline_entries.order_time', direction)
      .orderBy('timeline_entries.author', direction)
      .orderBy('timeline_entries.seq', direction)
      .limit(limit)
      .execute()
    return rows.map((row) => ({
      ...storedOf(row),
      order: { orderTime: Number(row.order_time), author: row.author, seq: Number(row.seq) },
    }))
  })
}

/** Where `eventId` stands in the display order of `channel`, if the channel holds it. */
export async function timelinePosition(
  db: Executor,
  channel: string,
  eventId: string,
): Promise<TimelinePosition | undefined> {
  const row = await db
    .selectFrom('timeline_entries')
    .select(['order_time', 'author', 'seq'])
    .where('event_id', '=', eventId)
    .where('channel', '=', channel)
    .executeTakeFirst()
  return row === undefined
    ? undefined
    : { orderTime: Number(row.order_time), author: row.author, seq: Number(row.seq) }
}

/** Every event of a channel in display order, read page by page (exports, small channels). */
export async function channelTimeline(db: Executor, channel: string): Promise<StoredEvent[]> {
  const events: StoredEvent[] = []
  let after: string | undefined
  for (;;) {
    const page = await timelinePage(db, channel, {
      limit: 500,
      ...(after === undefined ? { from: 'oldest' as const } : { after }),
    })
    events.push(...page.items)
    // A short page is the newest; `after` stays set on it, for readers who poll.
    if (page.items.length < 500 || page.cursors.after === null) return events
    after = page.cursors.after
  }
}

/**
 * The display order of gap-free chains (author → events by seq), computed in memory by the
 * rule {@link timelineOrderProjection} keeps in the database: order time = the event's time,
 * raised to its prev's order time and past the order time of each cited event held with that
 * id; then (order time, author, seq).
 */
export function causalOrder(chains: ReadonlyMap<string, readonly StoredEvent[]>): StoredEvent[] {
  const all = [...chains.values()].flat()
  const order = new Map<string, number>(all.map((stored) => [stored.id, stored.event.time]))
  // Signed heads cannot form a cycle (ids commit to content); claims of events never checked
  // could, so stop after as many passes as there are events.
  for (let pass = 0, changed = true; changed && pass <= all.length; pass++) {
    changed = false
    for (const stored of all) {
      const { author, seq, heads } = stored.event
      let time = order.get(stored.id)!
      const prev = chains.get(author)?.[seq - 2]
      if (prev !== undefined) time = Math.max(time, order.get(prev.id)!)
      for (const [party, head] of Object.entries(heads)) {
        if (party === author) continue
        const cited = chains.get(party)?.[head.seq - 1]
        if (cited !== undefined && cited.id === head.id) {
          time = Math.max(time, order.get(cited.id)! + 1)
        }
      }
      if (time !== order.get(stored.id)) {
        order.set(stored.id, time)
        changed = true
      }
    }
  }
  const key = (s: StoredEvent) => order.get(s.id)!
  return all.sort(
    (a, b) =>
      key(a) - key(b) ||
      (a.event.author < b.event.author ? -1 : a.event.author > b.event.author ? 1 : 0) ||
      a.event.seq - b.event.seq,
  )
}
