import helmet from '@fastify/helmet'
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
 * and a body limit per route: federation keeps the app-wide 4 MiB for event batches, the
 * officer API gets far less. Register before any route.
 */
export async function hardenHttp(app: FastifyInstance): Promise<void> {
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
