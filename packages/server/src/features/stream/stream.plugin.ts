import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ChannelIdSchema } from '@parley/protocol'
import { Type } from 'typebox'
import { type AccessContext, channelVisibility } from '../access/access.service.ts'
import type { NodeContext } from '../events/events.service.ts'

/**
 * `GET /api/v1/stream` (WebSocket): every event this node commits from now on, local or
 * received, as `{ "type": "event", "id", "event", "sig" }`, optionally for one channel.
 * Browsers cannot set headers on a WebSocket, so the token may come as `?token=`. An officer
 * receives only events of channels in their compartments, checked event by event, so a
 * revoked grant takes effect on an open stream too.
 */
export const streamPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  access: AccessContext
}> = async (app, { ctx, access }) => {
  app.get(
    '/stream',
    {
      websocket: true,
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'query.channel' } },
      schema: {
        tags: ['stream'],
        security: [{ devToken: [] }],
        querystring: Type.Object({
          channel: Type.Optional(ChannelIdSchema),
          token: Type.Optional(Type.String()),
        }),
      },
    },
    (socket, request) => {
      const { channel } = request.query
      const visibility = channelVisibility(access, request.officer!)
      // Checks are asynchronous; chaining them keeps the events in commit order.
      let sending = Promise.resolve()
      const unsubscribe = ctx.hub.subscribe(({ id, signed }) => {
        if (channel !== undefined && signed.event.channel !== channel) return
        sending = sending
          .then(async () => {
            if (!(await visibility.visible(signed.event.channel))) return
            if (socket.readyState !== socket.OPEN) return
            socket.send(JSON.stringify({ type: 'event', id, event: signed.event, sig: signed.sig }))
          })
          .catch((error: unknown) => request.log.warn({ err: error }, 'live stream check failed'))
      })
      const end = () => {
        unsubscribe()
        visibility.close()
      }
      socket.on('close', end)
      socket.on('error', end)
    },
  )
}
