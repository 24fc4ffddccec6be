import type { Roster } from '@parley/api'
import type { Kysely, Transaction } from 'kysely'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'

type Db = Kysely<DB> | Transaction<DB>

export interface RosterRow {
  readonly roster: Roster
  readonly updatedAt: number
  readonly updatedBy: string | null
}

export async function rosterRow(db: Db, party: string): Promise<RosterRow | undefined> {
  const row = await db
    .selectFrom('duty_rosters')
    .select(['roster', 'updated_at', 'updated_by'])
    .where('party', '=', party)
    .executeTakeFirst()
  if (row === undefined) return undefined
  return {
    roster: row.roster as unknown as Roster,
    updatedAt: Number(row.updated_at),
    updatedBy: row.updated_by,
  }
}

export async function saveRoster(
  db: Db,
  party: string,
  roster: Roster,
  at: number,
  by: string | null,
): Promise<void> {
  const values = { party, roster: jsonb(roster), updated_at: at, updated_by: by }
  await db
    .insertInto('duty_rosters')
    .values(values)
    .onConflict((oc) =>
      oc.column('party').doUpdateSet({ roster: values.roster, updated_at: at, updated_by: by }),
    )
    .execute()
}
