import type { Kysely, RawBuilder, Transaction } from 'kysely'
import type { DB } from '../../store/tables.ts'

type Db = Kysely<DB> | Transaction<DB>

/** One officer on a channel's access list, as admins see it. */
export interface AccessRow {
  readonly channel: string
  readonly officer: string
  readonly party: string
  readonly username: string
  readonly displayName: string
  readonly disabled: boolean
  readonly grantedBy: string | null
  readonly grantedAt: number
}

/** Adds an officer to a channel's compartment; a second grant changes nothing. */
export async function insertGrant(
  db: Db,
  grant: {
    readonly channel: string
    readonly officer: string
    readonly party: string
    readonly grantedBy: string | null
    readonly grantedAt: number
  },
): Promise<boolean> {
  const inserted = await db
    .insertInto('channel_access')
    .values({
      channel: grant.channel,
      officer: grant.officer,
      party: grant.party,
      granted_by: grant.grantedBy,
      granted_at: grant.grantedAt,
    })
    .onConflict((oc) => oc.columns(['channel', 'officer']).doNothing())
    .executeTakeFirst()
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0
}

/** Removes an officer from a channel's compartment; returns whether they were on it. */
export async function deleteGrant(db: Db, channel: string, officer: string): Promise<boolean> {
  const deleted = await db
    .deleteFrom('channel_access')
    .where('channel', '=', channel)
    .where('officer', '=', officer)
    .executeTakeFirst()
  return Number(deleted.numDeletedRows) > 0
}

/** Whether an officer is in a channel's compartment: one primary-key lookup, on every request. */
export async function hasGrant(db: Db, channel: string, officer: string): Promise<boolean> {
  const row = await db
    .selectFrom('channel_access')
    .select('officer')
    .where('channel', '=', channel)
    .where('officer', '=', officer)
    .executeTakeFirst()
  return row !== undefined
}

/** The channels in an officer's compartments. */
export async function grantedChannels(db: Db, officer: string): Promise<string[]> {
  const rows = await db
    .selectFrom('channel_access')
    .select('channel')
    .where('officer', '=', officer)
    .execute()
  return rows.map((row) => row.channel)
}

/** Whether a party is a member or observer of a channel (invited or joined). */
export async function takesPart(db: Db, channel: string, party: string): Promise<boolean> {
  const row = await db
    .selectFrom('channel_members')
    .select('party')
    .where('channel', '=', channel)
    .where('party', '=', party)
    .executeTakeFirst()
  return row !== undefined
}

/** The access lists of channels, officers of `party` only when one is given. */
export async function accessRows(
  db: Db,
  channels: readonly string[],
  party: string | null,
): Promise<AccessRow[]> {
  if (channels.length === 0) return []
  const rows = await accessQuery(db)
    .where('channel_access.channel', 'in', channels)
    .$if(party !== null, (qb) => qb.where('channel_access.party', '=', party!))
    .orderBy('channel_access.channel')
    .orderBy('officers.username')
    .execute()
  return rows.map(toAccessRow)
}

/**
 * One channel's access list of one party by username, `direction` from `where` on (a keyset
 * page's fetch): it walks the party's officers on the index `officers_party_username` and
 * keeps those on the list (a primary-key probe each), so a page costs at most the party's
 * officers, never the node's.
 */
export async function accessRange(
  db: Db,
  filter: {
    readonly channel: string
    readonly party: string
    readonly where: RawBuilder<boolean> | undefined
    readonly direction: 'asc' | 'desc'
    readonly limit: number
  },
): Promise<AccessRow[]> {
  const { channel, party, where, direction, limit } = filter
  const rows = await accessQuery(db)
    .where('channel_access.channel', '=', channel)
    .where('officers.party', '=', party)
    .where('channel_access.party', '=', party)
    .$if(where !== undefined, (qb) => qb.where(where!))
    .orderBy('officers.username', direction)
    .limit(limit)
    .execute()
  return rows.map(toAccessRow)
}

/** One officer's entry on a channel's access list, if they are on it. */
export async function accessRowOf(
  db: Db,
  channel: string,
  officer: string,
): Promise<AccessRow | undefined> {
  const row = await accessQuery(db)
    .where('channel_access.channel', '=', channel)
    .where('channel_access.officer', '=', officer)
    .executeTakeFirst()
  return row === undefined ? undefined : toAccessRow(row)
}

function accessQuery(db: Db) {
  return db
    .selectFrom('channel_access')
    .innerJoin('officers', 'officers.id', 'channel_access.officer')
    .select([
      'channel_access.channel',
      'channel_access.officer',
      'channel_access.party',
      'channel_access.granted_by',
      'channel_access.granted_at',
      'officers.username',
      'officers.display_name',
      'officers.disabled_at',
    ])
}

function toAccessRow(row: {
  readonly channel: string
  readonly officer: string
  readonly party: string
  readonly granted_by: string | null
  readonly granted_at: number
  readonly username: string
  readonly display_name: string
  readonly disabled_at: number | null
}): AccessRow {
  return {
    channel: row.channel,
    officer: row.officer,
    party: row.party,
    username: row.username,
    displayName: row.display_name,
    disabled: row.disabled_at !== null,
    grantedBy: row.granted_by,
    grantedAt: row.granted_at,
  }
}
