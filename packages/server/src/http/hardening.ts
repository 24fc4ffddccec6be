import { isUtf8 } from 'node:buffer'
import helmet from '@fastify/helmet'
import { assertUniqueNames, jsonPath, ProtocolError } from '@parley/protocol'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ServerError } from '../errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * A JSON body the input layer refused although it could read it as JSON (a duplicate
     * name, U+0000, a lone surrogate, bytes that are not UTF-8 read with replacement), so that
     * a route may still record who tried: the login audits every attempt.
     */
    refusedBody: unknown
  }
}

/** Body limit of login and account routes: a password, a code, a WebAuthn response. */
export const ACCOUNT_BODY_LIMIT = 16 * 1024

/**
 * Body limit of the rest of the officer API: an event is at most 64 KiB canonical, and JSON
 * escapes can make the request that composes it several times larger.
 */
export const OFFICER_BODY_LIMIT = 256 * 1024

/**
 * The Content Security Policy of every response: resources from the node itself only, no
 * inline script or style, no plugins, never framed (clickjacking), forms post home only.
 */
const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
}

/**
 * Security headers (helmet: CSP, HSTS, nosniff, no referrer, frame denial) on every response,
 * a body limit per route (federation keeps the app-wide 4 MiB for event batches, the officer
 * API gets far less), strict JSON bodies and, in front of the officer API, the input layer:
 * media types checked before anything else runs, and no reply kept in a cache.
 * Register before any route.
 */
export async function hardenHttp(app: FastifyInstance): Promise<void> {
  app.decorateRequest('refusedBody', undefined)
  acceptStrictJson(app)
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return
    // Sessions, CSRF tokens and compartment contents must never outlive the reply in a cache.
    reply.header('cache-control', 'no-store')
    assertMediaType(request)
  })
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
  })
  app.addHook('onRoute', (route) => {
    if (route.bodyLimit !== undefined || !route.url.startsWith('/api/')) return
    route.bodyLimit = route.url.startsWith('/api/v1/auth/')
      ? ACCOUNT_BODY_LIMIT
      : OFFICER_BODY_LIMIT
  })
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * What an officer route takes (`MEDIA_TYPE_UNSUPPORTED`, 415): a body as `application/json`,
 * with no `charset` or `charset=utf-8`. A request without a body sends no `Content-Type`, or
 * `application/json`; any other type is refused even when the body is empty, so a `text/plain`
 * form (the cross-site request a browser sends without asking) never reaches a route.
 */
function assertMediaType(request: FastifyRequest): void {
  if (!STATE_CHANGING.has(request.method)) return
  const header = request.headers['content-type']
  if (header === undefined) {
    const length = request.headers['content-length']
    const hasBody =
      request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
    if (hasBody) {
      throw new ServerError('MEDIA_TYPE_UNSUPPORTED', {
        expected: 'application/json',
        received: 'a body without Content-Type',
      })
    }
    return
  }
  const [type = '', ...parameters] = header.split(';')
  const charset = parameters
    .map((parameter) => parameter.trim().split('='))
    .find(([name]) => name?.trim().toLowerCase() === 'charset')?.[1]
  const utf8 = charset === undefined || /^"?utf-8"?$/i.test(charset.trim())
  if (type.trim().toLowerCase() !== 'application/json' || !utf8) {
    throw new ServerError('MEDIA_TYPE_UNSUPPORTED', {
      expected: 'application/json',
      received: header.slice(0, 100),
    })
  }
}

/**
 * JSON bodies as Fastify reads them (it refuses `__proto__` and `constructor.prototype`), and
 * then as Parley does (DESIGN §4.1): bytes that are not UTF-8 are refused, never replaced
 * (`UTF8_INVALID`); a member name twice in one object has no single reading
 * (`JSON_DUPLICATE_NAME`); U+0000 can be neither signed nor stored (`STRING_HAS_NUL`); a lone
 * surrogate is no character at all (`JSON_VALUE_INVALID`, as the protocol's canonical JSON
 * says). The federation API reads its bodies itself, after their signature is checked.
 */
function acceptStrictJson(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer
    // Read with replacement only to learn who tried; the body itself is refused.
    const text = bytes.toString('utf8')
    const invalid = isUtf8(bytes)
      ? null
      : new ProtocolError('UTF8_INVALID', { offset: firstInvalidUtf8(bytes) })
    parse(request, text, (error, value) => {
      if (invalid !== null) {
        if (error === null) request.refusedBody = value
        return done(invalid)
      }
      if (error !== null) return done(error)
      try {
        assertUniqueNames(text)
        // JSON text can only spell U+0000 and lone surrogates as escapes; without one, no
        // string holds them.
        if (/\\u(?:0000|[dD][89a-fA-F])/.test(text)) assertReadableStrings(value)
      } catch (refusal) {
        request.refusedBody = value
        return done(refusal as Error)
      }
      done(null, value)
    })
  })
}

/** The offset of the first byte that does not begin or continue a UTF-8 character. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i]!
    const length =
      lead < 0x80
        ? 1
        : lead >= 0xc2 && lead < 0xe0
          ? 2
          : lead >= 0xe0 && lead < 0xf0
            ? 3
            : lead >= 0xf0 && lead < 0xf5
              ? 4
              : 0
    if (length === 0) return i
    // The smallest prefix the decoder accepts tells where the character fails.
    if (!isUtf8(bytes.subarray(i, i + length))) return i
    i += length
  }
  return i
}

/** A value inside a body, with the way to it (kept as links: a deep body stays linear). */
interface Place {
  readonly value: unknown
  readonly key?: string | number
  readonly up?: Place
}

// Iterative: a body nested thousands deep must get its answer, not overflow the stack.
function assertReadableStrings(body: unknown): void {
  const pending: Place[] = [{ value: body }]
  for (let place = pending.pop(); place !== undefined; place = pending.pop()) {
    const { value } = place
    if (typeof value === 'string') {
      assertReadable(value, place)
    } else if (Array.isArray(value)) {
      value.forEach((item, key) => {
        pending.push({ value: item, key, up: place })
      })
    } else if (value !== null && typeof value === 'object') {
      for (const [key, member] of Object.entries(value)) {
        assertReadable(key, { value: key, key, up: place })
        pending.push({ value: member, key, up: place })
      }
    }
  }
}

function assertReadable(text: string, place: Place): void {
  if (text.includes('\u0000')) throw new ProtocolError('STRING_HAS_NUL', { path: pathOf(place) })
  if (!text.isWellFormed()) {
    throw new ProtocolError('JSON_VALUE_INVALID', {
      path: pathOf(place),
      reason: 'lone surrogate in string',
    })
  }
}

function pathOf(place: Place): string {
  const path: (string | number)[] = []
  for (let at: Place | undefined = place; at?.key !== undefined; at = at.up) path.unshift(at.key)
  return jsonPath(path)
}
