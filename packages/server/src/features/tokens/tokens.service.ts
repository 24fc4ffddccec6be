import {
  API_TOKEN_PREFIX,
  type ApiTokenView,
  MAX_TOKEN_LIFETIME_MS,
  ROLES,
  type Role,
  STREAM_TICKET_LIFETIME_MS,
  STREAM_TICKET_PREFIX,
} from '@parley/api'
import { sha256Hex, toBase64Url, utf8 } from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import { ServerError } from '../../errors.ts'
import type { DB } from '../../store/tables.ts'
import { hasRole } from '../access/access.service.ts'
import { type AuditEntry, type AuditTail, appendAudit, audit } from '../audit/audit.service.ts'
import { type Actor, findOfficer } from '../officers/officers.service.ts'
import { randomCrockford } from '../officers/secrets.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'
import {
  insertTicket,
  insertToken,
  markRevoked,
  type TicketRow,
  type TokenRow,
  type TokenWithOfficer,
  takeTicket,
  tokenById,
  tokenBySecretHash,
  tokensOf,
  tokenWithOfficer,
  touchToken,
} from './tokens.repository.ts'

export type { ApiTokenView }

/** What tokens need: the database, the clock, and where the audit log was seen to end. */
export interface TokensContext {
  readonly db: Kysely<DB>
  now(): number
  /** Lets a `token.use` entry go in with one statement (see {@link TokenUse}). */
  readonly auditTail?: AuditTail
}

export interface NewToken {
  readonly scope: readonly Role[]
  readonly expiresAt: number
  readonly label?: string
}

/** 256 random bits as 43 base64url characters, behind a prefix that says what it is. */
function newSecret(prefix: string): string {
  return `${prefix}${toBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`
}

/**
 * The stored form of a token or ticket secret. A plain SHA-256, not a password hash: 256
 * random bits cannot be searched offline however fast the hash, so a slow one would only cost
 * every request time. The domain tag keeps a token's hash from ever being a session's.
 */
function secretHash(kind: 'api-token' | 'stream-ticket', secret: string): Promise<string> {
  return sha256Hex(utf8(`parley/${kind}/v1\n${secret}`))
}

const sortedRoles = (roles: readonly string[]): Role[] => ROLES.filter((r) => roles.includes(r))

function toView(row: TokenRow): ApiTokenView {
  return {
    id: row.id,
    officer: row.officer,
    party: row.party,
    label: row.label,
    scope: sortedRoles(row.scope),
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
  }
}

/**
 * Issues a token for an officer of the actor's party (the operator's CLI: any hosted party's).
 * Its scope must be roles the officer holds (a role ranked below one they hold counts, as it
 * does everywhere: viewer < drafter < releaser < admin), and it must expire, within a year and
 * a day.
 * Returns the secret this once; the node stores only its hash. Audited.
 */
export async function createToken(
  ctx: TokensContext,
  actor: Actor,
  ref: string,
  input: NewToken,
): Promise<{ token: ApiTokenView; secret: string }> {
  const now = ctx.now()
  if (!Number.isSafeInteger(input.expiresAt) || input.expiresAt <= now) {
    throw new ServerError('TOKEN_EXPIRY_INVALID', {
      reason: `${input.expiresAt} is not in the future`,
    })
  }
  if (input.expiresAt - now > MAX_TOKEN_LIFETIME_MS) {
    throw new ServerError('TOKEN_EXPIRY_INVALID', {
      reason: 'a token lives at most 366 days; issue a new one to rotate it',
    })
  }
  const scope = sortedRoles(input.scope)
  if (scope.length === 0) {
    throw new ServerError('TOKEN_SCOPE_INVALID', { reason: 'name at least one role' })
  }
  const secret = newSecret(API_TOKEN_PREFIX)
  const id = `t_${randomCrockford(26)}`
  const hash = await secretHash('api-token', secret)
  await ctx.db.transaction().execute(async (trx) => {
    const officer = await findOfficer(trx, ref, actor.party)
    const held = sortedRoles(officer.roles)
    const beyond = scope.filter((role) => !hasRole(held, role))
    if (beyond.length > 0) {
      throw new ServerError('TOKEN_SCOPE_INVALID', {
        reason: `${officer.username} does not hold ${beyond.join(', ')}`,
      })
    }
    if (officer.disabled_at !== null) {
      throw new ServerError('TOKEN_SCOPE_INVALID', { reason: `${officer.username} is disabled` })
    }
    await insertToken(trx, {
      id,
      secret_hash: hash,
      officer: officer.id,
      party: officer.party,
      label: input.label ?? '',
      scope,
      created_by: actor.officer,
      created_at: now,
      expires_at: input.expiresAt,
      last_used_at: null,
      revoked_by: null,
      revoked_at: null,
    })
    await audit(trx, {
      time: now,
      action: 'token.create',
      officer: actor.officer,
      party: officer.party,
      details: {
        token: id,
        target: officer.id,
        scope: scope.join(','),
        expiresAt: input.expiresAt,
        label: input.label ?? '',
        via: actor.via,
      },
    })
  })
  return { token: toView((await tokenById(ctx.db, id))!), secret }
}

