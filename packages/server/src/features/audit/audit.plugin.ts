import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Kysely } from 'kysely'
import { Type } from 'typebox'
import type { DB } from '../../store/tables.ts'
import { listAudit } from './audit.service.ts'

const AuditRecordSchema = Type.Object({
  seq: Type.Integer(),
  time: Type.Integer(),
  officer: Type.Union([Type.String(), Type.Null()]),
  party: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  prev: Type.Union([Type.String(), Type.Null()]),
  hash: Type.String(),
})

/**
 * `GET /api/v1/audit`: the local audit log for admins, oldest first, paged by seq. An admin
 * sees their own party's entries and the node's failed logins that belong to no party (an
 * unknown username); the automation credential sees the whole log.
 */
export const auditPlugin: FastifyPluginAsyncTypebox<{ db: Kysely<DB> }> = async (app, { db }) => {
  app.get(
    '/audit',
    {
      config: { auth: 'officer', requires: { role: 'admin' } },
      schema: {
        tags: ['audit'],
        security: [{ session: [] }],
        querystring: Type.Object(
          {
            after: Type.Optional(
              Type.Integer({ minimum: 0, description: 'Entries after this seq' }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ entries: Type.Array(AuditRecordSchema) }) },
      },
    },
    async (request) => {
      const party = request.officer!.party
      return {
        entries: await listAudit(db, {
          after: request.query.after ?? 0,
          limit: request.query.limit ?? 100,
          ...(party === null ? {} : { party }),
        }),
      }
    },
  )
}
