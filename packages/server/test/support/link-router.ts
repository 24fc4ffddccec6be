import type { Socket } from 'node:net'
import { createConnection, createServer } from 'node:net'

// A node has one federation address, and a peer signs `@authority` for it, so every peer must
// dial that same address. To fault one link (A's requests to C) and not another (B's to C),
// this router sits on C's federation address and hands each connection to the fault proxy of
// its sender's link. A federation client signs every request with `keyid="<party>#<n>"`, and a
// keep-alive connection carries one client's requests only, so the first request's headers
// tell whose connection it is.

export interface LinkRouter {
  readonly port: number
  /** `http://127.0.0.1:<port>`: the federation URL peers dial. */
  readonly url: string
  /** Stop listening and destroy every connection. */
  close(): Promise<void>
}

export interface LinkRouterOptions {
  /**
   * Where to send a connection whose first request was signed by `party` (undefined for an
   * unsigned request such as a descriptor fetch).
   */
  readonly route: (party: string | undefined) => { readonly host: string; readonly port: number }
}

// Request headers bigger than this are not federation traffic; route them as unsigned.
const MAX_HEAD_BYTES = 64 * 1024
const KEYID = /keyid="([a-z][a-z0-9-]{1,31})#[1-9][0-9]*"/i

export async function startLinkRouter(options: LinkRouterOptions): Promise<LinkRouter> {
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  }

  const server = createServer({ allowHalfOpen: true }, (client) => {
    track(client)
    client.on('error', () => {})
    let head = Buffer.alloc(0)
    let upstream: Socket | undefined

    const connect = () => {
      client.off('data', onData)
      client.pause()
      const end = head.indexOf('\r\n\r\n')
      const headers = head.subarray(0, end < 0 ? head.length : end).toString('latin1')
      const target = options.route(KEYID.exec(headers)?.[1])
      const up = createConnection({ ...target, allowHalfOpen: true })
      upstream = up
      track(up)
      up.setNoDelay(true)
      up.on('error', () => {})
      // A reset or cut on the link reaches the client as the same thing.
      up.on('close', (hadError) => {
        if (hadError) client.resetAndDestroy()
        else client.end()
      })
      client.on('close', () => up.destroy())
      up.write(head)
      client.pipe(up)
      up.pipe(client)
    }
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      if (head.includes('\r\n\r\n') || head.length >= MAX_HEAD_BYTES) connect()
    }
    client.on('data', onData)
    client.on('end', () => {
      if (upstream === undefined) client.end()
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('router has no address')
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
    },
  }
}
