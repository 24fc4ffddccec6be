import { type Kysely, sql } from 'kysely'

/**
 * API tokens, each bound to one officer, and the single-use tickets that open a live stream.
 * Neither holds a secret: only the SHA-256 of what the holder presents.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('officer', 'text', (c) => c.notNull().references('officers.id').onDelete('cascade'))
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('scope', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_by', 'text')
    .addColumn('revoked_at', 'bigint')
    .execute()
  await db.schema.createIndex('api_tokens_officer').on('api_tokens').column('officer').execute()

  await db.schema
    .createTable('stream_tickets')
    .addColumn('ticket_hash', 'text', (c) => c.primaryKey())
    .addColumn('officer', 'text', (c) => c.notNull().references('officers.id').onDelete('cascade'))
    .addColumn('token', 'text', (c) => c.references('api_tokens.id').onDelete('cascade'))
    .addColumn('session', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('stream_tickets_one_credential', sql`(token is null) <> (session is null)`)
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('stream_tickets').execute()
  await db.schema.dropTable('api_tokens').execute()
}
