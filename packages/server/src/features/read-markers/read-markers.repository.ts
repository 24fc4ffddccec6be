import { type Kysely, sql } from 'kysely'
import type { TimelinePosition } from '../../ledger/index.ts'
import type { DB } from '../../store/tables.ts'

export interface MarkerRow extends TimelinePosition {
  readonly eventId: string
}

/** The officer's markers in these channels. */
export async function markersOf(
  db: Kysely<DB>,
  officer: string,
  channels: readonly string[],
): Promise<Map<string, MarkerRow>> {
  if (channels.length === 0) return new Map()
  const rows = await db
    .selectFrom('read_markers')
    .select(['channel', 'event_id', 'order_time', 'author', 'seq'])
    .where('officer', '=', officer)
    .where('channel', 'in', channels)
    .execute()
  return new Map(
    rows.map((row) => [
      row.channel,
      {
        eventId: row.event_id,
        orderTime: Number(row.order_time),
        author: row.author,
        seq: Number(row.seq),
      },
    ]),
  )
}

/** Moves the marker to `to` unless it already stands there or later; one statement, no race. */
export async function advanceMarker(
  db: Kysely<DB>,
  officer: string,
  channel: string,
  to: MarkerRow,
  now: number,
): Promise<void> {
  await db
    .insertInto('read_markers')
    .values({
      officer,
      channel,
      event_id: to.eventId,
      order_time: to.orderTime,
      author: to.author,
      seq: to.seq,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc
        .columns(['officer', 'channel'])
        .doUpdateSet((eb) => ({
          event_id: eb.ref('excluded.event_id'),
          order_time: eb.ref('excluded.order_time'),
          author: eb.ref('excluded.author'),
          seq: eb.ref('excluded.seq'),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .where(
          sql<boolean>`(excluded.order_time, excluded.author, excluded.seq) > (read_markers.order_time, read_markers.author, read_markers.seq)`,
        ),
    )
    .execute()
}

/**
 * The channel's events after `from` in display order, counted up to `cap`: an index range of
 * `timeline_entries_order` that stops at `cap` rows, whatever the channel holds.
 */
export async function countAfter(
  db: Kysely<DB>,
  channel: string,
  from: TimelinePosition | undefined,
  cap: number,
): Promise<number> {
  let inner = db
    .selectFrom('timeline_entries')
    .select(sql<number>`1`.as('one'))
    .where('channel', '=', channel)
  if (from !== undefined) {
    inner = inner.where(
      sql<boolean>`(order_time, author, seq) > (${from.orderTime}, ${from.author}, ${from.seq})`,
    )
  }
  const row = await db
    .selectFrom(inner.limit(cap).as('unread'))
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
