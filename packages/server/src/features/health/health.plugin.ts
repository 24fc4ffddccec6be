import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'kysely'
import { Type } from 'typebox'
import { ServerError } from '../../errors.ts'
import { CONNECTION_ERRORS, errorResponses } from '../../http/route-schema.ts'
import { DATABASE_RETRY_AFTER_S } from '../../store/database-errors.ts'

const HealthSchema = Type.Object({
  status: Type.Literal('ok'),
  node: Type.String(),
  parties: Type.Array(Type.String()),
})

/** `GET /healthz`: 200 when the node can reach its database, 503 otherwise. */
export const healthPlugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['health'],
        response: {
          200: HealthSchema,
          ...errorResponses([...CONNECTION_ERRORS, 'DATABASE_UNAVAILABLE']),
        },
      },
    },
    async () => {
      try {
        await sql`select 1`.execute(app.db)
      } catch (error) {
        // With Retry-After, as every other 503 of a lost database: a probe knows when to ask again.
        throw new ServerError('DATABASE_UNAVAILABLE', {
          reason: (error as Error).message,
          retryAfter: DATABASE_RETRY_AFTER_S,
        })
      }
      return {
        status: 'ok' as const,
        node: app.identity.node,
        parties: [...app.identity.parties.keys()],
      }
    },
  )
}
