import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { schemaOf } from '../../http/route-schema.ts'
import { exportTranscript } from '../../ledger/index.ts'
import type { NodeContext } from '../../node/context.ts'

/**
 * Officer API: a channel's transcript, the lines `parley export` writes, so that an officer can
 * verify the channel in the browser without trusting the node. Exported as the officer's own
 * party (the automation credential: the node's first party).
 */
export const transcriptPlugin: FastifyPluginAsyncTypebox<{ ctx: NodeContext }> = async (
  app,
  { ctx },
) => {
  app.get(
    api.getTranscript.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'params.channel' } },
      schema: schemaOf(api.getTranscript),
    },
    async (request) => {
      const party = request.officer?.party ?? [...ctx.identity.parties.keys()][0]!
      const lines: string[] = []
      for await (const line of exportTranscript(ctx.db, request.params.channel, party, ctx.now())) {
        lines.push(line)
      }
      return { transcript: lines.join(''), lines: lines.length }
    },
  )
}
