import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/** Where `packages/console` builds to, beside this package in the workspace. */
export const DEFAULT_CONSOLE_DIR = resolve(import.meta.dirname, '../../../console/dist')

/** Paths that belong to the node itself: never answered with the console's page. */
const NODE_PATHS = /^\/(api|federation|healthz|\.well-known)(\/|$|\?)/

/**
 * Serves the web console's build at `/` when there is one: hashed assets (`/assets/*`) cached
 * for a year as immutable, `index.html` revalidated on every load (`no-cache`) so a new build
 * is picked up at once, and every client route (`/channels/…`, `/admin`) answered with
 * `index.html` so a reload or a shared link opens the right view. Paths of the node's own
 * (`/api/`, `/federation/`, `/healthz`) keep their JSON `NOT_FOUND`. Without a build, `/`
 * answers `NOT_FOUND` as before. The CSP of `hardening.ts` applies unchanged: the build has no
 * inline script or style.
 */
export async function serveConsole(app: FastifyInstance, dir = DEFAULT_CONSOLE_DIR): Promise<void> {
  if (!existsSync(join(dir, 'index.html'))) return
  await app.register(async (scope) => {
    // The page and its assets are public: the sign-in is part of them.
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), auth: 'public' }
    })
    await pages(scope, dir)
  })
}

async function pages(app: FastifyInstance, dir: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: false,
    cacheControl: false,
    globIgnore: ['**/.*'],
    setHeaders: (reply, path) => {
      reply.header(
        'cache-control',
        path.includes(`${join(dir, 'assets')}/`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      )
    },
  })
  const page = (request: { url: string }, reply: import('fastify').FastifyReply) => {
    if (NODE_PATHS.test(request.url)) return reply.callNotFound()
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false })
  }
  // The page is no operation of the officer API: OpenAPI leaves it out.
  const hidden = { schema: { hide: true } }
  app.get('/', hidden, page)
  app.get('/*', hidden, page)
}
