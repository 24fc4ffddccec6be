import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { bodySchemas, ChannelIdSchema, PartyIdSchema } from '@parley/protocol'
import { Type } from 'typebox'
import { EventViewSchema } from '../events/event-view.ts'
import type { NodeContext } from '../events/events.service.ts'
import { ComposedResponses, sendComposed } from '../release/release.plugin.ts'
import { compose, type ReleaseContext } from '../release/release.service.ts'
import { timeline } from './messages.service.ts'

const post = bodySchemas['message.post'].properties
const translate = bodySchemas['message.translate'].properties
const closed = { additionalProperties: false } as const

const PostBody = Type.Object({ as: Type.Optional(PartyIdSchema), ...post }, closed)
const TranslateBody = Type.Object({ as: Type.Optional(PartyIdSchema), ...translate }, closed)
const ChannelParams = Type.Object({ channel: ChannelIdSchema })
const composes = {
  auth: 'officer',
  requires: { role: 'drafter', channel: 'params.channel' },
} as const

/**
 * Officer API: post messages and translations, read a channel's timeline. A message the
 * channel policy holds for release waits in the release queue (202) like any composed item.
 */
export const messagesPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  release: ReleaseContext
}> = async (app, { ctx, release }) => {
  const tags = ['messages']
  const security = [{ devToken: [] }]

  app.post(
    '/channels/:channel/messages',
    {
      config: composes,
      schema: {
        tags,
        security,
        params: ChannelParams,
        body: PostBody,
        response: ComposedResponses,
      },
    },
    async (request, reply) => {
      const { as, ...body } = request.body
      const composed = await compose(release, request.officer!, {
        channel: request.params.channel,
        type: 'message.post',
        body,
        ...(as === undefined ? {} : { as }),
      })
      return sendComposed(reply, composed)
    },
  )

  app.post(
    '/channels/:channel/translations',
    {
      config: composes,
      schema: {
        tags,
        security,
        params: ChannelParams,
        body: TranslateBody,
        response: ComposedResponses,
      },
    },
    async (request, reply) => {
      const { as, ...body } = request.body
      const composed = await compose(release, request.officer!, {
        channel: request.params.channel,
        type: 'message.translate',
        body,
        ...(as === undefined ? {} : { as }),
      })
      return sendComposed(reply, composed)
    },
  )

  app.get(
    '/channels/:channel/timeline',
    {
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'params.channel' } },
      schema: {
        tags,
        security,
        params: ChannelParams,
        response: { 200: Type.Object({ events: Type.Array(EventViewSchema) }) },
      },
    },
    async (request) => ({ events: await timeline(ctx, request.params.channel) }),
  )
}
