import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { ServerError } from '../../errors.ts'
import { schemaOf } from '../../http/route-schema.ts'
import type { NodeContext } from '../../node/context.ts'
import { type AccessContext, assertChannelAccess } from '../access/access.service.ts'
import {
  channelOfPublication,
  publicationsPage,
  publish,
  withdraw,
} from './publications.service.ts'

/**
 * Officer API: a party's publications on its node's public portal. Releasers and admins
 * publish and withdraw, in the channels of their compartments; every change is audited.
 */
export const portalPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  access: AccessContext
}> = async (app, { ctx, access }) => {
  app.get(
    api.listPublications.path,
    {
      config: { auth: 'officer', requires: { role: 'releaser' } },
      schema: schemaOf(api.listPublications),
    },
    (request) => publicationsPage(ctx, request.officer!, request.query),
  )

  app.post(
    api.publish.path,
    {
      // The channel is in the body, read after the access hook: checked in the handler.
      config: { auth: 'officer', requires: { role: 'releaser' } },
      schema: schemaOf(api.publish),
    },
    async (request, reply) => {
      await assertChannelAccess(access, request.officer!, request.body.channel)
      return reply.status(201).send(await publish(ctx, request.officer!, request.body))
    },
  )

  const notFound = (request: { params: unknown }) =>
    new ServerError('PUBLICATION_NOT_FOUND', {
      publication: (request.params as { publication: string }).publication,
    })
  app.delete(
    api.withdrawPublication.path,
    {
      config: {
        auth: 'officer',
        requires: {
          role: 'releaser',
          channel: (request: { params: unknown }) =>
            channelOfPublication(ctx, (request.params as { publication: string }).publication),
          // A publication in a compartment the officer is outside of is answered as none.
          hidden: notFound,
        },
      },
      schema: schemaOf(api.withdrawPublication),
    },
    (request) => withdraw(ctx, request.officer!, request.params.publication),
  )
}
