import type { SessionView } from '@parley/api'
import { toBase64Url } from '@parley/protocol'
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'
import type { Transaction } from 'kysely'
import { isServerError, ServerError } from '../../errors.ts'
import { cachedSession, rememberSession, sessionGeneration } from '../../node/session-cache.ts'
import type { DB } from '../../store/tables.ts'
import type { AuditTail } from '../audit/audit.service.ts'
import { audit, storable } from '../audit/audit.service.ts'
import type { OfficerRow } from '../officers/officers.repository.ts'
import {
  changePassword,
  normalizeUsername,
  type OfficersContext,
  officerById,
  officerByUsername,
  officerView,
} from '../officers/officers.service.ts'
import type { RelyingParty } from '../officers/passkeys.ts'
import {
  beginPasskeyLogin,
  beginPasskeyRegistration,
  checkPasskey,
  checkTotp,
  finishPasskeyRegistration,
  type SecondFactor,
  secondFactorsOf,
  useRecoveryCode,
} from '../officers/second-factors.ts'
import { sessionTokenHash } from '../officers/secrets.ts'
import { type AuthSettings, CHALLENGE_LIFETIME, SECOND_FACTOR_WINDOW } from './auth-settings.ts'
import {
  clearFailures,
  deleteSession,
  deleteSessionsOf,
  insertSession,
  lockedUntil,
  purgeStale,
  recordFailure,
  renameSession,
  type SessionWithOfficer,
  sessionWithOfficer,
  setChallenge,
  takeChallenge,
  touchSession,
} from './sessions.repository.ts'
import type { SessionStage } from './sessions.table.ts'

/** What sessions need: officer management's context plus the node's auth settings. */
export interface AuthContext extends OfficersContext {
  readonly settings: AuthSettings
  /** Where the audit log was seen to end: token calls' entries go in with one statement. */
  readonly auditTail?: AuditTail
}

/** Where a request comes from, for lock-out and the audit log. */
export interface Client {
  readonly ip: string
  readonly userAgent: string | null
}

/** A session token for the cookie and the session it opens. */
export interface IssuedSession {
  readonly token: string
  readonly session: SessionView
}

/** The proof that completes a pending login. */
export type SecondFactorProof =
  | { readonly method: 'totp'; readonly code: string }
  | { readonly method: 'recovery'; readonly code: string }
  | {
      readonly method: 'passkey'
      readonly response: AuthenticationResponseJSON
      readonly rp: RelyingParty
    }

function randomToken(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)))
}

const seconds = (until: number, now: number) => Math.max(1, Math.ceil((until - now) / 1000))

/**
 * Step one of a login: username and password. Any session the client presented is ended,
 * never adopted (session fixation). Without a second factor enrolled the session is active at
 * once; with one it waits for `completeLogin`. Failures count towards lock-out, per account
 * and per client address, and every one is audited.
 */
export async function login(
  ctx: AuthContext,
  client: Client,
  credentials: { readonly username: string; readonly password: string },
  presented?: string,
): Promise<IssuedSession> {
  const username = normalizeUsername(credentials.username)
  if (presented !== undefined) await deleteSession(ctx.db, await sessionTokenHash(presented))
  await assertNotLocked(ctx, client, username)
  const row = await officerByUsername(ctx.db, username)
  let matches = false
  if (row === undefined) await ctx.passwords.spendCheck(credentials.password)
  else matches = await ctx.passwords.verify(row.password_hash, credentials.password)
  if (!matches || row === undefined || row.disabled_at !== null) {
    const reason = row === undefined ? 'unknown-user' : !matches ? 'password' : 'disabled'
    return loginFailed(ctx, client, username, row, reason, new ServerError('LOGIN_FAILED'))
  }
  const factors = await secondFactorsOf(ctx, row)
  if (factors.length > 0) return openSession(ctx, client, row, 'second-factor', 'password')
  return openSession(ctx, client, row, 'active', 'password')
}

/**
 * Step two: completes a pending login with a second factor, ends the pending session and
 * opens a new one under a new id.
 */
