import type { Kysely, RawBuilder, Selectable, Transaction } from 'kysely'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'
import type { ReleaseQueueTable, ReleaseStatus } from './release.table.ts'

type Db = Kysely<DB> | Transaction<DB>

export type ReleaseRow = Selectable<ReleaseQueueTable>

export async function insertRelease(db: Db, row: ReleaseRow): Promise<void> {
  await db
    .insertInto('release_queue')
    .values({ ...row, body: jsonb(row.body) })
    .execute()
}

export async function releaseById(db: Db, id: string): Promise<ReleaseRow | undefined> {
  return db.selectFrom('release_queue').selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * Queue items in (created_at, id) order, `direction` from `where` on (a keyset page's fetch):
 * of one party, and (for an officer) only of the channels in their compartments; the node-wide
 * credential passes nulls and sees all.
 */
export async function releaseRows(
  db: Db,
  filter: {
    readonly party: string | null
    readonly officer: string | null
    readonly channel?: string
    readonly status?: ReleaseStatus
    readonly where: RawBuilder<boolean> | undefined
    readonly direction: 'asc' | 'desc'
    readonly limit: number
  },
): Promise<ReleaseRow[]> {
  let query = db.selectFrom('release_queue').selectAll('release_queue')
  if (filter.officer !== null) {
    query = query
      .innerJoin('channel_access', (join) =>
        join
          .onRef('channel_access.channel', '=', 'release_queue.channel')
          .on('channel_access.officer', '=', filter.officer!),
      )
      .where('release_queue.party', '=', filter.party!)
  }
  if (filter.channel !== undefined)
    query = query.where('release_queue.channel', '=', filter.channel)
  if (filter.status !== undefined) query = query.where('release_queue.status', '=', filter.status)
  if (filter.where !== undefined) query = query.where(filter.where)
  return query
    .orderBy('release_queue.created_at', filter.direction)
    .orderBy('release_queue.id', filter.direction)
    .limit(filter.limit)
    .execute()
}

/**
 * Moves an item from one status to the next, recording who decided; false when it was not in
 * `from` any more (someone else decided first).
 */
export async function moveRelease(
  db: Db,
  id: string,
  from: ReleaseStatus,
  to: {
    readonly status: ReleaseStatus
    readonly by: string | null
    readonly at: number | null
    readonly reason?: string
    readonly event?: string
  },
): Promise<boolean> {
  const updated = await db
    .updateTable('release_queue')
    .set({
      status: to.status,
      decided_by: to.by,
      decided_at: to.at,
      reason: to.reason ?? null,
      event_id: to.event ?? null,
    })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst()
  return Number(updated.numUpdatedRows) > 0
}
