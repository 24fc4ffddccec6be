import type { Kysely } from 'kysely'

/**
 * The read models of negotiation: red lines and their versions, drafts (their events and the
 * state they add up to), compliance reports, and what was forwarded into a channel. All are
 * projections of the log, rebuilt by `parley reindex`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('redlines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('current', 'jsonb', (c) => c.notNull())
    .addColumn('declared_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('redlines_channel').on('redlines').columns(['channel']).execute()
  await db.schema
    .createTable('redline_versions')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('redline', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('body', 'jsonb', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('redline_versions_channel')
    .on('redline_versions')
    .columns(['channel', 'time'])
    .execute()
  await db.schema
    .createTable('drafts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('creator', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('genesis', 'jsonb', (c) => c.notNull())
    .addColumn('state', 'jsonb', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('drafts_channel').on('drafts').columns(['channel']).execute()
  await db.schema
    .createTable('draft_events')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('draft', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('body', 'jsonb', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('draft_events_draft').on('draft_events').columns(['draft']).execute()
  await db.schema
    .createTable('compliance_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('agreement', 'text', (c) => c.notNull())
    .addColumn('thread', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('body', 'jsonb', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('compliance_reports_agreement')
    .on('compliance_reports')
    .columns(['agreement', 'time'])
    .execute()
  await db.schema
    .createTable('forwarded_items')
    .addColumn('forward', 'text', (c) => c.notNull())
    .addColumn('item', 'integer', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('from_channel', 'text', (c) => c.notNull())
    .addColumn('forwarded_by', 'text', (c) => c.notNull())
    .addColumn('forwarded_at', 'bigint', (c) => c.notNull())
    .addColumn('original', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('forwarded_items_pk', ['forward', 'item'])
    .execute()
  await db.schema
    .createIndex('forwarded_items_channel')
    .on('forwarded_items')
    .columns(['channel', 'forwarded_at'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'forwarded_items',
    'compliance_reports',
    'draft_events',
    'drafts',
    'redline_versions',
    'redlines',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
