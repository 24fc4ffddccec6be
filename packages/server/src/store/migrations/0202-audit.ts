import { type Kysely, sql } from 'kysely'

/**
 * The local audit log, hash-chained. Like the event log it rejects UPDATE, DELETE and
 * TRUNCATE (the function comes from 0001-ledger); whoever disables the triggers to rewrite a
 * row still breaks the chain, which `parley audit verify` reports.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', (c) => c.primaryKey().check(sql`seq >= 1`))
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('officer', 'text')
    .addColumn('party', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('prev', 'text')
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('audit_log_party').on('audit_log').columns(['party', 'seq']).execute()
  await sql`
    create trigger audit_log_append_only
    before update or delete on audit_log
    for each row execute function parley_reject_change()`.execute(db)
  await sql`
    create trigger audit_log_no_truncate
    before truncate on audit_log
    for each statement execute function parley_reject_change()`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_log').execute()
}
