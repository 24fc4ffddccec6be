import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { schemaOf } from '../../http/route-schema.ts'
import { channelOrThrow } from '../../node/channels.ts'
import type { NodeContext } from '../../node/context.ts'
import { toEventView } from '../../node/event-view.ts'
import { actingAs } from '../access/access.service.ts'
import type { ComposeContext } from '../compose/compose.service.ts'
import { withUnread } from '../read-markers/read-markers.service.ts'
import { channelPage, joinChannel, openChannel } from './channels.service.ts'
import { channelPolicy } from './presets.ts'

/**
 * Officer API: open channels, list them, and accept invitations. An officer sees only the
 * channels of their compartments.
 */
export const channelsPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  compose: ComposeContext
}> = async (app, { ctx, compose }) => {
  app.get(
    api.listChannels.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer' } },
      schema: schemaOf(api.listChannels),
    },
    async (request) => {
      const page = await channelPage(ctx, request.officer!, request.query)
      return {
        channels: await withUnread(ctx, request.officer!.id, page.items),
        cursors: page.cursors,
      }
    },
  )

  app.post(
    api.openChannel.path,
    {
      config: { auth: 'officer', requires: { role: 'drafter' } },
      schema: schemaOf(api.openChannel),
    },
    async (request, reply) => {
      const { observers = [], preset, policy, ...rest } = request.body
      const chosen = channelPolicy(compose.floor, preset, policy)
      const created = await openChannel(compose, request.officer!, {
        ...rest,
        observers,
        ...(chosen === undefined ? {} : { policy: chosen }),
      })
      return reply.status(201).send({ channel: created.channel, event: toEventView(created.event) })
    },
  )

  app.get(
    api.getChannel.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'params.channel' } },
      schema: schemaOf(api.getChannel),
    },
    async (request) =>
      (
        await withUnread(ctx, request.officer!.id, [
          await channelOrThrow(ctx, request.params.channel),
        ])
      )[0]!,
  )

  app.post(
    api.joinChannel.path,
    {
      config: { auth: 'officer', requires: { role: 'drafter', channel: 'params.channel' } },
      schema: schemaOf(api.joinChannel),
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
