import type { JsonValue } from '@parley/protocol'
import { type Kysely, type RawBuilder, type Selectable, sql, type Transaction } from 'kysely'
import { jsonb } from '../store/jsonb.ts'
import type { DB } from '../store/tables.ts'
import type { AlarmKind } from './ledger.table.ts'

type Executor = Kysely<DB> | Transaction<DB>

export interface Alarm {
  readonly id: number
  readonly kind: AlarmKind
  readonly channel: string | null
  readonly party: string | null
  readonly details: JsonValue
  readonly raisedAt: number
  readonly clearedAt: number | null
}

/**
 * Raises an alarm for the console, unless the same one (kind, channel, party, details) is
 * still open: a peer that retries a bad event forever must not flood the duty officer.
 * Returns whether a new alarm was raised.
 */
export async function raiseAlarm(
  db: Executor,
  alarm: {
    kind: AlarmKind
    channel: string | null
    party: string | null
    details: JsonValue
    now: number
  },
): Promise<boolean> {
  const details = jsonb(alarm.details)
  const open = await db
    .selectFrom('alarms')
    .select('id')
    .where('kind', '=', alarm.kind)
    .where('cleared_at', 'is', null)
    .where(sql<boolean>`details = cast(${details}::text as jsonb)`)
    .where((eb) =>
      eb.and([
        alarm.channel === null ? eb('channel', 'is', null) : eb('channel', '=', alarm.channel),
        alarm.party === null ? eb('party', 'is', null) : eb('party', '=', alarm.party),
      ]),
    )
    .executeTakeFirst()
  if (open !== undefined) return false
  await db
    .insertInto('alarms')
    .values({
      kind: alarm.kind,
      channel: alarm.channel,
      party: alarm.party,
      details,
      raised_at: alarm.now,
    })
    .execute()
  return true
}

/** Open alarms, oldest first. */
export async function openAlarms(db: Executor): Promise<Alarm[]> {
  const rows = await db
    .selectFrom('alarms')
    .selectAll()
    .where('cleared_at', 'is', null)
    .orderBy('raised_at')
    .orderBy('id')
    .execute()
  return rows.map(alarmOf)
}

/** Marks an alarm as handled; returns whether it was open. */
export async function clearAlarm(db: Executor, id: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('alarms')
    .set({ cleared_at: now })
    .where('id', '=', id)
    .where('cleared_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** A page of the open alarms by (raised_at, id), the `alarms_open` index: `readPage`'s fetch. */
export async function openAlarmsRange(
  db: Executor,
  where: RawBuilder<boolean> | undefined,
  direction: 'asc' | 'desc',
  limit: number,
): Promise<Alarm[]> {
  let query = db.selectFrom('alarms').selectAll().where('cleared_at', 'is', null)
  if (where !== undefined) query = query.where(where)
  const rows = await query
    .orderBy('raised_at', direction)
    .orderBy('id', direction)
    .limit(limit)
    .execute()
  return rows.map(alarmOf)
}

function alarmOf(row: Selectable<DB['alarms']>): Alarm {
  return {
    id: row.id,
    kind: row.kind,
    channel: row.channel,
    party: row.party,
    details: row.details,
    raisedAt: row.raised_at,
    clearedAt: row.cleared_at,
  }
}
