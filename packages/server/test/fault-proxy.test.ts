import { createHash } from 'node:crypto'
import { once } from 'node:events'
import type { Server, ServerOptions } from 'node:http'
import { createServer, request } from 'node:http'
import { connect } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FaultProxy } from './support/fault-proxy.ts'
import { startFaultProxy } from './support/fault-proxy.ts'

const MiB = 1024 * 1024
// Fixed bytes, so a failure reproduces exactly.
const bigBody = Buffer.from(Uint8Array.from({ length: MiB }, (_, i) => (i * 31 + (i >> 9)) & 0xff))

interface Target {
  readonly server: Server
  readonly port: number
  connections: number
  requests: number
}

async function startTarget(options: ServerOptions = {}): Promise<Target> {
  const server = createServer(options, (req, res) => {
    target.requests++
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': String(bigBody.length) })
      res.end(bigBody)
    } else if (req.url === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      req.pipe(res)
    } else if (req.url === '/slow') {
      // Half a body, then nothing: the response is in flight until the test ends it.
      res.writeHead(200, { 'content-length': '100' })
      res.write('x'.repeat(50))
    } else {
      req.resume()
      res.end('hello')
    }
  })
  const target = { server, port: 0, connections: 0, requests: 0 }
  server.on('connection', () => {
    target.connections++
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  target.port = address.port
  return target
}

async function stopTarget(target: Target): Promise<void> {
  target.server.closeAllConnections()
  await new Promise((resolve) => target.server.close(resolve))
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Everything a raw client receives for one request, until the proxy closes the connection. */
async function rawExchange(port: number, requestText: string): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', () => {})
  socket.write(requestText)
  await once(socket, 'close')
  return Buffer.concat(chunks)
}

let target: Target
let proxy: FaultProxy

beforeEach(async () => {
  target = await startTarget()
  proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: target.port } })
})

afterEach(async () => {
  await proxy.close()
  await stopTarget(target)
})

describe('pass', () => {
  it('returns a 1 MiB response byte for byte', async () => {
    const res = await fetch(`${proxy.url}/big`)
    const body = new Uint8Array(await res.arrayBuffer())

    expect(res.status).toBe(200)
    expect(body.length).toBe(MiB)
    expect(sha256(body)).toBe(sha256(bigBody))
    expect(proxy.stats()).toMatchObject({ connections: 1, refused: 0, bytesDiscarded: 0 })
    expect(proxy.stats().bytesToClient).toBeGreaterThan(MiB)
    expect(proxy.stats().bytesToTarget).toBeGreaterThan(0)
  })

  it('carries a 1 MiB request body to the target and back unchanged', async () => {
    const res = await fetch(`${proxy.url}/echo`, { method: 'POST', body: bigBody })
    const body = new Uint8Array(await res.arrayBuffer())

    expect(sha256(body)).toBe(sha256(bigBody))
    expect(proxy.stats().bytesToTarget).toBeGreaterThan(MiB)
  })
})

