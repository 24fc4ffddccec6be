import { type Kysely, sql } from 'kysely'

// Migrations take Kysely<unknown>: they describe the schema at their own point in history.

/** Federation: the transactional outbox and the peer nodes it delivers to. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('peer_nodes')
    .addColumn('url', 'text', (c) => c.primaryKey())
    .addColumn('node', 'text')
    .addColumn('failing_since', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('last_success_at', 'bigint')
    .execute()

  await db.schema
    .createTable('peer_parties')
    .addColumn('party', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull().references('peer_nodes.url'))
    .execute()

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('destination', 'text', (c) => c.notNull().references('peer_nodes.url'))
    .addColumn('event_id', 'text', (c) => c.notNull().references('events.id'))
    .addColumn('enqueued_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addColumn('receipt_id', 'text')
    .addColumn('rejected_code', 'text')
    .addUniqueConstraint('outbox_once', ['event_id', 'destination'])
    .execute()
  // The worker's query: what a destination still waits for, in order.
  await sql`create index outbox_waiting on outbox (destination, id)
    where delivered_at is null and rejected_code is null`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['outbox', 'peer_parties', 'peer_nodes']) {
    await db.schema.dropTable(table).execute()
  }
}
