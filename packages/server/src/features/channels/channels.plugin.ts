import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { bodySchemas, ChannelIdSchema, PartyIdSchema } from '@parley/protocol'
import { Type } from 'typebox'
import { channelOrThrow } from '../../node/channels.ts'
import type { NodeContext } from '../../node/context.ts'
import { EventViewSchema, toEventView } from '../../node/event-view.ts'
import { actingAs, visibleTo } from '../access/access.service.ts'
import type { ComposeContext } from '../compose/compose.service.ts'
import { channelsOfNode, joinChannel, openChannel } from './channels.service.ts'

const ChannelSchema = Type.Object({
  id: ChannelIdSchema,
  title: Type.String(),
  creator: PartyIdSchema,
  genesisId: Type.String(),
  status: Type.Union([Type.Literal('invited'), Type.Literal('active')]),
  createdAt: Type.Integer(),
  policy: Type.Unknown(),
  members: Type.Array(
    Type.Object({
      party: PartyIdSchema,
      role: Type.Union([Type.Literal('member'), Type.Literal('observer')]),
      joined: Type.Boolean(),
    }),
  ),
})

const createBody = bodySchemas['channel.create']
const CreateChannelBody = Type.Object(
  {
    as: Type.Optional(PartyIdSchema),
    title: createBody.properties.title,
    members: createBody.properties.members,
    observers: Type.Optional(createBody.properties.observers),
    policy: createBody.properties.policy,
  },
  { additionalProperties: false },
)
const AsBody = Type.Object({ as: Type.Optional(PartyIdSchema) }, { additionalProperties: false })
const ChannelParams = Type.Object({ channel: ChannelIdSchema })

/**
 * Officer API: open channels, list them, and accept invitations. An officer sees only the
 * channels of their compartments.
 */
export const channelsPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  compose: ComposeContext
}> = async (app, { ctx, compose }) => {
  const tags = ['channels']
  const security = [{ devToken: [] }]

  app.get(
    '/channels',
    {
      config: { auth: 'officer', requires: { role: 'viewer' } },
      schema: {
        tags,
        security,
        response: { 200: Type.Object({ channels: Type.Array(ChannelSchema) }) },
      },
    },
    async (request) => ({
      channels: await visibleTo(ctx.db, request.officer!, await channelsOfNode(ctx), (c) => c.id),
    }),
  )

  app.post(
    '/channels',
    {
      config: { auth: 'officer', requires: { role: 'drafter' } },
      schema: {
        tags,
        security,
        body: CreateChannelBody,
        response: { 201: Type.Object({ channel: ChannelSchema, event: EventViewSchema }) },
      },
    },
    async (request, reply) => {
      const { observers = [], ...rest } = request.body
      const created = await openChannel(compose, request.officer!, { ...rest, observers })
      return reply.status(201).send({ channel: created.channel, event: toEventView(created.event) })
    },
  )

  app.get(
    '/channels/:channel',
    {
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'params.channel' } },
      schema: { tags, security, params: ChannelParams, response: { 200: ChannelSchema } },
    },
    async (request) => channelOrThrow(ctx, request.params.channel),
  )

  app.post(
    '/channels/:channel/join',
    {
      config: { auth: 'officer', requires: { role: 'drafter', channel: 'params.channel' } },
      schema: {
        tags,
        security,
        params: ChannelParams,
        body: AsBody,
        response: { 201: Type.Object({ event: EventViewSchema }) },
      },
    },
    async (request, reply) => {
      const event = await joinChannel(
        ctx,
        request.officer!.id,
        request.params.channel,
        actingAs(request.officer!, request.body.as),
      )
      return reply.status(201).send({ event: toEventView(event) })
    },
  )
}
