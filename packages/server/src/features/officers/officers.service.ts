import { type OfficerView, type PageQuery, ROLES, type Role, USERNAME_PATTERN } from '@parley/api'
import type { Kysely, Transaction } from 'kysely'
import { ServerError } from '../../errors.ts'
import { forgetSessions } from '../../node/session-cache.ts'
import { type Keyset, type Page, readPage } from '../../store/keyset.ts'
import type { DB } from '../../store/tables.ts'
import { audit } from '../audit/audit.service.ts'
import {
  activeAdmins,
  bumpPrivilegeEpoch,
  deletePasskeys,
  deleteRecoveryCodes,
  factorCounts,
  insertOfficer,
  type OfficerRow,
  officerById,
  officerByUsername,
  officerRange,
  officerRows,
  replaceRecoveryCodes,
  updateOfficer,
} from './officers.repository.ts'
import { assertPasswordPolicy, type PasswordHasher } from './password.ts'
import { generatePassword, newOfficerId, newRecoveryCodes, recoveryCodeHash } from './secrets.ts'

/** Lookups sign-in needs, which must not learn more of an officer than the row. */
export { officerById, officerByUsername } from './officers.repository.ts'
export { type OfficerView, ROLES, type Role }

/**
 * What officer management needs: the database, the clock, the parties hosted here, and the
 * node's password hashing.
 */
export interface OfficersContext {
  readonly db: Kysely<DB>
  now(): number
  readonly parties: readonly string[]
  readonly passwords: PasswordHasher
}

/**
 * Who performs an administrative action, for the audit log and for scope: an admin (with a
 * party) manages its own party's officers only; the operator's CLI (party null) manages all.
 */
export interface Actor {
  readonly officer: string | null
  readonly party: string | null
  readonly via: 'api' | 'cli'
}

export interface NewOfficer {
  readonly party: string
  readonly username: string
  readonly displayName: string
  readonly email?: string | null
  readonly roles: readonly Role[]
  /** Without one, a password is generated, returned once, and must be changed at first login. */
  readonly password?: string
}

/** Usernames compare without case. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase()
}

function sortedRoles(roles: readonly string[]): Role[] {
  const set = new Set(roles)
  return ROLES.filter((role) => set.has(role))
}

/** Whether the officer has completed a second factor: a confirmed TOTP secret or a passkey. */
export function hasSecondFactor(row: OfficerRow, passkeys: number): boolean {
  return row.totp_secret !== null || passkeys > 0
}

export async function officerViews(
  db: Kysely<DB>,
  rows: readonly OfficerRow[],
): Promise<OfficerView[]> {
  const counts = await factorCounts(
    db,
    rows.map((row) => row.id),
  )
  return rows.map((row) => toView(row, counts.get(row.id) ?? { passkeys: 0, recoveryCodes: 0 }))
}

export async function officerView(db: Kysely<DB>, row: OfficerRow): Promise<OfficerView> {
  return (await officerViews(db, [row]))[0]!
}

function toView(row: OfficerRow, counts: { passkeys: number; recoveryCodes: number }): OfficerView {
  return {
    id: row.id,
    party: row.party,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    roles: sortedRoles(row.roles),
    disabled: row.disabled_at !== null,
    mustChangePassword: row.must_change_password,
    factors: { totp: row.totp_secret !== null, ...counts },
    createdAt: row.created_at,
  }
}

/** Creates an officer; returns it and the generated password (null when one was given). */
export async function createOfficer(
  ctx: OfficersContext,
  actor: Actor,
  input: NewOfficer,
): Promise<{ officer: OfficerView; password: string | null }> {
  if (!ctx.parties.includes(input.party)) {
    throw new ServerError('PARTY_NOT_HOSTED', { party: input.party })
  }
  assertScope(actor, input.party)
  const username = normalizeUsername(input.username)
  if (!new RegExp(USERNAME_PATTERN).test(username)) {
    throw new ServerError('REQUEST_INVALID', {
      reason: `username ${JSON.stringify(input.username)}`,
    })
  }
  const roles = sortedRoles(input.roles)
  if (roles.length === 0)
    throw new ServerError('REQUEST_INVALID', { reason: 'an officer needs a role' })
  const generated = input.password === undefined ? generatePassword() : null
  const password = input.password ?? generated!
  if (generated === null) assertPasswordPolicy(password, username)
  const passwordHash = await ctx.passwords.hash(password)
  const now = ctx.now()
  const id = newOfficerId()
  await ctx.db
    .transaction()
    .execute(async (trx) => {
      if ((await officerByUsername(trx, username)) !== undefined) {
        throw new ServerError('USERNAME_TAKEN', { username })
      }
      await insertOfficer(trx, {
        id,
        party: input.party,
        username,
        display_name: input.displayName,
        email: input.email ?? null,
        roles,
        disabled_at: null,
        password_hash: passwordHash,
        password_set_at: now,
        must_change_password: generated !== null,
        totp_secret: null,
        totp_pending_secret: null,
        totp_last_step: null,
        privilege_epoch: 0,
        created_at: now,
        updated_at: now,
      })
      await audit(trx, {
        time: now,
        action: 'officer.create',
        officer: actor.officer,
        party: input.party,
        details: { target: id, username, roles: roles.join(','), via: actor.via },
      })
    })
    .catch((error: unknown) => {
      // Two creations racing for one username: the unique index decides.
      if ((error as { code?: string }).code === '23505') {
        throw new ServerError('USERNAME_TAKEN', { username })
      }
      throw error
    })
  const row = await officerById(ctx.db, id)
  return { officer: await officerView(ctx.db, row!), password: generated }
}

