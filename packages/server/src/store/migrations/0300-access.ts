import { type Kysely, sql } from 'kysely'

/**
 * Channel compartments (who of a party may see a channel) and the release queue (formal
 * items waiting for a second officer). Neither references `channels`: a creator's grant is
 * written just before the channel's genesis event commits, so the live stream never misses it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('channel_access')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('officer', 'text', (c) => c.notNull().references('officers.id').onDelete('cascade'))
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'text')
    .addColumn('granted_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('channel_access_pk', ['channel', 'officer'])
    .execute()
  await db.schema
    .createIndex('channel_access_officer')
    .on('channel_access')
    .columns(['officer', 'channel'])
    .execute()

  await db.schema
    .createTable('release_queue')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('body', 'jsonb', (c) => c.notNull())
    .addColumn('drafter', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending', 'approved', 'released', 'rejected')`),
    )
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'bigint')
    .addColumn('reason', 'text')
    .addColumn('event_id', 'text')
    .execute()
  await db.schema
    .createIndex('release_queue_channel')
    .on('release_queue')
    .columns(['channel', 'status', 'created_at'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('release_queue').execute()
  await db.schema.dropTable('channel_access').execute()
}
