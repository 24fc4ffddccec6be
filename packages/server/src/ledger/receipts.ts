import {
  canonicalJson,
  domains,
  type SignedReceipt,
  sha256Hex,
  signedMessage,
  verifyReceipt,
} from '@parley/protocol'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import type { StoredEvent } from './append-types.ts'
import { partyKeys } from './keys.ts'
import { storedOf } from './log.ts'
import type { ProjectionContext, ProjectionRegistry, StoredReceipt } from './projection.ts'

type Executor = Kysely<DB> | Transaction<DB>

/** What storing a receipt needs: the clock, and the read models it updates. */
export interface ReceiptContext extends ProjectionContext {
  readonly now: number
  readonly projections: ProjectionRegistry
  /** Narrows which of the receipt's events to link (say, the ones this node sent). */
  readonly covers?: readonly string[]
}

export type StoreReceiptResult =
  | { readonly ok: true; readonly id: string; readonly duplicate: boolean }
  | { readonly ok: false; readonly code: 'RECEIPT_INVALID'; readonly message: string }

/**
 * Keeps a peer's signed receipt (DESIGN §4.5) with every event it covers, after checking it
 * against the pinned keys of the receiving party, and updates the read models of receipts in
 * the same transaction. `covers` narrows which of the receipt's events to link; by default all
 * of them. Idempotent.
 */
export async function storeReceipt(
  db: Kysely<DB>,
  signed: unknown,
  options: ReceiptContext,
): Promise<StoreReceiptResult> {
  const checked = await checkReceipt(db, signed)
  if (!checked.ok) return checked
  return db.transaction().execute((trx) => insertReceipt(trx, checked, options))
}

/** A signed receipt whose signature verified with a pinned key of the party it names. */
export interface CheckedReceipt {
  readonly ok: true
  readonly id: string
  readonly receipt: SignedReceipt['receipt']
  readonly sig: string
}

/** Checks a peer's signed receipt against the pinned keys of the party it names. */
export async function checkReceipt(
  db: Executor,
  signed: unknown,
): Promise<CheckedReceipt | Extract<StoreReceiptResult, { ok: false }>> {
  const by = (signed as { receipt?: { by?: unknown } } | null)?.receipt?.by
  const keys = typeof by === 'string' ? await partyKeys(db, by) : []
  const verified = await verifyReceipt(signed, (party) => (party === by ? keys : []))
  if (!verified.ok) return verified
  const { receipt } = verified
  return { ok: true, id: await receiptId(receipt), receipt, sig: (signed as SignedReceipt).sig }
}

/**
 * Stores a checked receipt and links it to the events it covers (narrowed by `covers`), in the
 * caller's transaction, so marking those events delivered can commit with it. Idempotent.
 */
export async function insertReceipt(
  trx: Transaction<DB>,
  { id, receipt, sig }: CheckedReceipt,
  options: ReceiptContext,
): Promise<{ ok: true; id: string; duplicate: boolean }> {
  const covers = options.covers === undefined ? undefined : new Set(options.covers)
  const events = receipt.events.filter((event) => covers?.has(event) ?? true)
  const inserted = await trx
    .insertInto('receipts')
    .values({
      id,
      by_party: receipt.by,
      key_id: receipt.key,
      received_at: receipt.receivedAt,
      raw: canonicalJson({ receipt, sig }),
      stored_at: options.now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (events.length > 0) {
    // Each link records its event's channel as held here (null for one not held), in one go.
    await sql`
      insert into receipt_events (receipt, event, channel)
      select ${id}, w.event, e.channel
      from unnest(${[...new Set(events)]}::text[]) as w(event)
      left join events e on e.id = w.event
      on conflict (receipt, event) do nothing`.execute(trx)
  }
  await projectReceipt(trx, id, options)
  return { ok: true, id, duplicate: inserted === undefined }
}

/**
 * Runs the read models of receipts for a stored receipt, in the transaction that stored it (or
 * linked more events to it), with every event of this node it covers, in log order. Read back
 * from the tables, so a live store and a reindex hand projections the same values.
 */
export async function projectReceipt(
  trx: Transaction<DB>,
  id: string,
  ctx: ProjectionContext & { readonly projections: ProjectionRegistry },
): Promise<void> {
  if (!ctx.projections.projectsReceipts) return
  const row = await trx
    .selectFrom('receipts')
    .select(['raw', 'stored_at'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
  const { receipt, sig } = JSON.parse(row.raw) as SignedReceipt
  const stored: StoredReceipt = { id, receipt, sig, storedAt: row.stored_at }
  await ctx.projections.applyReceipt(trx, stored, await coveredEvents(trx, id), ctx)
}

/** The events of this node a receipt covers, in log order. */
async function coveredEvents(db: Executor, receipt: string): Promise<StoredEvent[]> {
  const rows = await db
    .selectFrom('receipt_events')
    .innerJoin('events', 'events.id', 'receipt_events.event')
    .select(['events.id', 'events.raw', 'events.received_at', 'events.position'])
    .where('receipt_events.receipt', '=', receipt)
    .orderBy('events.position')
    .execute()
  return rows.map(storedOf)
}

/** A receipt's id: hex SHA-256 of its domain-separated canonical bytes. */
export function receiptId(receipt: SignedReceipt['receipt']): Promise<string> {
  return sha256Hex(signedMessage(domains.receipt, receipt))
}

/** Receipts for an event: who confirmed delivery, and when. */
export async function receiptsFor(db: Executor, eventId: string): Promise<SignedReceipt[]> {
  const rows = await db
    .selectFrom('receipt_events')
    .innerJoin('receipts', 'receipts.id', 'receipt_events.receipt')
    .select('receipts.raw')
    .where('receipt_events.event', '=', eventId)
    .orderBy('receipts.received_at')
    .orderBy('receipts.id')
    .execute()
  return rows.map((row) => JSON.parse(row.raw) as SignedReceipt)
}

/**
 * The receipts that cover events of a channel, oldest first. `exclusive` marks a receipt whose
 * events are all of this channel (or unknown here), as a transcript of the channel can show.
 */
export async function channelReceipts(
  db: Executor,
  channel: string,
): Promise<{ signed: SignedReceipt; exclusive: boolean }[]> {
  const rows = await db
    .selectFrom('receipts')
    .select((eb) => [
      'raw',
      eb
        .not(
          eb.exists(
            eb
              .selectFrom('receipt_events')
              .select('receipt')
              .whereRef('receipt_events.receipt', '=', 'receipts.id')
              .where('receipt_events.channel', '<>', channel),
          ),
        )
        .as('exclusive'),
    ])
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('receipt_events')
          .select('receipt')
          .whereRef('receipt_events.receipt', '=', 'receipts.id')
          .where('receipt_events.channel', '=', channel),
      ),
    )
    .orderBy('received_at')
    .orderBy('id')
    .execute()
  return rows.map((row) => ({
    signed: JSON.parse(row.raw) as SignedReceipt,
    exclusive: Boolean(row.exclusive),
  }))
}
