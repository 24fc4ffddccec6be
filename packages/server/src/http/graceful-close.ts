import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'

/**
 * close() lets the requests in flight finish; nothing else may hold it. Node stops enforcing
 * its header and request timeouts once the server closes, so a request still arriving then
 * (a peer cut off mid-request by a partition, a slow-loris) would hold it forever: such a
 * request never reached a handler, and dropping its connection loses nothing. A keep-alive
 * connection whose request was in flight is not idle when close() begins, and would then stay
 * open for as long as its client keeps it (forever, behind a partition): it ends once its
 * answer is out.
 */
export function closeGracefully(app: FastifyInstance): void {
  let closing = false
  const connections = new Set<Socket>()
  const requests = new Map<Socket, FastifyRequest['raw']>()
  app.server.on('connection', (socket: Socket) => {
    connections.add(socket)
    socket.once('close', () => {
      connections.delete(socket)
      requests.delete(socket)
    })
  })
  app.addHook('onRequest', async ({ raw }) => {
    requests.set(raw.socket, raw)
  })
  app.addHook('onResponse', async ({ raw }) => {
    if (requests.get(raw.socket) === raw) requests.delete(raw.socket)
    if (closing) raw.socket.end(() => raw.socket.destroy())
  })
  app.addHook('preClose', async () => {
    closing = true
    for (const socket of connections) {
      if (requests.get(socket)?.complete !== true) socket.destroy()
    }
  })
  // Answers sent meanwhile tell their clients not to send more on the connection.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
}
