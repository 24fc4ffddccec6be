import type { EventOf } from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../store/tables.ts'

type Db = Kysely<DB> | Transaction<DB>

/**
 * When a notice was first closed: the signed time of the earliest stored `notice.close` that
 * names it, or none. A channel holds few closes, so they are read and matched here rather
 * than by a JSON query that each engine spells its own way.
 */
export async function firstCloseTime(
  db: Db,
  channel: string,
  notice: string,
): Promise<number | undefined> {
  const rows = await db
    .selectFrom('events')
    .select(['raw'])
    .where('channel', '=', channel)
    .where('type', '=', 'notice.close')
    .orderBy('position')
    .execute()
  for (const { raw } of rows) {
    const { event } = JSON.parse(raw) as { event: EventOf<'notice.close'> }
    if (event.body.notice === notice) return event.time
  }
  return undefined
}
