import { type Kysely, sql } from 'kysely'

/**
 * The orders the officer API's list pages read (keyset pages, docs/api.md): channels by
 * (created_at, id), a party's officers by username, and a channel's access list of one party
 * by (granted_at, officer).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index channels_order on channels (created_at, id)`.execute(db)
  await sql`create index officers_party_username on officers (party, username)`.execute(db)
  await sql`create index channel_access_order on channel_access (channel, party, granted_at, officer)`.execute(
    db,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index channel_access_order`.execute(db)
  await sql`drop index officers_party_username`.execute(db)
  await sql`drop index channels_order`.execute(db)
}
