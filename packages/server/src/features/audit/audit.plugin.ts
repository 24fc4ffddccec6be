import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type AuditRecordView, operations as api } from '@parley/api'
import type { Kysely } from 'kysely'
import { schemaOf } from '../../http/route-schema.ts'
import type { DB } from '../../store/tables.ts'
import { auditPage } from './audit.service.ts'

/**
 * `GET /api/v1/audit`: the local audit log for admins, a page at a time (the newest by default). An admin
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
      const page = await auditPage(db, request.query, party)
      // Entries hold scalar details only: they are hashed as canonical JSON when appended.
      return { entries: page.items as AuditRecordView[], cursors: page.cursors }
    },
  )
}
