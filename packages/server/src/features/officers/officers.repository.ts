import type { Insertable, Kysely, RawBuilder, Selectable, Transaction, Updateable } from 'kysely'
import { forgetSessions } from '../../node/session-cache.ts'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'
import type { OfficerPasskeysTable, OfficersTable } from './officers.table.ts'

type Executor = Kysely<DB> | Transaction<DB>

export type OfficerRow = Selectable<OfficersTable>
export type PasskeyRow = Selectable<OfficerPasskeysTable>

export async function insertOfficer(
  db: Executor,
  row: Omit<Insertable<OfficersTable>, 'roles'> & { roles: readonly string[] },
): Promise<void> {
  await db
    .insertInto('officers')
    .values({ ...row, roles: jsonb(row.roles) })
    .execute()
}

export function officerById(db: Executor, id: string): Promise<OfficerRow | undefined> {
  return db.selectFrom('officers').selectAll().where('id', '=', id).executeTakeFirst()
}

export function officerByUsername(db: Executor, username: string): Promise<OfficerRow | undefined> {
  return db.selectFrom('officers').selectAll().where('username', '=', username).executeTakeFirst()
}

export function officerRows(db: Executor, party?: string): Promise<OfficerRow[]> {
  let query = db.selectFrom('officers').selectAll().orderBy('party').orderBy('username')
  if (party !== undefined) query = query.where('party', '=', party)
  return query.execute()
}

/**
 * A party's officers by username, `direction` from `where` on (a keyset page's fetch, on the
 * index `officers_party_username`).
 */
export function officerRange(
  db: Executor,
  party: string,
  where: RawBuilder<boolean> | undefined,
  direction: 'asc' | 'desc',
  limit: number,
): Promise<OfficerRow[]> {
  return db
    .selectFrom('officers')
    .selectAll()
    .where('party', '=', party)
    .$if(where !== undefined, (qb) => qb.where(where!))
    .orderBy('username', direction)
    .limit(limit)
    .execute()
}

/** Officers of a party who hold the admin role and are not disabled. */
export async function activeAdmins(db: Executor, party: string): Promise<string[]> {
  const rows = await db
    .selectFrom('officers')
    .select(['id', 'roles'])
    .where('party', '=', party)
    .where('disabled_at', 'is', null)
    .execute()
  return rows.filter((row) => row.roles.includes('admin')).map((row) => row.id)
}

export async function updateOfficer(
  db: Executor,
  id: string,
  patch: Omit<Updateable<OfficersTable>, 'roles'> & { roles?: readonly string[] },
): Promise<void> {
  forgetSessions()
  const { roles, ...rest } = patch
  await db
    .updateTable('officers')
    .set({ ...rest, ...(roles === undefined ? {} : { roles: jsonb(roles) }) })
    .where('id', '=', id)
    .execute()
}

/** Moves an officer into a new privilege epoch, so existing sessions get a new id. */
export async function bumpPrivilegeEpoch(db: Executor, id: string, now: number): Promise<void> {
  forgetSessions()
  await db
    .updateTable('officers')
    .set((eb) => ({ privilege_epoch: eb('privilege_epoch', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .execute()
}

/**
 * Records `step` as the last TOTP step used, only if it is later than the one stored; false
 * when it is not, which makes two logins racing with one code accept at most one.
 */
export async function claimTotpStep(db: Executor, id: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('officers')
    .set({ totp_last_step: step })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export function passkeysOf(db: Executor, officer: string): Promise<PasskeyRow[]> {
  return db
    .selectFrom('officer_passkeys')
    .selectAll()
    .where('officer', '=', officer)
    .orderBy('created_at')
    .execute()
}

export async function insertPasskey(
  db: Executor,
  row: Omit<Insertable<OfficerPasskeysTable>, 'transports'> & { transports: readonly string[] },
): Promise<void> {
  forgetSessions()
  await db
    .insertInto('officer_passkeys')
    .values({ ...row, transports: jsonb(row.transports) })
    .execute()
}

/** Stores the counter an assertion reported, only if it moved forward (or both are zero). */
export async function advancePasskeyCounter(
  db: Executor,
  id: string,
  counter: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('officer_passkeys')
    .set({ counter, last_used_at: now })
    .where('id', '=', id)
    // Authenticators without a counter always report 0; any other must grow.
    .where('counter', counter === 0 ? '=' : '<', counter)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function deletePasskeys(db: Executor, officer: string): Promise<void> {
  forgetSessions()
  await db.deleteFrom('officer_passkeys').where('officer', '=', officer).execute()
}

export async function replaceRecoveryCodes(
  db: Executor,
  officer: string,
  hashes: readonly string[],
  now: number,
): Promise<void> {
  await deleteRecoveryCodes(db, officer)
  await db
    .insertInto('officer_recovery_codes')
    .values(hashes.map((code_hash) => ({ officer, code_hash, created_at: now, used_at: null })))
    .execute()
}

export async function deleteRecoveryCodes(db: Executor, officer: string): Promise<void> {
  await db.deleteFrom('officer_recovery_codes').where('officer', '=', officer).execute()
}

/** Marks an unused code used; false when there is no such unused code. */
export async function spendRecoveryCode(
  db: Executor,
  officer: string,
  hash: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('officer_recovery_codes')
    .set({ used_at: now })
    .where('officer', '=', officer)
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function unusedRecoveryCodes(db: Executor, officer: string): Promise<number> {
  const row = await db
    .selectFrom('officer_recovery_codes')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('officer', '=', officer)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** How many passkeys and unused recovery codes each officer has, for listings. */
export async function factorCounts(
  db: Executor,
  officers: readonly string[],
): Promise<Map<string, { passkeys: number; recoveryCodes: number }>> {
  const counts = new Map(officers.map((id) => [id, { passkeys: 0, recoveryCodes: 0 }]))
  if (officers.length === 0) return counts
  const passkeys = await db
    .selectFrom('officer_passkeys')
    .select(['officer', (eb) => eb.fn.countAll<string | number>().as('n')])
    .where('officer', 'in', officers)
    .groupBy('officer')
    .execute()
  const codes = await db
    .selectFrom('officer_recovery_codes')
    .select(['officer', (eb) => eb.fn.countAll<string | number>().as('n')])
    .where('officer', 'in', officers)
    .where('used_at', 'is', null)
    .groupBy('officer')
    .execute()
  for (const row of passkeys) counts.get(row.officer)!.passkeys = Number(row.n)
  for (const row of codes) counts.get(row.officer)!.recoveryCodes = Number(row.n)
  return counts
}
