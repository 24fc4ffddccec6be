import type { Need } from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import { loadHeads } from './receiver-view.ts'

type Executor = Kysely<DB> | Transaction<DB>

/** What a receiver asks a sender for to fill a gap (DESIGN §4.6 `need`). */
export type { Need }

export interface PendingEvent {
  readonly id: string
  readonly channel: string
  readonly author: string
  readonly seq: number
  readonly raw: string
  readonly need: Need
  readonly receivedAt: number
}

/** Puts an event aside until its gap fills; a second arrival only refreshes what it needs. */
export async function putPending(db: Executor, pending: PendingEvent): Promise<void> {
  await db
    .insertInto('pending_events')
    .values({
      id: pending.id,
      channel: pending.channel,
      author: pending.author,
      seq: pending.seq,
      raw: pending.raw,
      need_author: pending.need.author,
      need_from_seq: pending.need.fromSeq,
      received_at: pending.receivedAt,
    })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        need_author: pending.need.author,
        need_from_seq: pending.need.fromSeq,
      }),
    )
    .execute()
}

export async function removePending(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('pending_events').where('id', '=', id).execute()
}

/** What a channel still waits for, one entry per author and first missing seq. */
export async function pendingNeeds(db: Executor, channel: string): Promise<Need[]> {
  const rows = await db
    .selectFrom('pending_events')
    .select(['need_author', (eb) => eb.fn.min('need_from_seq').as('from_seq')])
    .where('channel', '=', channel)
    .groupBy('need_author')
    .orderBy('need_author')
    .execute()
  return rows.map((row) => ({ channel, author: row.need_author, fromSeq: Number(row.from_seq) }))
}

/**
 * Pending events of a channel worth another try, in (author, seq) order: the next of its
 * author's chain (or behind it, to settle as duplicate or fork), and whose other need has
 * moved since it was recorded. The validator decides; this only avoids hopeless retries.
 */
export async function pendingReady(
  db: Executor,
  channel: string,
): Promise<{ id: string; raw: string }[]> {
  return (await pendingState(db, channel)).ready
}

/** {@link pendingReady}, and how many events of the channel wait in all. */
export async function pendingState(
  db: Executor,
  channel: string,
): Promise<{ waiting: number; ready: { id: string; raw: string }[] }> {
  const rows = await db
    .selectFrom('pending_events')
    .select(['id', 'author', 'seq', 'raw', 'need_author', 'need_from_seq'])
    .where('channel', '=', channel)
    .orderBy('author')
    .orderBy('seq')
    .orderBy('id')
    .execute()
  if (rows.length === 0) return { waiting: 0, ready: [] }
  const heads = await loadHeads(db, channel)
  const at = (party: string) => heads.get(party)?.seq ?? 0
  const ready = rows
    .filter((row) => at(row.author) >= row.seq - 1 && at(row.need_author) >= row.need_from_seq)
    .map(({ id, raw }) => ({ id, raw }))
  return { waiting: rows.length, ready }
}
