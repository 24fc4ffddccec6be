import type { Kysely } from 'kysely'

/** Per officer and channel, the last event read, with its display position for counting. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('read_markers')
    .addColumn('officer', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('order_time', 'bigint', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('read_markers_pk', ['officer', 'channel'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('read_markers').execute()
}
