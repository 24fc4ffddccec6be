import type { Event } from '@parley/protocol'
import type { Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import type { AppendContext, StoredEvent } from './append-types.ts'

interface EventRow {
  readonly id: string
  readonly event: Event
  readonly sig: string
  /** The canonical `{ event, sig }` text, as signed and as exported. */
  readonly raw: string
  readonly receivedAt: number
}

/** Most rows one INSERT carries (10 parameters each, far below PostgreSQL's 65,535). */
const INSERT_CHUNK = 1000

/** Events waiting to be written by one multi-row INSERT; positions follow the order added. */
export class EventRows {
  readonly #trx: Transaction<DB>
  readonly #rows: EventRow[] = []
  readonly #stored: StoredEvent[] = []
  #flushed = 0

  constructor(trx: Transaction<DB>) {
    this.#trx = trx
  }

  /** Buffers a row; returns its index in what `flush` resolves to. */
  add(row: EventRow): number {
    this.#rows.push(row)
    return this.#rows.length - 1
  }

  /** Writes what is buffered; resolves to every event stored through this buffer so far. */
  async flush(): Promise<StoredEvent[]> {
    while (this.#flushed < this.#rows.length) {
      const chunk = this.#rows.slice(this.#flushed, this.#flushed + INSERT_CHUNK)
      const inserted = await this.#trx
        .insertInto('events')
        .values(
          chunk.map(({ id, event, raw, receivedAt }) => ({
            id,
            channel: event.channel,
            author: event.author,
            seq: event.seq,
            prev: event.prev,
            time: event.time,
            type: event.type,
            // The body was checked with the whole event (integers only, plain JSON); jsonb keeps
            // no text, so the quick serializer gives the same column as a canonical one.
            body: JSON.stringify(event.body),
            raw,
            received_at: receivedAt,
          })),
        )
        .returning(['id', 'position'])
        .execute()
      const positions = new Map(inserted.map((row) => [row.id, row.position]))
      for (const { id, event, sig, receivedAt } of chunk) {
        this.#stored.push({ id, event, sig, receivedAt, position: positions.get(id)! })
      }
      this.#flushed += chunk.length
    }
    return this.#stored
  }
}

/** Runs the projections and the caller's hooks for what a transaction stored, in order. */
export async function afterStore(
  trx: Transaction<DB>,
  stored: readonly StoredEvent[],
  ctx: AppendContext,
): Promise<void> {
  // A hook sees each event with its read models up to date, so it keeps the one-by-one order.
  if (ctx.onStored === undefined) await ctx.projections.applyEvents(trx, stored, ctx)
  else {
    for (const event of stored) {
      await ctx.projections.applyEvent(trx, event, ctx)
      await ctx.onStored(trx, event)
    }
  }
  if (stored.length > 0) await ctx.onStoredBatch?.(trx, stored)
}
