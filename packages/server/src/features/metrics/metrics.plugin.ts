import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { isServerError, ServerError } from '../../errors.ts'
import type { NodeContext } from '../../node/context.ts'
import { hasRole } from '../access/access.service.ts'
import { authenticateToken, type TokensContext } from '../tokens/tokens.service.ts'
import { nodeMetrics } from './metrics.service.ts'

/**
 * `GET /metrics`: the node's Prometheus metrics, for an admin's API token only
 * (`Authorization: Bearer`, `parley officer token create … --scope admin`): they name peers and
 * show traffic, node-wide. Anything else is 401 `METRICS_AUTH_REQUIRED`.
 */
export const metricsPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  tokens: TokensContext
}> = async (app, { ctx, tokens }) => {
  const registry = nodeMetrics(ctx)
  app.get(
    '/metrics',
    { config: { auth: 'public' }, schema: { hide: true } },
    async (request, reply) => {
      const header = request.headers.authorization
      const presented = header?.startsWith('Bearer ') === true ? header.slice(7) : undefined
      if (presented === undefined) throw new ServerError('METRICS_AUTH_REQUIRED')
      const officer = await authenticateToken(tokens, presented).catch((error: unknown) => {
        if (isServerError(error)) throw new ServerError('METRICS_AUTH_REQUIRED')
        throw error
      })
      if (!hasRole(officer.roles, 'admin')) throw new ServerError('METRICS_AUTH_REQUIRED')
      return reply.type(registry.contentType).send(await registry.metrics())
    },
  )
}
