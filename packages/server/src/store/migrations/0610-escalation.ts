import { type Kysely, sql } from 'kysely'

/**
 * Duty rosters, escalation ladders and what each ladder did: one row per notice deadline that
 * began a ladder, one per step (a snapshot of the ladder as it stood at the start, so a later
 * change of the config never alters a running ladder), and one per delivery attempt. Plus the
 * node's Ed25519 key for webhook signatures (`v1a`), which receivers fetch from
 * `/.well-known/parley-webhook-key`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('duty_rosters')
    .addColumn('party', 'text', (c) => c.primaryKey())
    .addColumn('roster', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute()
  await db.schema
    .createTable('escalation_configs')
    .addColumn('party', 'text', (c) => c.primaryKey())
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute()
  await db.schema
    .createTable('escalation_disabled_webhooks')
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('escalation_disabled_webhooks_pk', ['party', 'url'])
    .execute()
  await db.schema
    .createTable('escalations')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('notice', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('urgency', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('deadline', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('began_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint')
    .addColumn('end_reason', 'text')
    .execute()
  await db.schema.createIndex('escalations_notice').on('escalations').column('notice').execute()
  await db.schema
    .createTable('escalation_steps')
    .addColumn('escalation', 'text', (c) => c.notNull().references('escalations.key'))
    .addColumn('index', 'integer', (c) => c.notNull())
    .addColumn('spec', 'jsonb', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('job_key', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('escalation_steps_pk', ['escalation', 'index'])
    .execute()
  await db.schema
    .createTable('escalation_attempts')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('escalation', 'text', (c) => c.notNull())
    .addColumn('index', 'integer', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('recipients', 'jsonb', (c) => c.notNull())
    .addColumn('smtp_code', 'integer')
    .addColumn('http_status', 'integer')
    .addColumn('retry_at', 'bigint')
    .addForeignKeyConstraint(
      'escalation_attempts_step',
      ['escalation', 'index'],
      'escalation_steps',
      ['escalation', 'index'],
    )
    .execute()
  await sql`create index escalation_attempts_step_idx on escalation_attempts (escalation, index, id)`.execute(
    db,
  )
  await db.schema
    .createTable('webhook_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('private_key', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'webhook_keys',
    'escalation_attempts',
    'escalation_steps',
    'escalations',
    'escalation_disabled_webhooks',
    'escalation_configs',
    'duty_rosters',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
