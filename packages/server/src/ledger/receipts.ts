import {
  canonicalJson,
  domains,
  type SignedReceipt,
  sha256Hex,
  signedMessage,
  verifyReceipt,
} from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import { partyKeys } from './keys.ts'

type Executor = Kysely<DB> | Transaction<DB>

export type StoreReceiptResult =
  | { readonly ok: true; readonly id: string; readonly duplicate: boolean }
  | { readonly ok: false; readonly code: 'RECEIPT_INVALID'; readonly message: string }

/**
 * Keeps a peer's signed receipt (DESIGN §4.5) with every event it covers, after checking it
 * against the pinned keys of the receiving party. `covers` narrows which of the receipt's
 * events to link (say, the ones this node sent); by default all of them. Idempotent.
 */
export async function storeReceipt(
  db: Kysely<DB>,
  signed: unknown,
  options: { readonly now: number; readonly covers?: readonly string[] },
): Promise<StoreReceiptResult> {
  const by = (signed as { receipt?: { by?: unknown } } | null)?.receipt?.by
  const keys = typeof by === 'string' ? await partyKeys(db, by) : []
  const verified = await verifyReceipt(signed, (party) => (party === by ? keys : []))
  if (!verified.ok) return verified
  const { receipt } = verified
  const { sig } = signed as SignedReceipt
  const id = await receiptId(receipt)
  const events = receipt.events.filter((event) => options.covers?.includes(event) ?? true)
  return db.transaction().execute(async (trx) => {
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
      const held = await trx
        .selectFrom('events')
        .select(['id', 'channel'])
        .where('id', 'in', events)
        .execute()
      const channels = new Map(held.map((row) => [row.id, row.channel]))
      await trx
        .insertInto('receipt_events')
        .values(
          events.map((event) => ({ receipt: id, event, channel: channels.get(event) ?? null })),
        )
        .onConflict((oc) => oc.columns(['receipt', 'event']).doNothing())
        .execute()
    }
    return { ok: true as const, id, duplicate: inserted === undefined }
  })
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
