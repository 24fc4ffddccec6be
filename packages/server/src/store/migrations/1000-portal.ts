import { type Kysely, sql } from 'kysely'

/**
 * The public portal: what each party chose to publish, and the newsletter's subscriptions and
 * one-time tokens (only the SHA-256 of a token is kept, never the token a mail carries).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('publications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('item', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('published_by', 'text', (c) => c.notNull())
    .addColumn('published_at', 'bigint', (c) => c.notNull())
    .addColumn('withdrawn_by', 'text')
    .addColumn('withdrawn_at', 'bigint')
    .addCheckConstraint('publications_kind', sql`kind in ('agreement', 'redline', 'statement')`)
    .execute()
  // One standing publication per item (and agreement version); a withdrawn one may be repeated.
  await sql`create unique index publications_standing on publications (kind, item, version)
    where withdrawn_at is null`.execute(db)
  await db.schema
    .createIndex('publications_order')
    .on('publications')
    .columns(['published_at', 'id'])
    .execute()

  await db.schema
    .createTable('newsletter_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('confirmed_at', 'bigint')
    .addColumn('unsubscribed_at', 'bigint')
    .addCheckConstraint(
      'newsletter_subscriptions_status',
      sql`status in ('pending', 'confirmed', 'unsubscribed')`,
    )
    .execute()
  await db.schema
    .createTable('newsletter_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('subscription', 'text', (c) =>
      c.notNull().references('newsletter_subscriptions.id').onDelete('cascade'),
    )
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('used_at', 'bigint')
    .addCheckConstraint('newsletter_tokens_purpose', sql`purpose in ('confirm', 'unsubscribe')`)
    .execute()
  await db.schema
    .createIndex('newsletter_tokens_subscription')
    .on('newsletter_tokens')
    .column('subscription')
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('newsletter_tokens').execute()
  await db.schema.dropTable('newsletter_subscriptions').execute()
  await db.schema.dropTable('publications').execute()
}
