import { type Kysely, sql } from 'kysely'

/**
 * The scheduler's durable jobs (node/scheduler.ts). One row per (kind, key), so a deadline
 * scheduled twice is one job; a finished job keeps its row, so scheduling it again is a no-op.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('pending', 'running', 'done', 'dead')`),
    )
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('leased_by', 'text')
    .addColumn('leased_until', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addUniqueConstraint('jobs_kind_key', ['kind', 'key'])
    .execute()
  // What a claim scans: pending jobs by due time, running ones by the end of their lease.
  await db.schema
    .createIndex('jobs_due')
    .on('jobs')
    .column('due_at')
    .where(sql.ref('state'), '=', 'pending')
    .execute()
  await db.schema
    .createIndex('jobs_leased')
    .on('jobs')
    .column('leased_until')
    .where(sql.ref('state'), '=', 'running')
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('jobs').execute()
}
