import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { schemaOf } from '../../http/route-schema.ts'
import type { NodeContext } from '../../node/context.ts'
import { markRead } from './read-markers.service.ts'

/** `PUT /channels/:channel/read`: the officer's read marker, for unread counts. */
export const readMarkersPlugin: FastifyPluginAsyncTypebox<{ ctx: NodeContext }> = async (
  app,
  { ctx },
) => {
  app.put(
    api.markRead.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'params.channel' } },
      schema: schemaOf(api.markRead),
    },
    async (request) =>
      markRead(ctx, request.officer!.id, request.params.channel, request.body.upTo),
  )
}
