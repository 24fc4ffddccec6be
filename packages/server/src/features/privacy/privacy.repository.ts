import type { Kysely, RawBuilder, Selectable, Transaction, Updateable } from 'kysely'
import type { DB } from '../../store/tables.ts'
import type {
  ConsentChainTable,
  ConsentReceiptsTable,
  PrivacyRequestsTable,
} from './privacy.table.ts'

type Executor = Kysely<DB> | Transaction<DB>
export type ChainRow = Selectable<ConsentChainTable>
export type ReceiptRow = Selectable<ConsentReceiptsTable>
export type RequestRow = Selectable<PrivacyRequestsTable>

/** The chain's head, locked until the transaction ends: receipts append one at a time. */
export async function lockChain(trx: Transaction<DB>): Promise<ChainRow> {
  return trx
    .selectFrom('consent_chain')
    .selectAll()
    .where('id', '=', 1)
    .forUpdate()
    .executeTakeFirstOrThrow()
}

export async function chainRow(db: Executor): Promise<ChainRow> {
  return db.selectFrom('consent_chain').selectAll().where('id', '=', 1).executeTakeFirstOrThrow()
}

export async function updateChain(trx: Transaction<DB>, row: Omit<ChainRow, 'id'>): Promise<void> {
  await trx.updateTable('consent_chain').set(row).where('id', '=', 1).execute()
}

export async function insertReceipt(trx: Transaction<DB>, row: ReceiptRow): Promise<void> {
  await trx.insertInto('consent_receipts').values(row).execute()
}

/** Receipts in seq order after `after`, `limit` of them (the export's read). */
export function receiptsAfter(db: Executor, after: number, limit: number): Promise<ReceiptRow[]> {
  return db
    .selectFrom('consent_receipts')
    .selectAll()
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute()
}

/** One keyset page of receipts by seq. */
export function receiptRange(
  db: Executor,
  where: RawBuilder<boolean> | undefined,
  direction: 'asc' | 'desc',
  limit: number,
): Promise<ReceiptRow[]> {
  let query = db.selectFrom('consent_receipts').selectAll().orderBy('seq', direction).limit(limit)
  if (where !== undefined) query = query.where(where)
  return query.execute()
}

/** The newest receipt older than `cutoff`: where a prune ends. */
export function lastReceiptBefore(db: Executor, cutoff: number): Promise<ReceiptRow | undefined> {
  return db
    .selectFrom('consent_receipts')
    .selectAll()
    .where('time', '<', cutoff)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** Deletes the receipts up to `seq`; returns how many went. */
export async function deleteReceiptsThrough(trx: Transaction<DB>, seq: number): Promise<number> {
  const result = await trx.deleteFrom('consent_receipts').where('seq', '<=', seq).executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function insertRequest(db: Executor, row: RequestRow): Promise<void> {
  await db.insertInto('privacy_requests').values(row).execute()
}

export function requestRow(db: Executor, id: string): Promise<RequestRow | undefined> {
  return db.selectFrom('privacy_requests').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The request, locked until the transaction ends. */
export function lockRequest(trx: Transaction<DB>, id: string): Promise<RequestRow | undefined> {
  return trx
    .selectFrom('privacy_requests')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
}

export async function updateRequest(
  trx: Transaction<DB>,
  id: string,
  change: Updateable<PrivacyRequestsTable>,
): Promise<void> {
  await trx.updateTable('privacy_requests').set(change).where('id', '=', id).execute()
}

/** One keyset page of requests by (created_at, id), optionally in one state. */
export function requestRange(
  db: Executor,
  options: {
    readonly where: RawBuilder<boolean> | undefined
    readonly direction: 'asc' | 'desc'
    readonly limit: number
    readonly state?: string
  },
): Promise<RequestRow[]> {
  let query = db
    .selectFrom('privacy_requests')
    .selectAll()
    .orderBy('created_at', options.direction)
    .orderBy('id', options.direction)
    .limit(options.limit)
  if (options.where !== undefined) query = query.where(options.where)
  if (options.state !== undefined) query = query.where('state', '=', options.state as never)
  return query.execute()
}

/** Records an opt-out of sale and sharing for an address (the first request that set it stays). */
export async function setOptOut(
  trx: Transaction<DB>,
  email: string,
  request: string,
  now: number,
): Promise<void> {
  await trx
    .insertInto('privacy_opt_outs')
    .values({ email, request, set_at: now })
    .onConflict((oc) => oc.column('email').doNothing())
    .execute()
}

export function optOutOf(db: Executor, email: string) {
  return db.selectFrom('privacy_opt_outs').selectAll().where('email', '=', email).executeTakeFirst()
}
