import { type Kysely, sql, type Transaction } from 'kysely'
import { withDatabaseExclusively } from '../store/database-lock.ts'
import type { DB } from '../store/tables.ts'
import type { StoredEvent } from './append-types.ts'
import { storedOf } from './log.ts'
import type { ProjectionContext, ProjectionRegistry } from './projection.ts'
import { projectReceipt } from './receipts.ts'

/** Where a rebuild is written before it replaces the read models in one step. */
export const REINDEX_SCHEMA = 'parley_reindex'

export interface ReindexProgress {
  readonly events: number
  readonly receipts: number
  readonly totalEvents: number
  readonly totalReceipts: number
  /** Set once the rebuilt read models replaced the node's. */
  readonly done: boolean
}

export interface ReindexOptions extends ProjectionContext {
  /** Events and receipts replayed per transaction (default 1,000). */
  readonly batchSize?: number
  /** Told after each batch, and once more when the rebuild replaced the read models. */
  readonly onProgress?: (progress: ReindexProgress) => void
}

type ReplayItem =
  | { readonly kind: 'event'; readonly stored: StoredEvent }
  | { readonly kind: 'receipt'; readonly id: string; readonly storedAt: number }

/**
 * Rebuilds every registered read model from the log and the receipts, for a node that is not
 * running (on PostgreSQL it refuses with `DATABASE_IN_USE` while a node holds the database). The replay writes into empty copies of the projections' tables in a schema of its
 * own ({@link REINDEX_SCHEMA}), one transaction per batch; a last transaction then replaces
 * the live tables' rows with the copies and drops the schema. Until that commits the node's
 * tables stay as they were, so an interrupted reindex leaves the old read models whole and
 * can simply be run again (it starts over). The log and the receipts are only read.
 *
 * Order: events in log order (`position`), each receipt (by `stored_at`, then id) before the
 * first event received after it was stored: the order in which a running node saw them.
 */
export function reindex(
  db: Kysely<DB>,
  registry: ProjectionRegistry,
  options: ReindexOptions,
): Promise<ReindexProgress> {
  return withDatabaseExclusively(db, (connection) => rebuild(connection, registry, options))
}

async function rebuild(
  db: Kysely<DB>,
  registry: ProjectionRegistry,
  options: ReindexOptions,
): Promise<ReindexProgress> {
  const batchSize = options.batchSize ?? 1000
  const ctx = { hosted: options.hosted, projections: registry }
  const live = await prepareCopies(db, registry.tables)
  const totals = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('events').select(eb.fn.countAll<number>().as('n')).as('events'),
      eb.selectFrom('receipts').select(eb.fn.countAll<number>().as('n')).as('receipts'),
    ])
    .executeTakeFirstOrThrow()
  const progress = {
    events: 0,
    receipts: 0,
    totalEvents: Number(totals.events),
    totalReceipts: Number(totals.receipts),
    done: false,
  }
  const items = replayOrder(db, batchSize)
  for (;;) {
    // Read outside the transaction: embedded PGlite has one connection.
    const batch: ReplayItem[] = []
    for (let next = await items.next(); !next.done; ) {
      batch.push(next.value)
      if (batch.length === batchSize) break
      next = await items.next()
    }
    if (batch.length === 0) break
    await db.transaction().execute(async (trx) => {
      await sql`select set_config('search_path', ${`${REINDEX_SCHEMA}, ${live}`}, true)`.execute(
        trx,
      )
      for (const item of batch) {
        if (item.kind === 'event') await registry.applyEvent(trx, item.stored, ctx)
        else await projectReceipt(trx, item.id, ctx)
      }
    })
    for (const item of batch) progress[item.kind === 'event' ? 'events' : 'receipts']++
    options.onProgress?.({ ...progress })
  }
  await db.transaction().execute((trx) => replaceLive(trx, live, registry.tables))
  const done = { ...progress, done: true }
  options.onProgress?.(done)
  return done
}

/** Empty copies of the tables (columns, keys, checks, indexes), in a fresh schema. */
async function prepareCopies(db: Kysely<DB>, tables: readonly string[]): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const { schema } = await sql<{ schema: string }>`select current_schema() as schema`
      .execute(trx)
      .then((result) => result.rows[0]!)
    // A run interrupted before its last step left its copies: start over.
    await sql`drop schema if exists ${sql.id(REINDEX_SCHEMA)} cascade`.execute(trx)
    await sql`create schema ${sql.id(REINDEX_SCHEMA)}`.execute(trx)
    for (const table of tables) {
      await sql`create table ${sql.id(REINDEX_SCHEMA, table)}
        (like ${sql.id(schema, table)} including all)`.execute(trx)
    }
    return schema
  })
}

/**
 * Swaps the rebuilt rows in, in one transaction: emptied children first, filled parents
 * first. The log's foreign key to `channels` is deferred, so it is checked at commit, when
 * every channel row is back.
 */
async function replaceLive(
  trx: Transaction<DB>,
  live: string,
  tables: readonly string[],
): Promise<void> {
  for (const table of [...tables].reverse()) {
    await sql`delete from ${sql.id(live, table)}`.execute(trx)
  }
  for (const table of tables) {
    await sql`insert into ${sql.id(live, table)} overriding system value
      select * from ${sql.id(REINDEX_SCHEMA, table)}`.execute(trx)
  }
  await sql`drop schema ${sql.id(REINDEX_SCHEMA)} cascade`.execute(trx)
}

/** The log and the receipts merged in replay order (see {@link reindex}), read page by page. */
async function* replayOrder(db: Kysely<DB>, pageSize: number): AsyncGenerator<ReplayItem> {
  const events = eventsInOrder(db, pageSize)
  const receipts = receiptsInOrder(db, pageSize)
  let event = await events.next()
  let receipt = await receipts.next()
  while (!event.done || !receipt.done) {
    if (!receipt.done && (event.done || receipt.value.storedAt < event.value.stored.receivedAt)) {
      yield receipt.value
      receipt = await receipts.next()
    } else if (!event.done) {
      yield event.value
      event = await events.next()
    }
  }
}

async function* eventsInOrder(
  db: Kysely<DB>,
  pageSize: number,
): AsyncGenerator<Extract<ReplayItem, { kind: 'event' }>> {
  for (let after = 0; ; ) {
    const rows = await db
      .selectFrom('events')
      .select(['id', 'raw', 'received_at', 'position'])
      .where('position', '>', after)
      .orderBy('position')
      .limit(pageSize)
      .execute()
    for (const row of rows) yield { kind: 'event', stored: storedOf(row) }
    if (rows.length < pageSize) return
    after = rows[rows.length - 1]!.position
  }
}

async function* receiptsInOrder(
  db: Kysely<DB>,
  pageSize: number,
): AsyncGenerator<Extract<ReplayItem, { kind: 'receipt' }>> {
  for (let after: { storedAt: number; id: string } | undefined; ; ) {
    const rows = await db
      .selectFrom('receipts')
      .select(['id', 'stored_at'])
      .$if(after !== undefined, (qb) =>
        qb.where(sql<boolean>`(stored_at, id) > (${after!.storedAt}::bigint, ${after!.id})`),
      )
      .orderBy('stored_at')
      .orderBy('id')
      .limit(pageSize)
      .execute()
    for (const row of rows) yield { kind: 'receipt', id: row.id, storedAt: row.stored_at }
    if (rows.length < pageSize) return
    const last = rows[rows.length - 1]!
    after = { storedAt: last.stored_at, id: last.id }
  }
}
