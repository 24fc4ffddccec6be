import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import { ServerError } from '../../errors.ts'
import { schemaOf } from '../../http/route-schema.ts'
import {
  type AccessContext,
  accessList,
  assertChannelAccess,
  type ChannelLocator,
  compartments,
  grantAccess,
  hasRole,
  mayAccessChannel,
  type Requirement,
  revokeAccess,
} from './access.service.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What an officer needs to call the route (role, channel compartment); see `Requirement`. */
    requires?: Requirement
  }
}

/** An officer route as registered, with what it declares it needs. */
export interface DeclaredRoute {
  readonly method: string
  readonly url: string
  readonly requires: Requirement | undefined
  readonly websocket: boolean
}

const registered = new WeakMap<object, RouteOptions[]>()

/**
 * Installs access control on the app: the one hook that checks every officer route's
 * `requires` (after the session hook resolved `request.officer`), and a check at start-up that
 * no officer route forgot to declare one. Call it after the session hook is added and before
 * any route is registered.
 */
export function enforceAccess(app: FastifyInstance, ctx: AccessContext): void {
  const routes: RouteOptions[] = []
  registered.set(app, routes)
  app.addHook('onRoute', (route) => {
    routes.push(route)
  })
  // Checked once every plugin has run: a plugin may mark its routes public after this hook saw them.
  app.addHook('onReady', async () => {
    const undeclared = officerRoutes(app).filter((route) => route.requires === undefined)
    if (undeclared.length > 0) {
      const names = undeclared.map((route) => `${route.method} ${route.url}`).join(', ')
      throw new Error(`officer routes must declare config.requires: ${names}`)
    }
  })
  app.addHook('onRequest', authorize(ctx))
}

/** Every officer route of an app built with {@link enforceAccess} (HEAD twins left out). */
export function officerRoutes(app: FastifyInstance): DeclaredRoute[] {
  const routes = registered.get(app) ?? []
  return routes.flatMap((route) => {
    if ((route.config?.auth ?? 'officer') !== 'officer') return []
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    return methods
      .filter((method) => method !== 'HEAD')
      .map((method) => ({
        method,
        url: route.url,
        requires: route.config?.requires,
        websocket: (route as { websocket?: boolean }).websocket === true,
      }))
  })
}

/**
 * The authorization hook. Role first (it needs no lookup), then the channel: an officer
 * outside the channel's compartment learns nothing about it, not even whether it exists, and
 * nothing about a resource inside it (`requires.hidden`: the resource's own not-found answer).
 */
function authorize(ctx: AccessContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const config = request.routeOptions.config
    if ((config.auth ?? 'officer') !== 'officer' || request.is404) return
    const officer = request.officer
    const requires = config.requires
    // Unreachable after the start-up check and the session hook; refuse rather than assume.
    if (officer === null || requires === undefined) throw new ServerError('INTERNAL')
    if (!hasRole(officer.roles, requires.role)) {
      throw new ServerError('FORBIDDEN_ROLE', { role: requires.role })
    }
    if (requires.channel === undefined) return
    const channel = await locateChannel(request, requires.channel)
    if (channel === undefined) return
    if (requires.hidden !== undefined) {
      if (!(await mayAccessChannel(ctx, officer, channel, requires.scope))) {
        throw requires.hidden(request)
      }
      return
    }
    await assertChannelAccess(ctx, officer, channel, requires.scope)
  }
}

async function locateChannel(
  request: FastifyRequest,
  locator: ChannelLocator,
): Promise<string | undefined> {
  if (typeof locator === 'function') return locator(request)
  const [where, name] = locator.split('.') as ['params' | 'query', string]
  const source = (where === 'params' ? request.params : request.query) as
    | Record<string, unknown>
    | undefined
  const value = source?.[name]
  if (value === undefined && where === 'query') return undefined
  // Validation runs after this hook: anything but one string is refused here, never guessed at.
  if (typeof value !== 'string') {
    throw new ServerError('REQUEST_INVALID', { reason: `${locator} must be one channel id` })
  }
  return value
}

/**
 * Compartments for admins: which officers of their party may see each channel. An admin
 * manages the lists of every channel their party takes part in, without being on them.
 */
export const accessPlugin: FastifyPluginAsyncTypebox<{
  access: AccessContext
  hosted: readonly string[]
}> = async (app, { access, hosted }) => {
  const manage = {
    auth: 'officer',
    requires: { role: 'admin', channel: 'params.channel', scope: 'party' },
  } as const

  app.get(
    api.listCompartments.path,
    {
      config: { auth: 'officer', requires: { role: 'admin' } },
      schema: schemaOf(api.listCompartments),
    },
    async (request) => {
      const page = await compartments(access, request.officer!, hosted, request.query)
      return { channels: page.items, cursors: page.cursors }
    },
  )

  app.get(
    api.getAccessList.path,
    {
      config: manage,
      schema: schemaOf(api.getAccessList),
    },
    async (request) => {
      const page = await accessList(access, request.officer!, request.params.channel, request.query)
      return { officers: page.items, cursors: page.cursors }
    },
  )

  app.put(
    api.grantAccess.path,
    {
      config: manage,
      schema: schemaOf(api.grantAccess),
    },
    (request) =>
      grantAccess(access, request.officer!, request.params.channel, request.params.officer),
  )

  app.delete(
    api.revokeAccess.path,
    {
      config: manage,
      schema: schemaOf(api.revokeAccess),
    },
    async (request, reply) => {
      await revokeAccess(access, request.officer!, request.params.channel, request.params.officer)
      return reply.status(204).send()
    },
  )
}
