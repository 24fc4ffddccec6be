import { timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ServerError } from '../../errors.ts'
import type { NodeContext } from '../../node/context.ts'
import { nodeMetrics } from './metrics.service.ts'

/**
 * `GET /metrics`: the node's Prometheus metrics, for the operator's credential only (the
 * automation token, `Authorization: Bearer`): they name peers and show traffic. A node without
 * that token serves no metrics (401 `METRICS_AUTH_REQUIRED`).
 */
export const metricsPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  token: string | undefined
}> = async (app, { ctx, token }) => {
  const registry = nodeMetrics(ctx)
  app.get(
    '/metrics',
    { config: { auth: 'public' }, schema: { hide: true } },
    async (request, reply) => {
      const header = request.headers.authorization
      const presented = header?.startsWith('Bearer ') === true ? header.slice(7) : undefined
      if (token === undefined || presented === undefined || !same(presented, token)) {
        throw new ServerError('METRICS_AUTH_REQUIRED')
      }
      return reply.type(registry.contentType).send(await registry.metrics())
    },
  )
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