/**
 * Creates the first admin of a party, for `parley init`; refuses when the party has officers
 * already. Returns the generated password when none was given: show it once, never store it.
 */
export async function createFirstAdmin(
  ctx: OfficersContext,
  input: Omit<NewOfficer, 'roles'>,
): Promise<{ officer: OfficerView; password: string | null }> {
  if ((await officerRows(ctx.db, input.party)).length > 0) {
    throw new ServerError('OFFICERS_EXIST', { party: input.party })
  }
  return createOfficer(
    ctx,
    { officer: null, party: null, via: 'cli' },
    { ...input, roles: ['admin'] },
  )
}

export async function listOfficers(
  ctx: Pick<OfficersContext, 'db'>,
  party?: string,
): Promise<OfficerView[]> {
  return officerViews(ctx.db, await officerRows(ctx.db, party))
}

/**
 * A page of a party's officers by username (usernames are unique on the node). A cursor of
 * another party's list is refused like any foreign cursor.
 */
export async function officerPage(
  ctx: Pick<OfficersContext, 'db'>,
  party: string,
  query: PageQuery,
): Promise<Page<OfficerView>> {
  const keyset: Keyset<OfficerRow> = {
    scope: `officers:${party}`,
    columns: ['officers.username'],
    kinds: ['text'],
    key: (row) => [row.username],
  }
  const page = await readPage(keyset, query, (where, direction, limit) =>
    officerRange(ctx.db, party, where, direction, limit),
  )
  return { items: await officerViews(ctx.db, page.items), cursors: page.cursors }
}

/** Finds an officer by id (`o_…`) or username, within the actor's party when it has one. */
export async function findOfficer(
  db: Kysely<DB> | Transaction<DB>,
  ref: string,
  scope: string | null = null,
): Promise<OfficerRow> {
  const row = ref.startsWith('o_')
    ? await officerById(db, ref)
    : await officerByUsername(db, normalizeUsername(ref))
  // Another party's officer is reported as missing: an admin must not learn who exists there.
  if (row === undefined || (scope !== null && row.party !== scope)) {
    throw new ServerError('OFFICER_NOT_FOUND', { officer: ref })
  }
  return row
}

function assertScope(actor: Actor, party: string): void {
  if (actor.party !== null && actor.party !== party) {
    throw new ServerError('PARTY_NOT_HOSTED', { party })
  }
}

async function assertNotLastAdmin(trx: Transaction<DB>, row: OfficerRow): Promise<void> {
  const admins = await activeAdmins(trx, row.party)
  if (admins.length === 1 && admins[0] === row.id) {
    throw new ServerError('LAST_ADMIN', { officer: row.username, party: row.party })
  }
}

/**
 * Replaces an officer's roles. Sessions of the officer get a new id on their next request
 * (a privilege change), and the last admin of a party cannot lose the role.
 */
export async function setRoles(
  ctx: OfficersContext,
  actor: Actor,
  ref: string,
  roles: readonly Role[],
): Promise<OfficerView> {
  const next = sortedRoles(roles)
  if (next.length === 0)
    throw new ServerError('REQUEST_INVALID', { reason: 'an officer needs a role' })
  const now = ctx.now()
  const id = await ctx.db.transaction().execute(async (trx) => {
    const row = await findOfficer(trx, ref, actor.party)
    const before = sortedRoles(row.roles)
    if (before.includes('admin') && !next.includes('admin')) await assertNotLastAdmin(trx, row)
    await updateOfficer(trx, row.id, { roles: next, updated_at: now })
    await bumpPrivilegeEpoch(trx, row.id, now)
    await audit(trx, {
      time: now,
      action: 'officer.roles',
      officer: actor.officer,
      party: row.party,
      details: { target: row.id, from: before.join(','), to: next.join(','), via: actor.via },
    })
    return row.id
  })
  return officerView(ctx.db, (await officerById(ctx.db, id))!)
}

