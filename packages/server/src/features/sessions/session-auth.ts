import { timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ServerError } from '../../errors.ts'
import { ROLES, type Role } from '../officers/officers.service.ts'
import type { RelyingParty } from '../officers/passkeys.ts'
import {
  auditTokenUse,
  authenticateToken,
  redeemTicket,
  TokenUse,
  tokenOfficer,
} from '../tokens/tokens.service.ts'
import type { AuthSettings } from './auth-settings.ts'
import {
  type AuthContext,
  pendingSetup,
  resolveSession,
  resolveSessionHash,
  rotateSession,
  touch,
} from './sessions.service.ts'

/** The one cookie Parley sets (strictly necessary: it is the login). */
export const SESSION_COOKIE = 'parley_session'

/** The header that carries the session's synchronizer token on state-changing requests. */
const CSRF_HEADER = 'x-csrf-token'

/** The officer behind an API call, as `request.officer` holds it. */
export interface RequestOfficer {
  readonly id: string
  /** The officer's party: every call acts for one party, the officer's own. */
  readonly party: string
  /** What this call may do: a session's are the officer's; a token's, its scope of them. */
  readonly roles: readonly Role[]
  /** The session's id hash; null when an API token acts. */
  readonly session: string | null
  /** The id of the API token the call came with, if it came with one. */
  readonly token?: string
  /** Its `token.use` audit entry, when the route's commit is to write it (`tokenUseCommits`). */
  readonly tokenUse?: TokenUse
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * The authentication hook for every route whose `config.auth` is `officer`: resolves the
 * session cookie, an API token (`Authorization: Bearer`) or, for the live stream, a ticket into
 * `request.officer`, checks CSRF and origin on state-changing requests, holds back officers who
 * must still change their password or enrol a second factor (unless the route sets
 * `config.accountSetup`), and rotates the session id after a privilege change. What the
 * officer may then do (`config.requires`) is the access hook's to check.
 */
export function officerAuth(ctx: AuthContext) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const config = request.routeOptions.config
    if ((config.auth ?? 'officer') !== 'officer' || request.is404) return
    const query = request.query as { token?: unknown; ticket?: unknown } | undefined
    // Proxies, browsers and logs keep URLs: a token seen there must be treated as leaked.
    if (query?.token !== undefined) throw new ServerError('TOKEN_IN_URL')
    const bearer = presentedBearer(request)
    if (bearer !== null) {
      const officer = await authenticateToken(ctx, bearer)
      request.officer = officer
      if (SAFE_METHODS.has(request.method)) return
      const use = { method: request.method, route: request.routeOptions.url ?? request.url }
      // The route's commit writes it in its own transaction; `flushTokenUse` if none does.
      if (config.tokenUseCommits === true)
        request.officer = { ...officer, tokenUse: new TokenUse(ctx, officer, use) }
      else await auditTokenUse(ctx, officer, use)
      return
    }
    if (request.ws && typeof query?.ticket === 'string') {
      request.officer = await ticketOfficer(ctx, query.ticket)
      return
    }
    const session = await resolveSession(ctx, request.cookies[SESSION_COOKIE], 'active')
    if (!SAFE_METHODS.has(request.method)) assertCsrf(request, ctx.settings, session.csrf_token)
    // Browsers send cookies with a WebSocket handshake from any page: check who opens it.
    else if (request.ws) assertSameOrigin(request, ctx.settings)
    const setup = pendingSetup(ctx, session)
    if (setup !== null && config.accountSetup !== true) throw new ServerError(setup)
    const roles = ROLES.filter((role) => session.roles.includes(role))
    await touch(ctx, session)
    let idHash = session.id_hash
    if (session.privilege_epoch !== session.officer_epoch && !request.ws) {
      const rotated = await rotateSession(ctx, session)
      if (rotated === null) throw new ServerError('AUTH_REQUIRED')
      setSessionCookie(request, reply, ctx.settings, rotated.token, session.expires_at, ctx.now())
      idHash = rotated.idHash
    }
    request.officer = { id: session.officer, party: session.party, roles, session: idHash }
  }
}

