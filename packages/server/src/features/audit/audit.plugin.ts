import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type AuditRecordView, operations as api } from '@parley/api'
import type { Kysely } from 'kysely'
import { schemaOf } from '../../http/route-schema.ts'
import type { DB } from '../../store/tables.ts'
import { listAudit } from './audit.service.ts'

/**
 * `GET /api/v1/audit`: the local audit log for admins, oldest first, paged by seq. An admin
 * sees their own party's entries and the node's failed logins that belong to no party (an
 * unknown username). An API token with the admin role sees what its officer sees.
 */
export const auditPlugin: FastifyPluginAsyncTypebox<{ db: Kysely<DB> }> = async (app, { db }) => {
  app.get(
    api.listAudit.path,
    {
      config: { auth: 'officer', requires: { role: 'admin' } },
      schema: schemaOf(api.listAudit),
    },
    async (request) => {
      const party = request.officer!.party
      const entries = await listAudit(db, {
        after: request.query.after ?? 0,
        limit: request.query.limit ?? 100,
        party,
      })
      // Entries hold scalar details only: they are hashed as canonical JSON when appended.
      return { entries: entries as AuditRecordView[] }
    },
  )
}
