import { type Kysely, sql } from 'kysely'

// Migrations take Kysely<unknown> on purpose: they describe the schema at their own point in
// history, not the current DB interface.

/** The ledger: parties and keys, channels, the append-only event log and its proofs. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('parties')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hosted', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute()

  await db.schema
    .createTable('party_keys')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('party', 'text', (c) => c.notNull().references('parties.id'))
    .addColumn('public_key', 'text', (c) => c.notNull().unique())
    .addColumn('valid_from', 'bigint', (c) => c.notNull())
    .addColumn('valid_until', 'bigint')
    .addColumn('pinned_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('party_keys_party').on('party_keys').column('party').execute()

  await db.schema
    .createTable('channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('creator', 'text', (c) => c.notNull())
    .addColumn('genesis_id', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('policy', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('invited', 'active')`))
    .execute()

  await db.schema
    .createTable('channel_members')
    .addColumn('channel', 'text', (c) => c.notNull().references('channels.id'))
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('member', 'observer')`))
    .addColumn('joined_seq', 'bigint')
    .addPrimaryKeyConstraint('channel_members_pk', ['channel', 'party'])
    .execute()
  await db.schema
    .createIndex('channel_members_party')
    .on('channel_members')
    .column('party')
    .execute()

  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull().references('parties.id'))
    .addColumn('seq', 'bigint', (c) => c.notNull().check(sql`seq >= 1`))
    .addColumn('prev', 'text')
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('body', 'jsonb', (c) => c.notNull())
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('position', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity().unique())
    .addUniqueConstraint('events_chain_unique', ['channel', 'author', 'seq'])
    // Deferred, so a channel.create event and the channel row it creates can be written in
    // either order within their transaction.
    .addForeignKeyConstraint('events_channel_fk', ['channel'], 'channels', ['id'], (fk) =>
      fk.deferrable().initiallyDeferred(),
    )
    .execute()

  await db.schema
    .createTable('receipts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('by_party', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('stored_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('receipt_events')
    .addColumn('receipt', 'text', (c) => c.notNull().references('receipts.id'))
    .addColumn('event', 'text', (c) => c.notNull())
    // The event's channel as known when the receipt was stored: it finds a channel's receipts
    // even if an event row were removed behind the trigger's back.
    .addColumn('channel', 'text')
    .addPrimaryKeyConstraint('receipt_events_pk', ['receipt', 'event'])
    .execute()
  await db.schema.createIndex('receipt_events_event').on('receipt_events').column('event').execute()
  await db.schema
    .createIndex('receipt_events_channel')
    .on('receipt_events')
    .column('channel')
    .execute()
  await db.schema
    .createTable('equivocations')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('a_id', 'text', (c) => c.notNull())
    .addColumn('a_raw', 'text', (c) => c.notNull())
    .addColumn('b_id', 'text', (c) => c.notNull())
    .addColumn('b_raw', 'text', (c) => c.notNull())
    .addColumn('detected_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('equivocations_pair', ['a_id', 'b_id'])
    .addCheckConstraint('equivocations_ordered', sql`a_id < b_id`)
    .execute()
  await db.schema
    .createIndex('equivocations_channel')
    .on('equivocations')
    .column('channel')
    .execute()

  // The log and its proofs are append-only (DESIGN §7). A row-level trigger stops UPDATE and
  // DELETE, a statement-level one TRUNCATE; only a superuser who disables triggers gets past,
  // and an exported transcript then fails verification.
  await sql`
    create function parley_reject_change() returns trigger language plpgsql as $$
    begin
      raise exception 'table % is append-only: % rejected', tg_table_name, tg_op
        using errcode = 'P0001', hint = 'parley-append-only';
    end
    $$`.execute(db)
  for (const table of ['events', 'receipts', 'receipt_events', 'equivocations']) {
    await sql`
      create trigger ${sql.id(`${table}_append_only`)}
      before update or delete on ${sql.table(table)}
      for each row execute function parley_reject_change()`.execute(db)
    await sql`
      create trigger ${sql.id(`${table}_no_truncate`)}
      before truncate on ${sql.table(table)}
      for each statement execute function parley_reject_change()`.execute(db)
  }

  await db.schema
    .createTable('pending_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('need_author', 'text', (c) => c.notNull())
    .addColumn('need_from_seq', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('pending_events_chain')
    .on('pending_events')
    .columns(['channel', 'author', 'seq'])
    .execute()

  await db.schema
    .createTable('alarms')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('party', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('raised_at', 'bigint', (c) => c.notNull())
    .addColumn('cleared_at', 'bigint')
    .execute()
  await sql`create index alarms_open on alarms (raised_at) where cleared_at is null`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'alarms',
    'pending_events',
    'equivocations',
    'receipt_events',
    'receipts',
    'events',
    'channel_members',
    'channels',
    'party_keys',
    'parties',
  ]) {
    await db.schema.dropTable(table).execute()
  }
  await sql`drop function parley_reject_change()`.execute(db)
}
