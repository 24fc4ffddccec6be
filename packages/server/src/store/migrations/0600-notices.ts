import { type Kysely, sql } from 'kysely'

/**
 * The notices read model (features/notices/): each notice, each recipient party's lifecycle,
 * each deadline with its due and met times, and the notice's history. All four are kept by the
 * notices projection and rebuilt by `parley reindex`. `notice_overdue` is the node's own record
 * of when a deadline job fired (not derived from the log), and `ping_schedules` the officers'
 * weekly ping tests.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('position', 'bigint', (c) => c.notNull())
    .addColumn('opener', 'text', (c) => c.notNull())
    .addColumn('officer', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('urgency', 'text', (c) => c.notNull())
    .addColumn('tlp', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('severity', 'integer')
    .addColumn('sectors', 'jsonb', (c) => c.notNull())
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .addColumn('closed_at', 'bigint')
    .execute()
  await db.schema.createIndex('notices_position').on('notices').column('position').execute()
  await db.schema
    .createTable('notice_recipients')
    .addColumn('notice', 'text', (c) => c.notNull())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addColumn('receipt', 'text')
    .addColumn('ack_at', 'bigint')
    .addColumn('ack_officer', 'text')
    .addColumn('ack_event', 'text')
    .addColumn('replied_at', 'bigint')
    .addColumn('final_at', 'bigint')
    .addPrimaryKeyConstraint('notice_recipients_pk', ['notice', 'party'])
    .execute()
  await db.schema
    .createTable('notice_deadlines')
    .addColumn('notice', 'text', (c) => c.notNull())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull().check(sql`owner in ('recipient', 'opener')`))
    .addColumn('within', 'bigint', (c) => c.notNull())
    .addColumn('final', 'boolean', (c) => c.notNull())
    .addColumn('ordinal', 'integer', (c) => c.notNull())
    .addColumn('due_at', 'bigint')
    .addColumn('met_at', 'bigint')
    .addPrimaryKeyConstraint('notice_deadlines_pk', ['notice', 'party', 'name'])
    .execute()
  // The overdue list: unmet deadlines by due time.
  await db.schema
    .createIndex('notice_deadlines_unmet')
    .on('notice_deadlines')
    .column('due_at')
    .where(sql.ref('met_at'), 'is', null)
    .execute()
  await db.schema
    .createTable('notice_events')
    .addColumn('notice', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('position', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('officer', 'text')
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('final', 'boolean')
    .addPrimaryKeyConstraint('notice_events_pk', ['notice', 'event'])
    .execute()
  await db.schema
    .createTable('notice_overdue')
    .addColumn('notice', 'text', (c) => c.notNull())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('deadline', 'text', (c) => c.notNull())
    .addColumn('fired_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('notice_overdue_pk', ['notice', 'party', 'deadline'])
    .execute()
  await db.schema
    .createTable('ping_schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('officer', 'text', (c) => c.notNull())
    .addColumn('weekday', 'integer', (c) => c.notNull())
    .addColumn('hour', 'integer', (c) => c.notNull())
    .addColumn('minute', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'ping_schedules',
    'notice_overdue',
    'notice_events',
    'notice_deadlines',
    'notice_recipients',
    'notices',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
