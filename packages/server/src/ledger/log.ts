import type { SignedEvent } from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import type { StoredEvent } from './append-types.ts'
import { loadHeads } from './receiver-view.ts'

type Executor = Kysely<DB> | Transaction<DB>

/**
 * Most events one log read returns. DESIGN §4.6 said 500; catch-up pulls far fewer pages at
 * 2,000 (issue 9), and a peer that still answers 500 is read as a run of short pages.
 */
export const MAX_LOG_READ = 2000

/**
 * Most bytes of events one log read returns, whatever the count: 2,000 events of the largest
 * size would exceed what a peer reads of a reply (40 MiB), so a page of big events is shorter.
 */
export const MAX_LOG_READ_BYTES = 16 * 1024 * 1024

/**
 * An author's events in a channel from `fromSeq` on, in seq order, exactly as signed: the
 * federation `log` endpoint's answer. `limit` is clamped to 1..500.
 */
export async function readLog(
  db: Executor,
  channel: string,
  author: string,
  fromSeq: number,
  limit: number = MAX_LOG_READ,
): Promise<SignedEvent[]> {
  const texts = await readLogRaw(db, channel, author, fromSeq, limit)
  return texts.map((text) => JSON.parse(text) as SignedEvent)
}

/**
 * {@link readLog} as the stored canonical `{ event, sig }` texts, for a reply that passes the
 * signed bytes on without parsing and re-serializing each event. At least one event, and no
 * more than {@link MAX_LOG_READ_BYTES} of them.
 */
export async function readLogRaw(
  db: Executor,
  channel: string,
  author: string,
  fromSeq: number,
  limit: number = MAX_LOG_READ,
): Promise<string[]> {
  const rows = await db
    .selectFrom('events')
    .select('raw')
    .where('channel', '=', channel)
    .where('author', '=', author)
    .where('seq', '>=', fromSeq)
    .orderBy('seq')
    .limit(Math.max(1, Math.min(MAX_LOG_READ, Math.floor(limit))))
    .execute()
  const texts: string[] = []
  let bytes = 0
  for (const { raw } of rows) {
    bytes += Buffer.byteLength(raw)
    if (bytes > MAX_LOG_READ_BYTES && texts.length > 0) break
    texts.push(raw)
  }
  return texts
}

/** Latest contiguous `(seq, id)` of every author of a channel (the federation `heads`). */
export async function readHeads(
  db: Executor,
  channel: string,
): Promise<Record<string, { seq: number; id: string }>> {
  const heads: Record<string, { seq: number; id: string }> = {}
  for (const [author, { seq, id }] of await loadHeads(db, channel)) heads[author] = { seq, id }
  return heads
}

/** One stored event by id. */
export async function readEvent(db: Executor, id: string): Promise<StoredEvent | undefined> {
  const row = await db
    .selectFrom('events')
    .select(['id', 'raw', 'received_at', 'position'])
    .where('id', '=', id)
    .executeTakeFirst()
  return row === undefined ? undefined : storedOf(row)
}

/** Every stored event of a channel in local commit order, which is a causal order for `prev`. */
export async function* channelEvents(
  db: Executor,
  channel: string,
  pageSize = 500,
): AsyncGenerator<StoredEvent> {
  let after = 0
  for (;;) {
    const rows = await db
      .selectFrom('events')
      .select(['id', 'raw', 'received_at', 'position'])
      .where('channel', '=', channel)
      .where('position', '>', after)
      .orderBy('position')
      .limit(pageSize)
      .execute()
    for (const row of rows) yield storedOf(row)
    if (rows.length < pageSize) return
    after = rows[rows.length - 1]!.position
  }
}

export function storedOf(row: {
  id: string
  raw: string
  received_at: number
  position: number
}): StoredEvent {
  const { event, sig } = JSON.parse(row.raw) as SignedEvent
  return { id: row.id, event, sig, receivedAt: row.received_at, position: row.position }
}
