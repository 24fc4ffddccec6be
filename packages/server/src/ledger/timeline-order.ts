import { EVENT_TYPES, type SignedEvent } from '@parley/protocol'
import type { Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import type { EventProjection } from './projection.ts'

/**
 * The timeline's display order (DESIGN §4.7) kept as a read model: channel events sort by
 * (order time, author, seq), where an event's order time is its own time raised to at least
 * its prev's order time and past (+1 ms) the order time of every event its heads cite that
 * this node holds with that id. So every event comes after its prev and after what it cites,
 * ties go by (time, author), and the order is the same on every node holding the same events,
 * whatever order they arrived in. A page of the timeline is then a range of one index.
 *
 * Clocks agree within the signature window, so order time is the event's own time unless its
 * heads cite an event stamped later (skew): raising is rare, and reaches only the events
 * stamped within that window after the raised one.
 */
export const timelineOrderProjection: EventProjection = {
  name: 'timeline-order',
  types: EVENT_TYPES,
  tables: ['timeline_entries', 'timeline_waits'],
  async apply(trx, { id, event }) {
    const { channel, author, seq } = event
    let orderTime = event.time
    const cited = Object.entries(event.heads).filter(([party]) => party !== author)
    const held = await trx
      .selectFrom('timeline_entries')
      .select(['event_id', 'author', 'seq', 'order_time'])
      .where('channel', '=', channel)
      .where((eb) =>
        eb.or([
          eb.and([eb('author', '=', author), eb('seq', '=', seq - 1)]),
          ...cited.map(([party, head]) =>
            eb.and([eb('author', '=', party), eb('seq', '=', head.seq)]),
          ),
        ]),
      )
      .execute()
    for (const row of held) {
      if (row.author === author) orderTime = Math.max(orderTime, Number(row.order_time))
    }
    const waits: { party: string; seq: number; cited_id: string }[] = []
    for (const [party, head] of cited) {
      const row = held.find((r) => r.author === party && Number(r.seq) === head.seq)
      if (row === undefined) waits.push({ party, seq: head.seq, cited_id: head.id })
      else if (row.event_id === head.id) orderTime = Math.max(orderTime, Number(row.order_time) + 1)
    }
    await trx
      .insertInto('timeline_entries')
      .values({ event_id: id, channel, order_time: orderTime, author, seq })
      .execute()
    if (waits.length > 0) {
      await trx
        .insertInto('timeline_waits')
        .values(waits.map((w) => ({ channel, ...w, waiting_event: id })))
        .onConflict((oc) => oc.doNothing())
        .execute()
    }
    // Events stored before this one that cite it now follow it.
    const waiting = await trx
      .deleteFrom('timeline_waits')
      .where('channel', '=', channel)
      .where('party', '=', author)
      .where('seq', '=', seq)
      .returning(['cited_id', 'waiting_event'])
      .execute()
    const raises = waiting
      .filter((w) => w.cited_id === id)
      .map((w) => ({ id: w.waiting_event, to: orderTime + 1 }))
    // Its successor in the chain may already be held too (a pending event stored out of order).
    raises.push(...(await successorRaise(trx, channel, author, seq, orderTime)))
    if (raises.length > 0) await raise(trx, channel, raises)
  },
}

async function successorRaise(
  trx: Transaction<DB>,
  channel: string,
  author: string,
  seq: number,
  to: number,
): Promise<{ id: string; to: number }[]> {
  const next = await trx
    .selectFrom('timeline_entries')
    .select(['event_id', 'order_time'])
    .where('channel', '=', channel)
    .where('author', '=', author)
    .where('seq', '=', seq + 1)
    .executeTakeFirst()
  return next !== undefined && Number(next.order_time) < to ? [{ id: next.event_id, to }] : []
}

/**
 * Raises order times until every event again follows its prev and what it cites: each raised
 * event's successor in its chain, and the events that cite it (found among those ordered
 * between its old and its new order time), follow it up.
 */
async function raise(
  trx: Transaction<DB>,
  channel: string,
  work: { id: string; to: number }[],
): Promise<void> {
  while (work.length > 0) {
    const { id, to } = work.pop()!
    const row = await trx
      .selectFrom('timeline_entries')
      .select(['author', 'seq', 'order_time'])
      .where('event_id', '=', id)
      .executeTakeFirst()
    if (row === undefined || Number(row.order_time) >= to) continue
    const from = Number(row.order_time)
    const seq = Number(row.seq)
    await trx
      .updateTable('timeline_entries')
      .set({ order_time: to })
      .where('event_id', '=', id)
      .execute()
    work.push(...(await successorRaise(trx, channel, row.author, seq, to)))
    // A citer's order time was above `from`; those at or above `to + 1` already follow.
    const citers = await trx
      .selectFrom('timeline_entries')
      .innerJoin('events', 'events.id', 'timeline_entries.event_id')
      .select(['timeline_entries.event_id as id', 'events.raw as raw'])
      .where('timeline_entries.channel', '=', channel)
      .where('timeline_entries.order_time', '>', from)
      .where('timeline_entries.order_time', '<=', to)
      .where('timeline_entries.author', '!=', row.author)
      .execute()
    for (const citer of citers) {
      const head = (JSON.parse(citer.raw) as SignedEvent).event.heads[row.author]
      if (head?.id === id) work.push({ id: citer.id, to: to + 1 })
    }
  }
}