export async function completeLogin(
  ctx: AuthContext,
  client: Client,
  token: string | undefined,
  proof: SecondFactorProof,
): Promise<IssuedSession> {
  const pending = await resolveSession(ctx, token, 'second-factor')
  const row = (await officerById(ctx.db, pending.officer))!
  await assertNotLocked(ctx, client, row.username)
  try {
    if (proof.method === 'totp') await checkTotp(ctx, row, proof.code)
    else if (proof.method === 'recovery') await useRecoveryCode(ctx, row, proof.code)
    else {
      const challenge = await ctx.db
        .transaction()
        .execute((trx) => takeChallenge(trx, pending.id_hash, 'passkey-login', ctx.now()))
      if (challenge === null) throw new ServerError('PASSKEY_CHALLENGE_MISSING')
      await checkPasskey(ctx, proof.rp, row, proof.response, challenge)
    }
  } catch (error) {
    if (!isServerError(error) || error.status !== 401) throw error
    return loginFailed(ctx, client, row.username, row, `${proof.method}:${error.code}`, error)
  }
  await deleteSession(ctx.db, pending.id_hash)
  return openSession(ctx, client, row, 'active', proof.method)
}

/** Options for the passkey step of a pending login; the challenge stays with the session. */
export async function passkeyLoginOptions(
  ctx: AuthContext,
  rp: RelyingParty,
  token: string | undefined,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const pending = await resolveSession(ctx, token, 'second-factor')
  const row = (await officerById(ctx.db, pending.officer))!
  const options = await beginPasskeyLogin(ctx, rp, row)
  await setChallenge(ctx.db, pending.id_hash, {
    value: options.challenge,
    kind: 'passkey-login',
    expiresAt: ctx.now() + CHALLENGE_LIFETIME,
  })
  return options
}

async function assertNotLocked(ctx: AuthContext, client: Client, username: string): Promise<void> {
  const now = ctx.now()
  const address = await lockedUntil(ctx.db, `address:${client.ip}`, now)
  if (address !== null) {
    throw new ServerError('ADDRESS_LOCKED', { ip: client.ip, retryAfter: seconds(address, now) })
  }
  const account = await lockedUntil(ctx.db, `account:${username}`, now)
  if (account !== null) {
    throw new ServerError('ACCOUNT_LOCKED', { username, retryAfter: seconds(account, now) })
  }
}

/**
 * Counts and audits a login request refused before its credentials were read (bytes that are
 * not UTF-8, a lone surrogate, a body that does not match the schema, the wrong media type),
 * so that no malformed attempt escapes the lock-out or the audit log. `body` is what could be
 * read of it; a username found there counts towards that name's lock-out too, in the escaped
 * form the audit stores, and the password is never looked at.
 */
export async function loginRefused(
  ctx: AuthContext,
  client: Client,
  body: unknown,
  error: Error & { readonly code?: string },
): Promise<never> {
  const named = (body as { username?: unknown } | null | undefined)?.username
  const username =
    typeof named === 'string' ? (storable(normalizeUsername(named.slice(0, 64))) as string) : null
  const refusal = error instanceof ServerError ? error : new ServerError('REQUEST_INVALID')
  await loginFailed(
    ctx,
    client,
    username,
    undefined,
    `refused:${error.code ?? 'REQUEST_INVALID'}`,
    refusal,
  ).catch((locked: unknown) => {
    if (locked !== refusal) throw locked
  })
  throw error
}

async function loginFailed(
  ctx: AuthContext,
  client: Client,
  username: string | null,
  row: OfficerRow | undefined,
  reason: string,
  error: ServerError,
): Promise<never> {
  const now = ctx.now()
  const { lockout, lockoutFailures, addressLockoutFailures } = ctx.settings
  const party = row?.party ?? null
  const locks = await ctx.db.transaction().execute(async (trx) => {
    const account =
      username === null
        ? null
        : await recordFailure(trx, `account:${username}`, now, lockout, lockoutFailures)
    const address = await recordFailure(
      trx,
      `address:${client.ip}`,
      now,
      lockout,
      addressLockoutFailures,
    )
    const details = { username, ip: client.ip, target: row?.id ?? null }
    await audit(trx, {
      time: now,
      action: 'login.failed',
      officer: null,
      party,
      details: { ...details, reason },
    })
    if (account !== null) {
      await audit(trx, {
        time: now,
        action: 'login.locked',
        officer: null,
        party,
        details: { ...details, scope: 'account', until: account },
      })
    }
    if (address !== null) {
      await audit(trx, {
        time: now,
        action: 'login.locked',
        officer: null,
        party,
        details: { ...details, scope: 'address', until: address },
      })
    }
    return { account, address }
  })
  if (locks.account !== null) {
    throw new ServerError('ACCOUNT_LOCKED', { username, retryAfter: seconds(locks.account, now) })
  }
  if (locks.address !== null) {
    throw new ServerError('ADDRESS_LOCKED', {
      ip: client.ip,
      retryAfter: seconds(locks.address, now),
    })
  }
  throw error
}

