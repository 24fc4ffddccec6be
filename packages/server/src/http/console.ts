import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** Where `packages/console` builds to, beside this package in the workspace. */
export const DEFAULT_CONSOLE_DIR = resolve(import.meta.dirname, '../../../console/dist')

/** Paths that belong to the node itself: never answered with the console's page. */
const NODE_PATHS = /^\/(api|federation|healthz|public|\.well-known)(\/|$|\?)/
const ROOT_FILE = /^[\w-]+(\.[\w-]+)+$/

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
  // Read at request time, not listed at start: a build made while the node runs is served.
  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/assets/',
    index: false,
    cacheControl: false,
    // Also called for the page's own sendFile below, which must revalidate.
    setHeaders: (reply, path) => {
      const asset = path.startsWith(`${join(dir, 'assets')}/`)
      reply.header('cache-control', asset ? 'public, max-age=31536000, immutable' : 'no-cache')
    },
  })
  const page = (request: FastifyRequest, reply: FastifyReply) => {
    if (NODE_PATHS.test(request.url)) return reply.callNotFound()
    // A file of the build's top folder (favicon.svg), never a dot file; else the page itself.
    const name = request.url.split('?')[0]!.slice(1)
    const file = ROOT_FILE.test(name) && existsSync(join(dir, name)) ? name : 'index.html'
    return reply.header('cache-control', 'no-cache').sendFile(file, dir, { cacheControl: false })
  }
  // The page is no operation of the officer API: OpenAPI leaves it out.
  const hidden = { schema: { hide: true } }
  app.get('/', hidden, page)
  app.get('/*', hidden, page)
}
