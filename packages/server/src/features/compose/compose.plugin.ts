import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import type { FastifyReply } from 'fastify'
import { schemaOf } from '../../http/route-schema.ts'
import { toEventView } from '../../node/event-view.ts'
import { type ComposeContext, type Composed, compose } from './compose.service.ts'

/** Sends a composition's outcome as `ComposedResponses` of `@parley/api` describes. */
export function sendComposed(reply: FastifyReply, composed: Composed) {
  return composed.status === 'released'
    ? reply.status(201).send({ event: toEventView(composed.event) })
    : reply.status(202).send({ release: composed.release })
}

/** Officer API: compose an item of any v1 type in a channel. */
export const composePlugin: FastifyPluginAsyncTypebox<{ compose: ComposeContext }> = async (
  app,
  { compose: ctx },
) => {
  app.post(
    api.compose.path,
    {
      config: {
        auth: 'officer',
        requires: { role: 'drafter', channel: 'params.channel' },
        tokenUseCommits: true,
      },
      schema: schemaOf(api.compose),
    },
    async (request, reply) => {
      const { as, type, body } = request.body
      const composed = await compose(ctx, request.officer!, {
        channel: request.params.channel,
        type,
        body,
        ...(as === undefined ? {} : { as }),
      })
      return sendComposed(reply, composed)
    },
  )
}