async function openSession(
  ctx: AuthContext,
  client: Client,
  row: OfficerRow,
  stage: SessionStage,
  method: SecondFactor | 'password',
): Promise<IssuedSession> {
  const now = ctx.now()
  const token = randomToken()
  const idHash = await sessionTokenHash(token)
  const expiresAt = now + (stage === 'active' ? ctx.settings.absoluteTimeout : SECOND_FACTOR_WINDOW)
  await ctx.db.transaction().execute(async (trx) => {
    await purgeStale(trx, now, { idle: ctx.settings.idleTimeout, window: ctx.settings.lockout })
    await insertSession(trx, {
      id_hash: idHash,
      officer: row.id,
      stage,
      csrf_token: randomToken(),
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
      privilege_epoch: row.privilege_epoch,
      challenge: null,
      challenge_kind: null,
      challenge_expires_at: null,
      ip: client.ip,
      user_agent: client.userAgent?.slice(0, 500) ?? null,
    })
    if (stage === 'active') {
      await clearFailures(trx, `account:${row.username}`)
      await audit(trx, {
        time: now,
        action: 'login',
        officer: row.id,
        party: row.party,
        details: { method, ip: client.ip },
      })
    }
  })
  const session = (await sessionWithOfficer(ctx.db, idHash))!
  return { token, session: await sessionView(ctx, session) }
}

/**
 * The session a token names, at the stage wanted. Throws `AUTH_REQUIRED` for no token, an
 * unknown or ended session, another stage or a disabled officer, and `SESSION_EXPIRED` (ending
 * the session) past its idle or absolute timeout.
 */
export async function resolveSession(
  ctx: AuthContext,
  token: string | undefined,
  stage: SessionStage,
): Promise<SessionWithOfficer> {
  if (token === undefined || token === '') throw new ServerError('AUTH_REQUIRED')
  return resolveSessionHash(ctx, await sessionTokenHash(token), stage)
}

/** {@link resolveSession} by the session's id hash (what a request keeps of its session). */
export async function resolveSessionHash(
  ctx: AuthContext,
  idHash: string,
  stage: SessionStage,
): Promise<SessionWithOfficer> {
  const now = ctx.now()
  let session = cachedSession<SessionWithOfficer>(idHash, now)
  if (session === undefined) {
    const since = sessionGeneration()
    session = await sessionWithOfficer(ctx.db, idHash)
    if (session !== undefined) rememberSession(idHash, session, since, now)
  }
  if (session === undefined || session.stage !== stage) throw new ServerError('AUTH_REQUIRED')
  if (session.disabled) {
    await deleteSessionsOf(ctx.db, session.officer)
    throw new ServerError('AUTH_REQUIRED')
  }
  const idle = stage === 'active' && now - session.last_seen_at >= ctx.settings.idleTimeout
  if (now >= session.expires_at || idle) {
    await deleteSession(ctx.db, session.id_hash)
    const reason =
      stage === 'second-factor'
        ? 'the second factor was not given in time'
        : idle
          ? `idle for more than ${ctx.settings.idleTimeout / 60_000} min`
          : `older than ${ctx.settings.absoluteTimeout / 60_000} min`
    throw new ServerError('SESSION_EXPIRED', { reason })
  }
  return session
}

/**
 * Marks the session as used now. Writes at most once a minute (or a tenth of the idle
 * timeout): the idle timeout then errs by that little, and reads stay cheap.
 */
export async function touch(ctx: AuthContext, session: SessionWithOfficer): Promise<void> {
  const now = ctx.now()
  const every = Math.min(60_000, ctx.settings.idleTimeout / 10)
  if (now - session.last_seen_at >= every) await touchSession(ctx.db, session.id_hash, now)
}

