import { type Kysely, sql } from 'kysely'

/**
 * The orders the officer API's list pages read (keyset pages, docs/api.md): channels by
 * (created_at, id), and a party's officers by username (its officers list, and a channel's
 * access list of that party).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index channels_order on channels (created_at, id)`.execute(db)
  await sql`create index officers_party_username on officers (party, username)`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index officers_party_username`.execute(db)
  await sql`drop index channels_order`.execute(db)
}
