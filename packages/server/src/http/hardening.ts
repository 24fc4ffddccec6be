import helmet from '@fastify/helmet'
import { assertUniqueNames, jsonPath, ProtocolError } from '@parley/protocol'
import type { FastifyInstance } from 'fastify'

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
export const CONTENT_SECURITY_POLICY = {
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
 * API gets far less) and strict JSON bodies. Register before any route.
 */
export async function hardenHttp(app: FastifyInstance): Promise<void> {
  acceptStrictJson(app)
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

/**
 * JSON bodies as Fastify reads them (it refuses `__proto__` and `constructor.prototype`), and
 * then as Parley does (DESIGN §4.1): a member name twice in one object has no single reading
 * (`JSON_DUPLICATE_NAME`), and U+0000 can be neither signed nor stored (`STRING_HAS_NUL`).
 * The federation API reads its bodies itself, after their signature is checked.
 */
function acceptStrictJson(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string
    parse(request, text, (error, value) => {
      if (error !== null) return done(error)
      try {
        assertUniqueNames(text)
        // JSON text can only spell U+0000 as an escape; without one, no string holds it.
        if (text.includes('\\u0000')) assertNoNul(value)
      } catch (refusal) {
        return done(refusal as Error)
      }
      done(null, value)
    })
  })
}

/** A value inside a body, with the way to it (kept as links: a deep body stays linear). */
interface Place {
  readonly value: unknown
  readonly key?: string | number
  readonly up?: Place
}

// Iterative: a body nested thousands deep must get its answer, not overflow the stack.
function assertNoNul(body: unknown): void {
  const pending: Place[] = [{ value: body }]
  for (let place = pending.pop(); place !== undefined; place = pending.pop()) {
    const { value } = place
    if (typeof value === 'string') {
      if (value.includes('\u0000')) throw nulAt(place)
    } else if (Array.isArray(value)) {
      value.forEach((item, key) => {
        pending.push({ value: item, key, up: place })
      })
    } else if (value !== null && typeof value === 'object') {
      for (const [key, member] of Object.entries(value)) {
        if (key.includes('\u0000')) throw nulAt({ value: key, key, up: place })
        pending.push({ value: member, key, up: place })
      }
    }
  }
}

function nulAt(place: Place): ProtocolError {
  const path: (string | number)[] = []
  for (let at: Place | undefined = place; at?.key !== undefined; at = at.up) path.unshift(at.key)
  return new ProtocolError('STRING_HAS_NUL', { path: jsonPath(path) })
}
