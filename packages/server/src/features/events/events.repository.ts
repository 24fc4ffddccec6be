import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../store/tables.ts'

type Db = Kysely<DB> | Transaction<DB>

/** Every member and observer of a channel: who must receive its events. */
export async function channelParticipants(db: Db, channel: string): Promise<string[]> {
  const rows = await db
    .selectFrom('channel_members')
    .select('party')
    .where('channel', '=', channel)
    .orderBy('party')
    .execute()
  return rows.map((row) => row.party)
}