/**
 * Gives a session a new id (the old cookie stops working at once) and the officer's current
 * privilege epoch. Returns the new token and its hash, or null when the session ended meanwhile.
 */
export async function rotateSession(
  ctx: AuthContext,
  session: SessionWithOfficer,
): Promise<{ token: string; idHash: string } | null> {
  const token = randomToken()
  const idHash = await sessionTokenHash(token)
  const renamed = await renameSession(ctx.db, session.id_hash, {
    idHash,
    epoch: session.officer_epoch,
    now: ctx.now(),
  })
  return renamed ? { token, idHash } : null
}

/** Whether a session's officer must still set up their account before using the API. */
export function pendingSetup(
  ctx: AuthContext,
  session: SessionWithOfficer,
): 'PASSWORD_CHANGE_REQUIRED' | 'SECOND_FACTOR_REQUIRED' | null {
  if (session.must_change_password) return 'PASSWORD_CHANGE_REQUIRED'
  if (ctx.settings.requireSecondFactor && !session.has_second_factor)
    return 'SECOND_FACTOR_REQUIRED'
  return null
}

export async function sessionView(
  ctx: AuthContext,
  session: SessionWithOfficer,
): Promise<SessionView> {
  const row = (await officerById(ctx.db, session.officer))!
  const active = session.stage === 'active'
  return {
    stage: session.stage,
    csrfToken: session.csrf_token,
    expiresAt: session.expires_at,
    officer: active ? await officerView(ctx.db, row) : null,
    secondFactors: active ? [] : await secondFactorsOf(ctx, row),
    setup: {
      mustChangePassword: active && session.must_change_password,
      mustEnrolSecondFactor:
        active && ctx.settings.requireSecondFactor && !session.has_second_factor,
    },
  }
}

/** Ends a session (logout). */
export async function logout(ctx: AuthContext, session: SessionWithOfficer): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await deleteSession(trx, session.id_hash)
    await audit(trx, {
      time: ctx.now(),
      action: 'logout',
      officer: session.officer,
      party: session.party,
    })
  })
}

/**
 * An officer changes their password: every other session of theirs ends, and this one gets a
 * new id. Returns the new token.
 */
export async function changeOwnPassword(
  ctx: AuthContext,
  session: SessionWithOfficer,
  current: string,
  next: string,
): Promise<IssuedSession> {
  await changePassword(ctx, session.officer, current, next)
  await deleteSessionsOf(ctx.db, session.officer, session.id_hash)
  return reissue(ctx, session)
}

/** Rotates the session after a change of its own officer's privileges and shows it anew. */
export async function reissue(
  ctx: AuthContext,
  session: SessionWithOfficer,
): Promise<IssuedSession> {
  const fresh = (await sessionWithOfficer(ctx.db, session.id_hash)) ?? session
  const rotated = await rotateSession(ctx, fresh)
  if (rotated === null) throw new ServerError('AUTH_REQUIRED')
  const renamed = (await sessionWithOfficer(ctx.db, rotated.idHash))!
  return { token: rotated.token, session: await sessionView(ctx, renamed) }
}

/** Options to register a passkey for the session's officer; the challenge stays with it. */
export async function passkeyRegistrationOptions(
  ctx: AuthContext,
  rp: RelyingParty,
  session: SessionWithOfficer,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const options = await beginPasskeyRegistration(ctx, rp, session.officer)
  await setChallenge(ctx.db, session.id_hash, {
    value: options.challenge,
    kind: 'passkey-register',
    expiresAt: ctx.now() + CHALLENGE_LIFETIME,
  })
  return options
}

/** Stores a passkey answering the session's registration challenge. */
export async function registerPasskey(
  ctx: AuthContext,
  rp: RelyingParty,
  session: SessionWithOfficer,
  response: RegistrationResponseJSON,
  name: string,
): Promise<{ passkey: { id: string; name: string }; recoveryCodes: string[] | null }> {
  const challenge = await ctx.db
    .transaction()
    .execute((trx: Transaction<DB>) =>
      takeChallenge(trx, session.id_hash, 'passkey-register', ctx.now()),
    )
  if (challenge === null) throw new ServerError('PASSKEY_CHALLENGE_MISSING')
  return finishPasskeyRegistration(ctx, rp, session.officer, response, challenge, name)
}
