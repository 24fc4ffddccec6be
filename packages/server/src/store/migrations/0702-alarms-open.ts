import { type Kysely, sql } from 'kysely'

/** The open alarms in the order their pages read them (GET /alarms): (raised_at, id). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index alarms_open`.execute(db)
  await sql`create index alarms_open on alarms (raised_at, id) where cleared_at is null`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index alarms_open`.execute(db)
  await sql`create index alarms_open on alarms (raised_at) where cleared_at is null`.execute(db)
}
