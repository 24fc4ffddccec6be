import { type Kysely, sql } from 'kysely'

/** The release queue in the order its pages read it (GET /releases): (created_at, id). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index release_queue_order on release_queue (created_at, id)`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index release_queue_order`.execute(db)
}