/** An officer's tokens, newest first, revoked and expired ones too. */
export async function listTokens(
  ctx: TokensContext,
  actor: Actor,
  ref: string,
): Promise<ApiTokenView[]> {
  const officer = await findOfficer(ctx.db, ref, actor.party)
  return (await tokensOf(ctx.db, officer.id)).map(toView)
}

/** Revokes a token of the actor's party; revoking it again changes nothing. Audited once. */
export async function revokeToken(
  ctx: TokensContext,
  actor: Actor,
  id: string,
): Promise<ApiTokenView> {
  const now = ctx.now()
  await ctx.db.transaction().execute(async (trx) => {
    const row = await tokenById(trx, id)
    // Another party's token is reported missing, as its officers are.
    if (row === undefined || (actor.party !== null && row.party !== actor.party)) {
      throw new ServerError('TOKEN_NOT_FOUND', { token: id })
    }
    if (row.revoked_at !== null) return
    await markRevoked(trx, id, actor.officer, now)
    await audit(trx, {
      time: now,
      action: 'token.revoke',
      officer: actor.officer,
      party: row.party,
      details: { token: id, target: row.officer, via: actor.via },
    })
  })
  return toView((await tokenById(ctx.db, id))!)
}

/**
 * The officer a token acts as, or why it may not: revoked, expired, or its officer disabled.
 * Its roles are its scope and the officer's current roles both, so an officer who loses a role
 * loses it through every token too.
 */
function actingOfficer(ctx: TokensContext, row: TokenWithOfficer): RequestOfficer {
  if (row.revoked_at !== null) throw new ServerError('TOKEN_REVOKED', { token: row.id })
  if (row.expires_at <= ctx.now()) throw new ServerError('TOKEN_EXPIRED', { token: row.id })
  if (row.officer_disabled_at !== null) {
    throw new ServerError('TOKEN_OFFICER_DISABLED', { token: row.id })
  }
  const held = sortedRoles(row.officer_roles)
  const roles = sortedRoles(row.scope).filter((role) => hasRole(held, role))
  return { id: row.officer, party: row.party, roles, session: null, token: row.id }
}

/** How often a token's `last_used_at` is written at most: once a minute. */
const TOUCH_EVERY_MS = 60_000

/** The officer behind a presented token (`Authorization: Bearer`); notes the use. */
export async function authenticateToken(
  ctx: TokensContext,
  presented: string,
): Promise<RequestOfficer> {
  if (!presented.startsWith(API_TOKEN_PREFIX)) throw new ServerError('TOKEN_INVALID')
  const row = await tokenBySecretHash(ctx.db, await secretHash('api-token', presented))
  if (row === undefined) throw new ServerError('TOKEN_INVALID')
  const officer = actingOfficer(ctx, row)
  // The row just read says whether the use is worth noting: a statement saved on most calls.
  const now = ctx.now()
  if (row.last_used_at === null || row.last_used_at < now - TOUCH_EVERY_MS) {
    await touchToken(ctx.db, row.id, now, TOUCH_EVERY_MS)
  }
  return officer
}

