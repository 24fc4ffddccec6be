import { type Kysely, sql } from 'kysely'

/** Officers of the hosted parties, their passkeys and recovery codes (DESIGN §6). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('officers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('roles', 'jsonb', (c) => c.notNull())
    .addColumn('disabled_at', 'bigint')
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('password_set_at', 'bigint', (c) => c.notNull())
    .addColumn('must_change_password', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('totp_secret', 'text')
    .addColumn('totp_pending_secret', 'text')
    .addColumn('totp_last_step', 'bigint')
    .addColumn('privilege_epoch', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('officers_username_lower', sql`username = lower(username)`)
    .execute()
  await db.schema.createIndex('officers_party').on('officers').column('party').execute()

  await db.schema
    .createTable('officer_passkeys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('officer', 'text', (c) => c.notNull().references('officers.id').onDelete('cascade'))
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('counter', 'bigint', (c) => c.notNull())
    .addColumn('transports', 'jsonb', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute()
  await db.schema
    .createIndex('officer_passkeys_officer')
    .on('officer_passkeys')
    .column('officer')
    .execute()

  await db.schema
    .createTable('officer_recovery_codes')
    .addColumn('officer', 'text', (c) => c.notNull().references('officers.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addPrimaryKeyConstraint('officer_recovery_codes_pk', ['officer', 'code_hash'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['officer_recovery_codes', 'officer_passkeys', 'officers']) {
    await db.schema.dropTable(table).execute()
  }
}
