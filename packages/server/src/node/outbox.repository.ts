import { canonicalJson } from '@parley/protocol'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { CheckedReceipt } from '../ledger/index.ts'
import type { DB } from '../store/tables.ts'

type Db = Kysely<DB> | Transaction<DB>

/**
 * Queues hosted parties' new events for every peer node that hosts another participant of
 * their channel, in ONE statement (routing and insert together), in the order given: the
 * order each destination's worker pushes them in. Call it in the transaction that appends
 * the events. Returns the destinations that got work.
 */
export async function enqueueOwnEvents(
  db: Db,
  events: readonly { readonly id: string; readonly channel: string }[],
  hosted: readonly string[],
  now: number,
): Promise<readonly string[]> {
  if (events.length === 0) return []
  const { rows } = await sql<{ destination: string }>`
    insert into outbox (destination, event_id, enqueued_at)
    select p.url, e.id, ${now}::bigint
    from unnest(${events.map((e) => e.id)}::text[], ${events.map((e) => e.channel)}::text[])
      with ordinality as e(id, channel, ord)
    join channel_members m on m.channel = e.channel
    join peer_parties p on p.party = m.party
    where m.party <> all(${[...hosted]}::text[])
    group by e.ord, e.id, p.url
    order by e.ord, p.url
    on conflict (event_id, destination) do nothing
    returning destination`.execute(db)
  return [...new Set(rows.map((row) => row.destination))]
}

/**
 * Queues, for a newly known peer node, every event hosted parties wrote in channels where
 * one of the peer's parties takes part, in commit order, skipping what is already queued.
 */
export async function backfillDestination(
  db: Db,
  url: string,
  peerParties: readonly string[],
  now: number,
): Promise<number> {
  if (peerParties.length === 0) return 0
  const result = await db
    .insertInto('outbox')
    .columns(['destination', 'event_id', 'enqueued_at'])
    .expression((eb) =>
      eb
        .selectFrom('events')
        .innerJoin('parties', 'parties.id', 'events.author')
        .select([eb.val(url).as('destination'), 'events.id', eb.val(now).as('enqueued_at')])
        .where('parties.hosted', '=', true)
        .where((w) =>
          w.exists(
            w
              .selectFrom('channel_members')
              .select('channel_members.party')
              .whereRef('channel_members.channel', '=', 'events.channel')
              .where('channel_members.party', 'in', peerParties),
          ),
        )
        .orderBy('events.position'),
    )
    .onConflict((oc) => oc.columns(['event_id', 'destination']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0)
}

export interface OutboxItem {
  readonly outboxId: number
  readonly eventId: string
  readonly channel: string
  readonly author: string
  readonly raw: string
}

/** One author's chain in one channel. */
export interface Chain {
  readonly channel: string
  readonly author: string
}

/**
 * The next events a destination waits for, oldest first (queued after `after`, if given),
 * leaving out the events of the chains in `skip`.
 */
export async function nextBatch(
  db: Db,
  destination: string,
  limit: number,
  after = 0,
  skip: readonly Chain[] = [],
): Promise<OutboxItem[]> {
  let query = db
    .selectFrom('outbox')
    .innerJoin('events', 'events.id', 'outbox.event_id')
    .select([
      'outbox.id as outboxId',
      'outbox.event_id as eventId',
      'events.channel as channel',
      'events.author as author',
      'events.raw as raw',
    ])
    .where('outbox.destination', '=', destination)
    .where('outbox.delivered_at', 'is', null)
    .where('outbox.rejected_code', 'is', null)
    .where('outbox.id', '>', after)
  if (skip.length > 0) {
    query = query.where(
      sql<boolean>`(events.channel, events.author) not in (
        select * from unnest(${skip.map((c) => c.channel)}::text[], ${skip.map((c) => c.author)}::text[]))`,
    )
  }
  const rows = await query.orderBy('outbox.id').limit(limit).execute()
  return rows.map((row) => ({ ...row, outboxId: Number(row.outboxId) }))
}

/**
 * Stores a peer's checked receipt, links it to the events it covers (of `sent`), and marks
 * those delivered to `destination`, in ONE statement (so atomically, and in one round trip).
 * Idempotent, as `insertReceipt` and `markDelivered` are.
 */
export async function recordDelivery(
  db: Db,
  destination: string,
  { id, receipt, sig }: CheckedReceipt,
  sent: readonly string[],
  now: number,
): Promise<readonly string[]> {
  const isSent = new Set(sent)
  const covered = [...new Set(receipt.events.filter((event) => isSent.has(event)))]
  await sql`
    with stored as (
      insert into receipts (id, by_party, key_id, received_at, raw, stored_at)
      values (${id}, ${receipt.by}, ${receipt.key}, ${receipt.receivedAt}::bigint,
              ${canonicalJson({ receipt, sig })}, ${now}::bigint)
      on conflict (id) do nothing
    ), linked as (
      insert into receipt_events (receipt, event, channel)
      select ${id}, w.event, e.channel
      from unnest(${covered}::text[]) as w(event)
      left join events e on e.id = w.event
      on conflict (receipt, event) do nothing
    )
    update outbox set delivered_at = ${now}::bigint, receipt_id = ${id}
    where destination = ${destination} and event_id = any(${covered}::text[])
      and delivered_at is null`.execute(db)
  return covered
}

/** Marks events delivered to a destination under the receipt that covers them. */
async function _markDelivered(
  db: Db,
  destination: string,
  eventIds: readonly string[],
  receiptId: string,
  at: number,
): Promise<void> {
  if (eventIds.length === 0) return
  await db
    .updateTable('outbox')
    .set({ delivered_at: at, receipt_id: receiptId })
    .where('destination', '=', destination)
    .where('event_id', 'in', eventIds)
    .where('delivered_at', 'is', null)
    .execute()
}

/** Marks an event the destination refused for good; it stays visible with its code. */
export async function markRejected(
  db: Db,
  destination: string,
  eventId: string,
  code: string,
): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ rejected_code: code })
    .where('destination', '=', destination)
    .where('event_id', '=', eventId)
    .where('delivered_at', 'is', null)
    .execute()
}

/** Destinations that still have undelivered events. */
export async function waitingDestinations(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('outbox')
    .select('destination')
    .distinct()
    .where('delivered_at', 'is', null)
    .where('rejected_code', 'is', null)
    .execute()
  return rows.map((row) => row.destination)
}

export interface DeliveryRow {
  readonly eventId: string
  readonly destination: string
  readonly node: string | null
  readonly enqueuedAt: number
  readonly deliveredAt: number | null
  readonly receiptAt: number | null
  readonly rejectedCode: string | null
  readonly failingSince: number | null
}

/** Delivery rows of the given events, for the timeline's per-recipient state. */
export async function deliveryOf(db: Db, eventIds: readonly string[]): Promise<DeliveryRow[]> {
  if (eventIds.length === 0) return []
  const rows = await db
    .selectFrom('outbox')
    .innerJoin('peer_nodes', 'peer_nodes.url', 'outbox.destination')
    .leftJoin('receipts', 'receipts.id', 'outbox.receipt_id')
    .select([
      'outbox.event_id as eventId',
      'outbox.destination as destination',
      'peer_nodes.node as node',
      'outbox.enqueued_at as enqueuedAt',
      'outbox.delivered_at as deliveredAt',
      'receipts.received_at as receiptAt',
      'outbox.rejected_code as rejectedCode',
      'peer_nodes.failing_since as failingSince',
    ])
    .where('outbox.event_id', 'in', eventIds)
    .orderBy('outbox.destination')
    .execute()
  return rows
}