/** The officer a token acts as now, by id: for a live stream opened with it. */
export async function tokenOfficer(ctx: TokensContext, id: string): Promise<RequestOfficer> {
  const row = await tokenWithOfficer(ctx.db, id)
  if (row === undefined) throw new ServerError('TOKEN_REVOKED', { token: id })
  return actingOfficer(ctx, row)
}

/**
 * Records in the audit log that a token was used to change something: the action's own entry
 * names the officer, this one says it came through which token.
 */
export async function auditTokenUse(
  ctx: TokensContext,
  officer: RequestOfficer,
  request: { readonly method: string; readonly route: string },
): Promise<void> {
  await audit(ctx.db, tokenUseEntry(ctx, officer, request))
}

function tokenUseEntry(
  ctx: TokensContext,
  officer: RequestOfficer,
  request: { readonly method: string; readonly route: string },
): AuditEntry {
  return {
    time: ctx.now(),
    action: 'token.use',
    officer: officer.id,
    party: officer.party,
    details: { token: officer.token ?? null, method: request.method, route: request.route },
  }
}

/**
 * The `token.use` entry of a call whose route commits a local event: written in that event's
 * transaction (`write`, one statement once the node knows where its audit log ends), so a post
 * made with a token costs no transaction of its own for it. A call that commits nothing (a
 * refusal, an item queued for release) writes it on its own before it answers (`flush`).
 */
export class TokenUse {
  readonly #ctx: TokensContext
  readonly #entry: AuditEntry
  #written = false

  constructor(
    ctx: TokensContext,
    officer: RequestOfficer,
    request: { readonly method: string; readonly route: string },
  ) {
    this.#ctx = ctx
    this.#entry = tokenUseEntry(ctx, officer, request)
  }

  /** Appends the entry inside `trx`; {@link committed} says that `trx` then committed. */
  async write(trx: Transaction<DB>): Promise<void> {
    if (!this.#written) await this.#append(trx)
  }

  committed(): void {
    this.#written = true
  }

  /**
   * Writes the entry in a transaction of its own, unless a commit carried it already. Tried
   * once: when it fails, the call answers with that error, whose own answer must not try again.
   */
  async flush(): Promise<void> {
    if (this.#written) return
    this.#written = true
    await this.#ctx.db.transaction().execute((trx) => this.#append(trx))
  }

  async #append(trx: Transaction<DB>): Promise<void> {
    const tail = this.#ctx.auditTail
    await (tail === undefined ? audit(trx, this.#entry) : appendAudit(trx, tail, this.#entry))
  }
}

/**
 * A ticket for the live stream, for the officer of a token or a session: the stream then acts
 * with that credential's roles and ends with it. Single use, 30 seconds.
 */
export async function issueTicket(
  ctx: TokensContext,
  officer: RequestOfficer,
): Promise<{ ticket: string; expiresAt: number }> {
  const ticket = newSecret(STREAM_TICKET_PREFIX)
  const expiresAt = ctx.now() + STREAM_TICKET_LIFETIME_MS
  await insertTicket(
    ctx.db,
    {
      ticket_hash: await secretHash('stream-ticket', ticket),
      officer: officer.id,
      token: officer.token ?? null,
      session: officer.token === undefined ? officer.session : null,
      expires_at: expiresAt,
    },
    ctx.now(),
  )
  return { ticket, expiresAt }
}

/**
 * Takes a ticket, once: a second use (or a ticket never issued) is refused, and so is one
 * past its 30 seconds. Returns the credential it was issued for.
 */
export async function redeemTicket(ctx: TokensContext, ticket: string): Promise<TicketRow> {
  const row = ticket.startsWith(STREAM_TICKET_PREFIX)
    ? await takeTicket(ctx.db, await secretHash('stream-ticket', ticket))
    : undefined
  if (row === undefined) {
    throw new ServerError('TICKET_INVALID', { reason: 'unknown, or used already' })
  }
  if (row.expires_at <= ctx.now()) throw new ServerError('TICKET_INVALID', { reason: 'expired' })
  return row
}
