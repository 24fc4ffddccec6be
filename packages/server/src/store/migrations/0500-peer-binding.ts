import { type Kysely, sql } from 'kysely'

/**
 * Peer URLs bound by proof of key (DESIGN §4.6): when each URL last answered a hello signed
 * by its parties' pinned keys. Delivery health keeps its error as a code with a detail that
 * names no channel, and the channels that failed apart, so each officer is shown only the
 * channels they may see.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('peer_nodes')
    .addColumn('bound_at', 'bigint')
    .addColumn('last_error_detail', 'jsonb')
    .addColumn('failing_channels', 'jsonb')
    .execute()
  // The text kept so far quotes the URL called and the peer's message, channel ids included;
  // `last_error` is a code from now on, set again by the next failure.
  await sql`update peer_nodes set last_error = null`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('peer_nodes')
    .dropColumn('failing_channels')
    .dropColumn('last_error_detail')
    .dropColumn('bound_at')
    .execute()
}
