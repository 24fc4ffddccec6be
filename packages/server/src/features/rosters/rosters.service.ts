import type { OnDutyView, Roster, RosterView } from '@parley/api'
import type { Kysely, Transaction } from 'kysely'
import { ServerError } from '../../errors.ts'
import type { DB } from '../../store/tables.ts'
import { audit } from '../audit/audit.service.ts'
import { listOfficers } from '../officers/officers.service.ts'
import { nextHandover, onDutyAt } from './on-duty.ts'
import { rosterRow, saveRoster } from './rosters.repository.ts'

type Db = Kysely<DB> | Transaction<DB>

const EMPTY: Roster = { shifts: [], overrides: [] }

/** Who asks: an officer of one party, or the automation credential (no party). */
export interface RosterActor {
  readonly officer: string | null
  readonly party: string | null
}

/** The party's roster as stored, or an empty one. */
export async function rosterOf(db: Db, party: string): Promise<RosterView> {
  const row = await rosterRow(db, party)
  return {
    party,
    ...(row?.roster ?? EMPTY),
    updatedAt: row?.updatedAt ?? null,
    updatedBy: row?.updatedBy ?? null,
  }
}

/**
 * Replaces a party's roster. Every officer it names must be an enabled officer of that party,
 * and every override must end after it starts; otherwise `ROSTER_INVALID` and nothing changes.
 */
export async function setRoster(
  db: Kysely<DB>,
  actor: RosterActor,
  party: string,
  roster: Roster,
  now: number,
): Promise<RosterView> {
  const officers = new Map((await listOfficers({ db }, party)).map((o) => [o.id, o]))
  const named = [
    ...roster.shifts.map((s) => s.officer),
    ...roster.overrides.flatMap((o) => [
      o.officer,
      ...(o.replaces === undefined ? [] : [o.replaces]),
    ]),
  ]
  for (const id of named) {
    const officer = officers.get(id)
    if (officer === undefined) {
      throw new ServerError('ROSTER_INVALID', { reason: `${id} is no officer of ${party}` })
    }
    if (officer.disabled) {
      throw new ServerError('ROSTER_INVALID', { reason: `${id} is disabled` })
    }
  }
  for (const [index, override] of roster.overrides.entries()) {
    if (override.until <= override.from) {
      throw new ServerError('ROSTER_INVALID', {
        reason: `/overrides/${index} must end after it starts`,
      })
    }
  }
  await db.transaction().execute(async (trx) => {
    await saveRoster(trx, party, roster, now, actor.officer)
    await audit(trx, {
      time: now,
      action: 'roster.set',
      officer: actor.officer,
      party,
      details: { shifts: roster.shifts.length, overrides: roster.overrides.length },
    })
  })
  return rosterOf(db, party)
}

/**
 * The enabled officers a party's roster puts on duty at `at`, with their e-mail addresses, and
 * the next hand-over. The escalation ladder calls this when each of its steps runs.
 */
export async function onDuty(db: Db, party: string, at: number): Promise<OnDutyView> {
  const roster = (await rosterRow(db, party))?.roster ?? EMPTY
  const ids = onDutyAt(roster, at)
  const officers = ids.length === 0 ? [] : await listOfficers({ db: db as Kysely<DB> }, party)
  const byId = new Map(officers.map((o) => [o.id, o]))
  return {
    party,
    at,
    officers: ids
      .map((id) => byId.get(id))
      .filter((o) => o !== undefined && !o.disabled)
      .map((o) => ({ id: o!.id, displayName: o!.displayName, email: o!.email })),
    nextHandover: nextHandover(roster, at),
  }
}