describe('drop', () => {
  it('makes a request on a new connection time out, and the target never hears of it', async () => {
    proxy.drop()

    const attempt = fetch(`${proxy.url}/hello`, { signal: AbortSignal.timeout(300) })

    await expect(attempt).rejects.toThrow(/timeout/i)
    expect(target.connections).toBe(0)
    expect(proxy.stats().bytesToTarget).toBe(0)
    expect(proxy.stats().bytesDiscarded).toBeGreaterThan(0)
  })

  it('swallows a request on a pooled keep-alive connection', async () => {
    expect(await (await fetch(`${proxy.url}/hello`)).text()).toBe('hello')
    proxy.drop()

    const attempt = fetch(`${proxy.url}/hello`, { signal: AbortSignal.timeout(300) })

    await expect(attempt).rejects.toThrow(/timeout/i)
    expect(target.requests).toBe(1)
  })

  it('keeps holding a connection that lost bytes, even after pass()', async () => {
    const socket = connect(proxy.port, '127.0.0.1')
    socket.on('error', () => {})
    socket.write('GET /hello HTTP/1.1\r\nhost: proxy\r\n\r\n')
    await once(socket, 'data')
    const received: Buffer[] = []
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    proxy.drop()
    const head = 'GET /hello HTTP/1.1\r\n'
    socket.write(head)
    await until(() => proxy.stats().bytesDiscarded === head.length)
    proxy.pass()

    const tail = 'host: proxy\r\n\r\n'
    socket.write(tail)
    await until(() => proxy.stats().bytesDiscarded === head.length + tail.length)

    // Forwarding the tail alone would reach the target as a garbled request.
    expect(received).toEqual([])
    expect(target.requests).toBe(1)
    expect(proxy.stats().open).toBe(1)
    socket.destroy()
  })

  it('lets requests through again after pass()', async () => {
    proxy.drop()
    await expect(
      fetch(`${proxy.url}/hello`, { signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow()
    proxy.pass()

    const res = await fetch(`${proxy.url}/hello`, { signal: AbortSignal.timeout(5000) })

    expect(await res.text()).toBe('hello')
    expect(target.requests).toBe(1)
  })
})

describe('refuse', () => {
  it('fails a new connection at once, without reaching the target', async () => {
    proxy.refuse()
    const started = performance.now()

    await expect(
      fetch(`${proxy.url}/hello`, { signal: AbortSignal.timeout(5000) }),
    ).rejects.toThrow(/fetch failed/)

    expect(performance.now() - started).toBeLessThan(2000)
    expect(target.connections).toBe(0)
    expect(proxy.stats()).toMatchObject({ refused: 1, open: 0 })
  })

  it('accepts connections again after pass()', async () => {
    proxy.refuse()
    await expect(fetch(`${proxy.url}/hello`)).rejects.toThrow()
    proxy.pass()

    expect(await (await fetch(`${proxy.url}/hello`)).text()).toBe('hello')
  })
})

describe('delay', () => {
  it('adds at least the delay in each direction to a round trip', async () => {
    await (await fetch(`${proxy.url}/hello`)).text()
    proxy.delay(100)
    const started = performance.now()

    const text = await (await fetch(`${proxy.url}/hello`)).text()

    expect(text).toBe('hello')
    expect(performance.now() - started).toBeGreaterThanOrEqual(200)
  })

  it('keeps bytes in order while the mode flips mid-stream', async () => {
    const pieces = Array.from({ length: 48 }, (_, i) =>
      bigBody.subarray(i * 16 * 1024, (i + 1) * 16 * 1024),
    )
    const req = request(`${proxy.url}/echo`, { method: 'POST' })
    const response = once(req, 'response')
    const modes = [() => proxy.delay(30), () => proxy.pass(), () => proxy.delay(5)]
    for (const [i, piece] of pieces.entries()) {
      modes[i % modes.length]!()
      req.write(piece)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    req.end()
    const [res] = await response
    const chunks: Buffer[] = []
    for await (const chunk of res) chunks.push(chunk)

    expect(sha256(Buffer.concat(chunks))).toBe(sha256(Buffer.concat(pieces)))
  })
})

describe('cutResponseAfter', () => {
  it('delivers exactly the allowed bytes of the response, then closes', async () => {
    proxy.cutResponseAfter(1000)

    const received = await rawExchange(
      proxy.port,
      'GET /big HTTP/1.1\r\nhost: proxy\r\nconnection: close\r\n\r\n',
    )

    expect(received.length).toBe(1000)
    expect(received.subarray(0, 15).toString()).toBe('HTTP/1.1 200 OK')
    expect(target.requests).toBe(1)
    expect(proxy.stats().open).toBe(0)
  })

  it('gives fetch the status line and then a truncated body error', async () => {
    proxy.cutResponseAfter(4096)

    const res = await fetch(`${proxy.url}/big`)

    expect(res.status).toBe(200)
    await expect(res.arrayBuffer()).rejects.toThrow(/terminated/)
  })

  it('fails a request whose response is cut before its first byte', async () => {
    proxy.cutResponseAfter(0)

    await expect(fetch(`${proxy.url}/hello`)).rejects.toThrow(/fetch failed/)
    expect(target.requests).toBe(1)
  })
})

describe('trickle', () => {
  it('sends the request no faster than the rate', async () => {
    const rate = 1000
    proxy.trickle(rate)
    const started = performance.now()

    const res = await fetch(`${proxy.url}/echo`, { method: 'POST', body: bigBody.subarray(0, 600) })
    expect((await res.arrayBuffer()).byteLength).toBe(600)

    const elapsedMs = performance.now() - started
    const sent = proxy.stats().bytesToTarget
    // one write per 50 ms interval; the first write goes at once
    expect(elapsedMs).toBeGreaterThanOrEqual((sent / rate) * 1000 - 50)
  })

  it('lets a server with a request timeout answer 408 to a slow-loris request', async () => {
    const strict = await startTarget({
      requestTimeout: 500,
      headersTimeout: 500,
      connectionsCheckingInterval: 50,
    })
    const slow = await startFaultProxy({ target: { host: '127.0.0.1', port: strict.port } })
    try {
      slow.trickle(20)
      const started = performance.now()

      const res = await fetch(`${slow.url}/hello`, { signal: AbortSignal.timeout(5000) })

      expect(res.status).toBe(408)
      expect(performance.now() - started).toBeLessThan(3000)
      expect(strict.requests).toBe(0)
    } finally {
      await slow.close()
      await stopTarget(strict)
    }
  })
})

describe('cutAll', () => {
  it('breaks a response in flight and leaves the proxy usable', async () => {
    const res = await fetch(`${proxy.url}/slow`)
    expect(res.status).toBe(200)
    expect(proxy.stats().open).toBe(1)

    proxy.cutAll()

    await expect(res.text()).rejects.toThrow()
    expect(proxy.stats().open).toBe(0)
    expect(await (await fetch(`${proxy.url}/hello`)).text()).toBe('hello')
  })
})

describe('close', () => {
  it('stops accepting and closes open connections', async () => {
    const res = await fetch(`${proxy.url}/slow`)

    await proxy.close()

    await expect(res.text()).rejects.toThrow()
    await expect(fetch(`${proxy.url}/hello`)).rejects.toThrow(/fetch failed/)
  })
})

describe('controls', () => {
  it('rejects a negative delay, a negative cut and a zero trickle rate', () => {
    expect(() => proxy.delay(-1)).toThrow(RangeError)
    expect(() => proxy.cutResponseAfter(-1)).toThrow(RangeError)
    expect(() => proxy.trickle(0)).toThrow(RangeError)
    expect(proxy.mode).toEqual({ kind: 'pass' })
  })
})

/** Polls `done` until it holds, or fails after `ms`. */
async function until(done: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the proxy')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
