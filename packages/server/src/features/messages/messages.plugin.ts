import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { bodySchemas, ChannelIdSchema, PartyIdSchema } from '@parley/protocol'
import { Type } from 'typebox'
import { EventViewSchema, toEventView } from '../events/event-view.ts'
import type { NodeContext } from '../events/events.service.ts'
import { say, timeline } from './messages.service.ts'

const post = bodySchemas['message.post'].properties
const translate = bodySchemas['message.translate'].properties
const closed = { additionalProperties: false } as const

const PostBody = Type.Object({ as: Type.Optional(PartyIdSchema), ...post }, closed)
const TranslateBody = Type.Object({ as: Type.Optional(PartyIdSchema), ...translate }, closed)
const ChannelParams = Type.Object({ channel: ChannelIdSchema })
const Created = Type.Object({ event: EventViewSchema })

/** Officer API: post messages and translations, read a channel's timeline. */
export const messagesPlugin: FastifyPluginAsyncTypebox<{ ctx: NodeContext }> = async (
  app,
  { ctx },
) => {
  const tags = ['messages']
  const security = [{ devToken: [] }]

  app.post(
    '/channels/:channel/messages',
    {
      config: { auth: 'officer' },
      schema: { tags, security, params: ChannelParams, body: PostBody, response: { 201: Created } },
    },
    async (request, reply) => {
      const stored = await say(
        ctx,
        request.officer!.id,
        request.params.channel,
        'message.post',
        request.body,
      )
      return reply.status(201).send({ event: toEventView(stored) })
    },
  )

  app.post(
    '/channels/:channel/translations',
    {
      config: { auth: 'officer' },
      schema: {
        tags,
        security,
        params: ChannelParams,
        body: TranslateBody,
        response: { 201: Created },
      },
    },
    async (request, reply) => {
      const stored = await say(
        ctx,
        request.officer!.id,
        request.params.channel,
        'message.translate',
        request.body,
      )
      return reply.status(201).send({ event: toEventView(stored) })
    },
  )

  app.get(
    '/channels/:channel/timeline',
    {
      config: { auth: 'officer' },
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
