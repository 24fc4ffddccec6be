import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ChannelIdSchema, PartyIdSchema } from '@parley/protocol'
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { EventViewSchema, toEventView } from '../../node/event-view.ts'
import { COMPOSABLE_TYPES, type ComposeContext, type Composed, compose } from './compose.service.ts'
import { ReleaseSchema } from './release-view.ts'

/** The reply to a composition: 201 with the event, or 202 with the item waiting for release. */
export const ComposedResponses = {
  201: Type.Object({ event: EventViewSchema }),
  202: Type.Object({ release: ReleaseSchema }),
}

/** Sends a composition's outcome as {@link ComposedResponses} describes. */
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
  const tags = ['release']
  const security = [{ session: [] }]

  app.post(
    '/channels/:channel/compose',
    {
      config: { auth: 'officer', requires: { role: 'drafter', channel: 'params.channel' } },
      schema: {
        tags,
        security,
        summary:
          'Compose a v1 item; it is signed at once, or waits for a releaser when the channel policy says so',
        params: Type.Object({ channel: ChannelIdSchema }),
        body: Type.Object(
          {
            as: Type.Optional(PartyIdSchema),
            type: Type.Union(COMPOSABLE_TYPES.map((type) => Type.Literal(type))),
            body: Type.Object({}, { additionalProperties: true }),
          },
          { additionalProperties: false },
        ),
        response: ComposedResponses,
      },
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
