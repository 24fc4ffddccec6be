import { type Kysely, sql } from 'kysely'

/**
 * The replay memory of signed federation requests, kept across a graceful restart
 * (signed-http/nonce-store.ts). `nonce_memory` says whether the saved nonces are all the node
 * accepted: false while a node runs, true once it saved them on close.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('signature_nonces')
    .addColumn('nonce', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('nonce_memory')
    .addColumn('id', 'smallint', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('complete', 'boolean', (c) => c.notNull())
    .execute()
  // A node that ran before this migration kept its nonces in memory only: its first start
  // after it must treat them as lost. A new node has accepted nothing yet.
  await sql`
    insert into nonce_memory (id, complete)
    select 1, not exists (select 1 from events)
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('nonce_memory').execute()
  await db.schema.dropTable('signature_nonces').execute()
}
