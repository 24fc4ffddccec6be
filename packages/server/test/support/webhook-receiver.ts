import { createServer, type IncomingHttpHeaders } from 'node:http'
import { reservePort } from './ports.ts'

export interface ReceivedWebhook {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface ScriptedReply {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * A real HTTP receiver on loopback. Each path answers from its script in turn (the last reply
 * repeats), 200 by default, and every request is kept.
 */
export async function startWebhookReceiver(scripts: Record<string, readonly ScriptedReply[]>) {
  const received: ReceivedWebhook[] = []
  const served = new Map<string, number>()
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const path = request.url ?? '/'
      received.push({
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      })
      const script = scripts[path] ?? [{ status: 200 }]
      const n = served.get(path) ?? 0
      served.set(path, n + 1)
      const reply = script[Math.min(n, script.length - 1)] ?? { status: 200 }
      response.writeHead(reply.status, reply.headers ?? {})
      response.end()
    })
  })
  const port = await reservePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
