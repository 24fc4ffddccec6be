import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ChannelIdSchema } from '@parley/protocol'
import { Type } from 'typebox'
import type { NodeContext } from '../events/events.service.ts'

/**
 * `GET /api/v1/stream` (WebSocket): every event this node commits from now on, local or
 * received, as `{ "type": "event", "id", "event", "sig" }`, optionally for one channel.
 * Browsers cannot set headers on a WebSocket, so the token may come as `?token=`.
 */
export const streamPlugin: FastifyPluginAsyncTypebox<{ ctx: NodeContext }> = async (
  app,
  { ctx },
) => {
  app.get(
    '/stream',
    {
      websocket: true,
      config: { auth: 'officer' },
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
      const unsubscribe = ctx.hub.subscribe(({ id, signed }) => {
        if (channel !== undefined && signed.event.channel !== channel) return
        if (socket.readyState !== socket.OPEN) return
        socket.send(JSON.stringify({ type: 'event', id, event: signed.event, sig: signed.sig }))
      })
      socket.on('close', unsubscribe)
      socket.on('error', unsubscribe)
    },
  )
}
