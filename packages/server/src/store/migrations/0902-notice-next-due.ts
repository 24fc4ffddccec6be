import { type Kysely, sql } from 'kysely'

/**
 * A notice's earliest unmet due time, kept by the notices projection, and the index the overdue
 * list pages on (GET /notices/overdue): open notices by (next_due, id).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table notices add column next_due bigint`.execute(db)
  await sql`update notices set next_due = (
    select min(d.due_at) from notice_deadlines d where d.notice = notices.id and d.met_at is null
  )`.execute(db)
  await sql`create index notices_overdue on notices (next_due, id)
    where closed_at is null and next_due is not null`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index notices_overdue`.execute(db)
  await sql`alter table notices drop column next_due`.execute(db)
}