/**
 * The `onSend` hook that writes a call's `token.use` entry before it is answered, when no
 * commit carried it (a refusal, an item queued for release, an error).
 */
export async function flushTokenUse(request: FastifyRequest): Promise<void> {
  await request.officer?.tokenUse?.flush()
}

function presentedBearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization
  if (header === undefined) return null
  return header.startsWith('Bearer ') ? header.slice(7) : ''
}

/**
 * The officer a stream ticket was issued to, as the token or session that asked for it acts
 * now: a token revoked or a session ended since then opens nothing.
 */
async function ticketOfficer(ctx: AuthContext, ticket: string): Promise<RequestOfficer> {
  const row = await redeemTicket(ctx, ticket)
  if (row.token !== null) return tokenOfficer(ctx, row.token)
  const session = await resolveSessionHash(ctx, row.session!, 'active')
  const roles = ROLES.filter((role) => session.roles.includes(role))
  return { id: session.officer, party: session.party, roles, session: session.id_hash }
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The origins allowed to call the officer API: the node's own and those configured. */
function allowedOrigins(request: FastifyRequest, settings: AuthSettings): string[] {
  // A request without a socket (an injected WebSocket upgrade) has no protocol: plain HTTP.
  const own = originOf(`${request.protocol ?? 'http'}://${request.host}`)
  return [...(own === null ? [] : [own]), ...settings.origins.flatMap((o) => originOf(o) ?? [])]
}

// URL serializes an origin the way browsers send it (no default port, lower-case host).
function originOf(text: string): string | null {
  try {
    return new URL(text).origin
  } catch {
    return null
  }
}

/**
 * Refuses a browser request sent from another site: `Sec-Fetch-Site: cross-site`, or an
 * `Origin` that is not one the node serves. Clients that send neither (scripts) pass here and
 * still need the CSRF token.
 */
export function assertSameOrigin(request: FastifyRequest, settings: AuthSettings): void {
  if (request.headers['sec-fetch-site'] === 'cross-site') {
    throw new ServerError('CSRF_INVALID', { reason: 'the browser reports a cross-site request' })
  }
  const origin = request.headers.origin
  if (origin === undefined) return
  const normalized = originOf(origin)
  if (normalized === null || !allowedOrigins(request, settings).includes(normalized)) {
    throw new ServerError('CSRF_INVALID', { reason: `origin ${origin} is not served by this node` })
  }
}

/** Origin check plus the synchronizer token: `x-csrf-token` must equal the session's. */
export function assertCsrf(
  request: FastifyRequest,
  settings: AuthSettings,
  expected: string,
): void {
  assertSameOrigin(request, settings)
  const presented = request.headers[CSRF_HEADER]
  if (typeof presented !== 'string' || presented === '') {
    throw new ServerError('CSRF_INVALID', { reason: `the ${CSRF_HEADER} header is missing` })
  }
  if (!constantTimeEqual(presented, expected)) {
    throw new ServerError('CSRF_INVALID', { reason: `the ${CSRF_HEADER} header is wrong` })
  }
}

/**
 * Sets the session cookie: HttpOnly, SameSite=Strict, Path=/, Secure over TLS (or when the
 * config says so), ending with the session.
 */
export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  settings: AuthSettings,
  token: string,
  expiresAt: number,
  now: number,
): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: settings.secureCookie ?? request.protocol === 'https',
    maxAge: Math.max(0, Math.ceil((expiresAt - now) / 1000)),
  })
}

export function clearSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  settings: AuthSettings,
): void {
  reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: settings.secureCookie ?? request.protocol === 'https',
  })
}

/** The WebAuthn relying party for a request: its host name (or the configured id). */
export function relyingParty(request: FastifyRequest, settings: AuthSettings): RelyingParty {
  return {
    id: settings.webauthnRpId ?? request.hostname,
    name: 'Parley',
    origins: allowedOrigins(request, settings),
  }
}
