import { type Kysely, sql } from 'kysely'

/**
 * The timeline's display order as a read model, so a page of it is an index range: each event's
 * order time (its time, raised to follow everything it follows) and its position in that order.
 * Events are append-only, hence a table of their own. Events stored before this migration get
 * their own time: `parley reindex` raises those that cite an event of a later time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('timeline_entries')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('order_time', 'bigint', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('timeline_entries_chain', ['channel', 'author', 'seq'])
    .execute()
  // The page read: a range of this index, `limit` rows whatever the channel holds.
  await db.schema
    .createIndex('timeline_entries_order')
    .on('timeline_entries')
    .columns(['channel', 'order_time', 'author', 'seq'])
    .unique()
    .execute()
  // A heads entry citing an event not held yet: when it arrives, its citer moves after it.
  await db.schema
    .createTable('timeline_waits')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('cited_id', 'text', (c) => c.notNull())
    .addColumn('waiting_event', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('timeline_waits_pk', ['channel', 'party', 'seq', 'waiting_event'])
    .execute()
  await sql`insert into timeline_entries (event_id, channel, order_time, author, seq)
    select id, channel, time, author, seq from events`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('timeline_waits').execute()
  await db.schema.dropTable('timeline_entries').execute()
}
