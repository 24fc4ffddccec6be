import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { schemaOf } from '../../http/route-schema.ts'
import type { NodeContext } from '../../node/context.ts'
import { exportNoticeStix } from './stix.service.ts'

/** Officer API: an incident notice as a STIX 2.1 bundle, for any officer who sees its channel. */
export const stixPlugin: FastifyPluginAsyncTypebox<{ ctx: NodeContext }> = async (app, { ctx }) => {
  app.get(
    api.exportNoticeStix.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'params.channel' } },
      schema: schemaOf(api.exportNoticeStix),
    },
    async (request) => {
      const { channel, notice } = request.params
      const { bundle, withheldRed, unsupported } = await exportNoticeStix(ctx, channel, notice)
      return { notice, bundle, withheld: { tlpRed: withheldRed, unsupported } }
    },
  )
}
