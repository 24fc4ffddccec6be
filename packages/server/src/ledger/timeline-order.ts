import { EVENT_TYPES, type SignedEvent } from '@parley/protocol'
import { sql, type Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import type { StoredEvent } from './append-types.ts'
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
  async applyBatch(trx, stored, ctx) {
    const byChannel = new Map<string, StoredEvent[]>()
    for (const one of stored) {
      const run = byChannel.get(one.event.channel)
      if (run === undefined) byChannel.set(one.event.channel, [one])
      else run.push(one)
    }
    // Channels never read each other's entries, so each is a run of its own.
    for (const [channel, run] of byChannel) {
      // Placing events one by one costs a statement each; ordering them in memory costs three.
      if (run.length < 3) {
        for (const one of run) await timelineOrderProjection.apply(trx, one, ctx)
        continue
      }
      const entries = await orderInMemory(trx, channel, run)
      if (entries === undefined) {
        for (const one of run) await timelineOrderProjection.apply(trx, one, ctx)
        continue
      }
      for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('timeline_entries')
          .values(entries.slice(i, i + INSERT_CHUNK))
          .execute()
      }
    }
  },
  async apply(trx, { id, event }) {
    const { channel, author, seq } = event
    const cited = Object.entries(event.heads).filter(([party]) => party !== author)
    const placed = await placeEntry(trx, {
      id,
      channel,
      author,
      seq,
      time: event.time,
      parties: cited.map(([party]) => party),
      seqs: cited.map(([, head]) => head.seq),
      ids: cited.map(([, head]) => head.id),
    })
    const orderTime = Number(placed.find((row) => row.order_time !== null)!.order_time)
    const raises: { id: string; to: number }[] = []
    for (const row of placed) {
      // Events stored before this one that cite it now follow it.
      if (row.waiting_event !== null && row.cited_id === id) {
        raises.push({ id: row.waiting_event, to: orderTime + 1 })
      }
      // Its successor in the chain may already be held too (a pending event stored out of order).
      if (row.next_id !== null && Number(row.next_order) < orderTime) {
        raises.push({ id: row.next_id, to: orderTime })
      }
    }
    if (raises.length > 0) await raise(trx, channel, raises)
  },
}

/**
 * Stores an event's timeline entry in ONE statement (it runs for every event stored, on both
 * nodes): its order time is its own time, raised to its prev's order time and past (+1) that of
 * each cited head held here with the cited id; a cited head not held yet is noted as a wait.
 * Takes the waits on this event that it now ends. Returns one row with the order time, one per
 * ended wait and one for the chain's successor when it is held already.
 */
async function placeEntry(
  trx: Transaction<DB>,
  entry: {
    readonly id: string
    readonly channel: string
    readonly author: string
    readonly seq: number
    readonly time: number
    readonly parties: readonly string[]
    readonly seqs: readonly number[]
    readonly ids: readonly string[]
  },
) {
  const { id, channel, author, seq, time } = entry
  const { rows } = await sql<{
    order_time: string | number | null
    cited_id: string | null
    waiting_event: string | null
    next_id: string | null
    next_order: string | number | null
  }>`
    with cited as (
      select * from unnest(${entry.parties}::text[], ${entry.seqs}::bigint[], ${entry.ids}::text[])
        as c(party, seq, id)
    ), held as (
      select c.party, c.seq, c.id, t.event_id, t.order_time
      from cited c
      left join timeline_entries t on t.channel = ${channel} and t.author = c.party and t.seq = c.seq
    ), placed as (
      select greatest(
        ${time}::bigint,
        (select order_time from timeline_entries
          where channel = ${channel} and author = ${author} and seq = ${seq}::bigint - 1),
        (select max(order_time) + 1 from held where event_id = id)
      ) as order_time
    ), entry as (
      insert into timeline_entries (event_id, channel, order_time, author, seq)
      select ${id}, ${channel}, order_time, ${author}, ${seq}::bigint from placed
    ), waits as (
      insert into timeline_waits (channel, party, seq, cited_id, waiting_event)
      select ${channel}, party, seq, id, ${id} from held where event_id is null
      on conflict do nothing
    ), ended as (
      delete from timeline_waits
      where channel = ${channel} and party = ${author} and seq = ${seq}::bigint
      returning cited_id, waiting_event
    )
    select order_time, null as cited_id, null as waiting_event, null as next_id,
      null::bigint as next_order
    from placed
    union all
    select null, cited_id, waiting_event, null, null from ended
    union all
    select null, null, null, event_id, order_time from timeline_entries
    where channel = ${channel} and author = ${author} and seq = ${seq}::bigint + 1`.execute(trx)
  return rows
}

