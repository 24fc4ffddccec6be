import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import type { FastifyRequest } from 'fastify'
import { schemaOf } from '../../http/route-schema.ts'
import {
  type Actor,
  createOfficer,
  disableOfficer,
  enableOfficer,
  type OfficersContext,
  officerPage,
  resetPassword,
  setRoles,
} from './officers.service.ts'

/**
 * Officer management for admins (`/api/v1/officers`): an admin manages the officers of their
 * own party only (the operator's CLI manages every hosted party's).
 */
export const officersPlugin: FastifyPluginAsyncTypebox<{ officers: OfficersContext }> = async (
  app,
  { officers: ctx },
) => {
  const config = { auth: 'officer', requires: { role: 'admin' } } as const
  const actor = (request: FastifyRequest): Actor => ({
    officer: request.officer!.id,
    party: request.officer!.party,
    via: 'api',
  })

  app.get(
    api.listOfficers.path,
    {
      config,
      schema: schemaOf(api.listOfficers),
    },
    async (request) => {
      const page = await officerPage(ctx, request.officer!.party, request.query)
      return { officers: page.items, cursors: page.cursors }
    },
  )

  app.post(
    api.createOfficer.path,
    {
      config,
      schema: schemaOf(api.createOfficer),
    },
    async (request, reply) => {
      const { party: named, ...rest } = request.body
      const party = named ?? request.officer!.party
      const created = await createOfficer(ctx, actor(request), { ...rest, party })
      return reply.status(201).send(created)
    },
  )

  app.put(
    api.setOfficerRoles.path,
    {
      config,
      schema: schemaOf(api.setOfficerRoles),
    },
    (request) => setRoles(ctx, actor(request), request.params.officer, request.body.roles),
  )

  app.post(
    api.disableOfficer.path,
    {
      config,
      schema: schemaOf(api.disableOfficer),
    },
    (request) => disableOfficer(ctx, actor(request), request.params.officer),
  )

  app.post(
    api.enableOfficer.path,
    {
      config,
      schema: schemaOf(api.enableOfficer),
    },
    (request) => enableOfficer(ctx, actor(request), request.params.officer),
  )

  app.post(
    api.resetOfficerPassword.path,
    {
      config,
      schema: schemaOf(api.resetOfficerPassword),
    },
    (request) =>
      resetPassword(ctx, actor(request), request.params.officer, {
        clearFactors: request.body.clearFactors === true,
      }),
  )
}