/** Disables an officer and ends every session of theirs at once. */
export async function disableOfficer(
  ctx: OfficersContext,
  actor: Actor,
  ref: string,
): Promise<OfficerView> {
  const now = ctx.now()
  const id = await ctx.db.transaction().execute(async (trx) => {
    const row = await findOfficer(trx, ref, actor.party)
    if (row.disabled_at !== null) return row.id
    if (row.roles.includes('admin')) await assertNotLastAdmin(trx, row)
    await updateOfficer(trx, row.id, { disabled_at: now, updated_at: now })
    forgetSessions()
    await trx.deleteFrom('sessions').where('officer', '=', row.id).execute()
    await audit(trx, {
      time: now,
      action: 'officer.disable',
      officer: actor.officer,
      party: row.party,
      details: { target: row.id, via: actor.via },
    })
    return row.id
  })
  return officerView(ctx.db, (await officerById(ctx.db, id))!)
}

export async function enableOfficer(
  ctx: OfficersContext,
  actor: Actor,
  ref: string,
): Promise<OfficerView> {
  const now = ctx.now()
  const id = await ctx.db.transaction().execute(async (trx) => {
    const row = await findOfficer(trx, ref, actor.party)
    if (row.disabled_at === null) return row.id
    await updateOfficer(trx, row.id, { disabled_at: null, updated_at: now })
    await bumpPrivilegeEpoch(trx, row.id, now)
    await audit(trx, {
      time: now,
      action: 'officer.enable',
      officer: actor.officer,
      party: row.party,
      details: { target: row.id, via: actor.via },
    })
    return row.id
  })
  return officerView(ctx.db, (await officerById(ctx.db, id))!)
}

/**
 * Sets a new password for an officer who lost theirs: generated unless given, to be changed
 * at the next login. Ends all the officer's sessions. With `clearFactors` the second factors
 * and recovery codes go too (a lost phone and lost codes), and the officer enrols anew.
 */
export async function resetPassword(
  ctx: OfficersContext,
  actor: Actor,
  ref: string,
  options: { readonly password?: string; readonly clearFactors?: boolean } = {},
): Promise<{ officer: OfficerView; password: string | null }> {
  const target = await findOfficer(ctx.db, ref, actor.party)
  const generated = options.password === undefined ? generatePassword() : null
  const password = options.password ?? generated!
  if (generated === null) assertPasswordPolicy(password, target.username)
  const passwordHash = await ctx.passwords.hash(password)
  const now = ctx.now()
  await ctx.db.transaction().execute(async (trx) => {
    await updateOfficer(trx, target.id, {
      password_hash: passwordHash,
      password_set_at: now,
      must_change_password: true,
      updated_at: now,
      ...(options.clearFactors === true
        ? { totp_secret: null, totp_pending_secret: null, totp_last_step: null }
        : {}),
    })
    if (options.clearFactors === true) {
      await deletePasskeys(trx, target.id)
      await deleteRecoveryCodes(trx, target.id)
    }
    forgetSessions()
    await trx.deleteFrom('sessions').where('officer', '=', target.id).execute()
    await audit(trx, {
      time: now,
      action: 'password.reset',
      officer: actor.officer,
      party: target.party,
      details: { target: target.id, clearFactors: options.clearFactors === true, via: actor.via },
    })
  })
  return {
    officer: await officerView(ctx.db, (await officerById(ctx.db, target.id))!),
    password: generated,
  }
}

/**
 * An officer changes their own password, proving the current one. Session handling (ending
 * the others, rotating this one) is the caller's.
 */
export async function changePassword(
  ctx: OfficersContext,
  officer: string,
  current: string,
  next: string,
): Promise<void> {
  const row = await findOfficer(ctx.db, officer)
  if (!(await ctx.passwords.verify(row.password_hash, current))) {
    throw new ServerError('PASSWORD_INCORRECT')
  }
  assertPasswordPolicy(next, row.username)
  if (await ctx.passwords.verify(row.password_hash, next)) {
    throw new ServerError('PASSWORD_TOO_WEAK', { reason: 'it is the current password' })
  }
  const passwordHash = await ctx.passwords.hash(next)
  const now = ctx.now()
  await ctx.db.transaction().execute(async (trx) => {
    await updateOfficer(trx, row.id, {
      password_hash: passwordHash,
      password_set_at: now,
      must_change_password: false,
      updated_at: now,
    })
    await audit(trx, {
      time: now,
      action: 'password.change',
      officer: row.id,
      party: row.party,
    })
  })
}

/**
 * Issues a fresh set of recovery codes (the old ones stop working) and returns them: the only
 * time they are shown.
 */
export async function issueRecoveryCodes(
  db: Kysely<DB> | Transaction<DB>,
  row: OfficerRow,
  now: number,
): Promise<string[]> {
  const codes = newRecoveryCodes()
  const hashes = await Promise.all(codes.map((code) => recoveryCodeHash(row.id, code)))
  await replaceRecoveryCodes(db, row.id, hashes, now)
  await audit(db, {
    time: now,
    action: 'factor.recovery.issue',
    officer: row.id,
    party: row.party,
    details: { count: codes.length },
  })
  return codes
}
