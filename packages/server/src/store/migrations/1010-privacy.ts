import { type Kysely, sql } from 'kysely'

/**
 * Proof of consent and rights requests (issue 13): the signed, hash-chained consent receipts
 * (kept as their exact canonical text, so an export is byte for byte what was signed), the
 * chain's head with the signed checkpoint of the last prune, the rights requests with their
 * verification token's hash and deadline, and the e-mail addresses that opted out of sale and
 * sharing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('consent_receipts')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('line', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('consent_id', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('consent_receipts_time')
    .on('consent_receipts')
    .column('time')
    .execute()
  await db.schema
    .createTable('consent_chain')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('head', 'text')
    .addColumn('pruned', 'bigint', (c) => c.notNull())
    .addColumn('checkpoint', 'text')
    .execute()
  await sql`insert into consent_chain (id, seq, head, pruned, checkpoint) values (1, 0, null, 0, null)`.execute(
    db,
  )
  await db.schema
    .createTable('privacy_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('jurisdiction', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('token_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('verified_at', 'bigint')
    .addColumn('due_at', 'bigint')
    .addColumn('overdue_at', 'bigint')
    .addColumn('responded_at', 'bigint')
    .addColumn('response', 'text')
    .addColumn('closed_at', 'bigint')
    .execute()
  await db.schema
    .createIndex('privacy_requests_order')
    .on('privacy_requests')
    .columns(['created_at', 'id'])
    .execute()
  await db.schema
    .createTable('privacy_opt_outs')
    .addColumn('email', 'text', (c) => c.primaryKey())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('set_at', 'bigint', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'privacy_opt_outs',
    'privacy_requests',
    'consent_chain',
    'consent_receipts',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