/** Most rows one INSERT of entries carries (5 parameters each). */
const INSERT_CHUNK = 1000

interface Entry {
  event_id: string
  channel: string
  order_time: number
  author: string
  seq: number
}

/**
 * The entries `apply` would insert for a run of one channel's events, computed from two reads,
 * when the run is the common case: every cited event held (here or earlier in the run), no
 * event of it awaited by a stored citer, none with a successor already held. Otherwise (a wait
 * or a raise is due) `undefined`, and the run is applied one event at a time.
 */
async function orderInMemory(
  trx: Transaction<DB>,
  channel: string,
  run: readonly StoredEvent[],
): Promise<Entry[] | undefined> {
  // Per author, the seqs the run looks up: each event's prev, successor and cited heads.
  const ranges = new Map<string, { from: number; to: number }>()
  const need = (author: string, seq: number) => {
    const range = ranges.get(author)
    if (range === undefined) ranges.set(author, { from: seq, to: seq })
    else {
      range.from = Math.min(range.from, seq)
      range.to = Math.max(range.to, seq)
    }
  }
  for (const { event } of run) {
    need(event.author, event.seq - 1)
    need(event.author, event.seq + 1)
    for (const [party, head] of Object.entries(event.heads)) need(party, head.seq)
  }
  const spans = [...ranges].map(([party, { from, to }]) => ({ party, from, to }))
  const rows = await trx
    .selectFrom('timeline_entries')
    .select(['event_id', 'author', 'seq', 'order_time'])
    .where('channel', '=', channel)
    .where((eb) =>
      eb.or(
        spans.map(({ party, from, to }) =>
          eb.and([eb('author', '=', party), eb('seq', '>=', from), eb('seq', '<=', to)]),
        ),
      ),
    )
    .execute()
  const awaited = await trx
    .selectFrom('timeline_waits')
    .select(['party', 'seq'])
    .where('channel', '=', channel)
    .where((eb) =>
      eb.or(
        spans.map(({ party, from, to }) =>
          eb.and([eb('party', '=', party), eb('seq', '>=', from), eb('seq', '<=', to)]),
        ),
      ),
    )
    .execute()
  const key = (author: string, seq: number) => `${author}\n${seq}`
  const held = new Map<string, { id: string; orderTime: number }>()
  for (const row of rows) {
    held.set(key(row.author, Number(row.seq)), {
      id: row.event_id,
      orderTime: Number(row.order_time),
    })
  }
  const waitedFor = new Set(awaited.map((row) => key(row.party, Number(row.seq))))
  const entries: Entry[] = []
  for (const { id, event } of run) {
    const { author, seq } = event
    if (waitedFor.has(key(author, seq)) || held.has(key(author, seq + 1))) return undefined
    let orderTime = Math.max(event.time, held.get(key(author, seq - 1))?.orderTime ?? -Infinity)
    for (const [party, head] of Object.entries(event.heads)) {
      if (party === author) continue
      const cited = held.get(key(party, head.seq))
      if (cited === undefined) return undefined
      if (cited.id === head.id) orderTime = Math.max(orderTime, cited.orderTime + 1)
    }
    held.set(key(author, seq), { id, orderTime })
    entries.push({ event_id: id, channel, order_time: orderTime, author, seq })
  }
  return entries
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
