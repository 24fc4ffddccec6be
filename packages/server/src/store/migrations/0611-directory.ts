import type { Kysely } from 'kysely'

/**
 * The points-of-contact directory, kept from `directory.update` events: every version of every
 * party's entry, the first event that carried it (the same version restated into another
 * channel adds nothing). A read model: `parley reindex` rebuilds it from the log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('directory_versions')
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('contacts', 'jsonb', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('officer', 'text')
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('directory_versions_pk', ['party', 'version'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('directory_versions').execute()
}
