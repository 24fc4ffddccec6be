import type { Kysely, Selectable, Transaction } from 'kysely'
import type { DB } from '../../store/tables.ts'
import type { DirectoryVersionsTable } from './directory.table.ts'

type Db = Kysely<DB> | Transaction<DB>
export type DirectoryRow = Selectable<DirectoryVersionsTable>

export function versionsOf(db: Db, party: string): Promise<DirectoryRow[]> {
  return db
    .selectFrom('directory_versions')
    .selectAll()
    .where('party', '=', party)
    .orderBy('version')
    .execute()
}

export function latestOf(db: Db, party: string): Promise<DirectoryRow | undefined> {
  return db
    .selectFrom('directory_versions')
    .selectAll()
    .where('party', '=', party)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** Every party's latest version. */
export function latestOfAll(db: Db): Promise<DirectoryRow[]> {
  return db
    .selectFrom('directory_versions as d')
    .selectAll('d')
    .where(({ eb, selectFrom }) =>
      eb(
        'd.version',
        '=',
        selectFrom('directory_versions as e')
          .select((e) => e.fn.max('e.version').as('v'))
          .whereRef('e.party', '=', 'd.party'),
      ),
    )
    .orderBy('d.party')
    .execute()
}
