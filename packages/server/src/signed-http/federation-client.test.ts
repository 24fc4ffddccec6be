import {
  createDescriptor,
  type Ed25519KeyPair,
  generateKeyPair,
  type NodeDescriptor,
  signPartyEntry,
  utf8,
} from '@parley/protocol'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isServerError } from '../errors.ts'
import {
  createFederationClient,
  type FederationClientOptions,
  federationUrl,
  fetchDescriptor,
  isLoopbackHost,
} from './federation-client.ts'
import { signResponse, verifyRequest } from './http-signatures.ts'
import { NonceCache } from './nonce-cache.ts'

let usa: Ed25519KeyPair // the client's party
let rus: Ed25519KeyPair // the peer node's party
let mallory: Ed25519KeyPair
let peer: FastifyInstance
let base: string
let descriptor: NodeDescriptor

// A peer node as DESIGN §4.6 describes it: it verifies every signed request and signs every reply.
async function startPeer(): Promise<FastifyInstance> {
  const app = Fastify()
  const nonces = new NonceCache()
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  )
  app.setErrorHandler((error, _request, reply) => {
    if (!isServerError(error)) throw error
    reply.status(error.status).send({ error: { code: error.code, message: error.message } })
  })
  app.addHook('preHandler', async (request) => {
    if (request.url === '/.well-known/parley') return
    const signer = await verifyRequest(
      {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.body instanceof Uint8Array ? request.body : undefined,
      },
      {
        now: Date.now(),
        resolveKey: (keyid) => (keyid === 'usa#1' ? usa.publicKey : undefined),
        nonces,
        origin: base,
      },
    )
    request.headers['x-test-party'] = signer.party
  })
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url === '/.well-known/parley' || request.url.startsWith('/unsigned')) return payload
    const key = request.url.startsWith('/impostor') ? mallory : rus
    const body = typeof payload === 'string' ? utf8(payload) : (payload as Uint8Array | undefined)
    reply.headers(
      await signResponse(
        {
          status: reply.statusCode,
          headers: { 'content-type': String(reply.getHeader('content-type')) },
          body,
        },
        { keyId: 'rus#1', privateKey: key.privateKey },
        { now: Date.now() },
      ),
    )
    return payload
  })
  app.get('/.well-known/parley', async () => descriptor)
  app.get('/federation/v1/channels/:channel/heads', async (request) => ({
    heads: {},
    asked: request.query,
    by: request.headers['x-test-party'],
  }))
  app.post('/federation/v1/events', async (request) => ({
    received: JSON.parse(new TextDecoder().decode(request.body as Uint8Array)),
    by: request.headers['x-test-party'],
  }))
  app.get('/unsigned', async () => ({ receipts: [] }))
  app.get('/impostor', async () => ({ receipts: [] }))
  app.get('/slow', async () => new Promise((resolve) => setTimeout(() => resolve({}), 2_000)))
  app.get('/huge', async () => ({ padding: 'x'.repeat(100_000) }))
  await app.listen({ host: '127.0.0.1', port: 0 })
  return app
}

beforeAll(async () => {
  ;[usa, rus, mallory] = await Promise.all([
    generateKeyPair(),
    generateKeyPair(),
    generateKeyPair(),
  ])
  peer = await startPeer()
  const address = peer.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  base = `http://127.0.0.1:${address.port}`
  descriptor = createDescriptor('node-r', `${base}/federation/v1`, [
    await signPartyEntry(
      {
        id: 'rus',
        name: 'Russian Federation',
        keys: [{ id: 'rus#1', publicKey: rus.publicKey, validFrom: 0, validUntil: null }],
      },
      'rus#1',
      rus.privateKey,
    ),
  ])
})

afterAll(async () => {
  await peer.close()
})

function client(overrides: Partial<FederationClientOptions> = {}) {
  return createFederationClient({
    signer: { keyId: 'usa#1', privateKey: usa.privateKey },
    resolvePeerKey: (keyid) => (keyid === 'rus#1' ? rus.publicKey : undefined),
    now: Date.now,
    ...overrides,
  })
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code: string }).code
  }
  return 'ACCEPTED'
}

describe('createFederationClient', () => {
  it('posts signed JSON that the peer verifies, and returns its signed reply', async () => {
    const events = { events: [{ event: { v: 1 }, sig: 'x' }] }
    const reply = await client().postJson(`${base}/federation/v1/events`, events)
    expect(reply).toEqual({
      status: 200,
      ok: true,
      body: { received: events, by: 'usa' },
      keyid: 'rus#1',
      party: 'rus',
    })
  })

  it('signs a GET with its query', async () => {
    const reply = await client().get(`${base}/federation/v1/channels/ch_1/heads?from=3`)
    expect(reply.body).toEqual({ heads: {}, asked: { from: '3' }, by: 'usa' })
  })

  it('returns a signed rejection with its status and error code', async () => {
    const stranger = client({ signer: { keyId: 'fra#1', privateKey: mallory.privateKey } })
    const reply = await stranger.get(`${base}/federation/v1/channels/ch_1/heads`)
    expect(reply).toMatchObject({
      status: 401,
      ok: false,
      body: { error: { code: 'KEY_NOT_PINNED' } },
    })
  })

  it('refuses a reply that is unsigned or signed by a key not pinned for the peer', async () => {
    expect(await codeOf(client().get(`${base}/unsigned`))).toBe('PEER_RESPONSE_UNSIGNED')
    expect(await codeOf(client().get(`${base}/impostor`))).toBe('PEER_RESPONSE_UNSIGNED')
    const pinnedNothing = client({ resolvePeerKey: () => undefined })
    expect(await codeOf(pinnedNothing.get(`${base}/federation/v1/channels/ch_1/heads`))).toBe(
      'PEER_RESPONSE_UNSIGNED',
    )
  })

  it('gives up on a peer that does not answer in time', async () => {
    const started = Date.now()
    const error = await client({ timeoutMs: 200 })
      .get(`${base}/slow`)
      .catch((e) => e)
    expect(error).toMatchObject({ code: 'PEER_UNREACHABLE' })
    expect(error.message).toContain('200 ms')
    expect(Date.now() - started).toBeLessThan(1_500)
  })

  it('reports a peer that refuses connections as unreachable', async () => {
    const closed = Fastify()
    await closed.listen({ host: '127.0.0.1', port: 0 })
    const { port } = closed.server.address() as { port: number }
    await closed.close()
    const error = await client()
      .get(`http://127.0.0.1:${port}/federation/v1/channels/ch_1/heads`)
      .catch((e) => e)
    expect(error).toMatchObject({ code: 'PEER_UNREACHABLE' })
    expect(error.message).toContain('ECONNREFUSED')
  })

  it('stops reading a reply larger than its limit', async () => {
    expect(await codeOf(client({ maxResponseBytes: 10_000 }).get(`${base}/huge`))).toBe(
      'PEER_RESPONSE_INVALID',
    )
  })

  it('sends nothing over plain http to a host that is not loopback', async () => {
    let calls = 0
    const counting = client({
      fetch: async () => {
        calls++
        return new Response('{}')
      },
    })
    expect(await codeOf(counting.get('http://peer.example/federation/v1/x'))).toBe(
      'FEDERATION_URL_INSECURE',
    )
    expect(await codeOf(counting.postJson('http://10.0.0.1/federation/v1/events', {}))).toBe(
      'FEDERATION_URL_INSECURE',
    )
    expect(calls).toBe(0)
  })
})

describe('fetchDescriptor', () => {
  it('fetches and checks the peer descriptor without signing', async () => {
    await expect(fetchDescriptor(`${base}/federation/v1`)).resolves.toEqual(descriptor)
    await expect(client().fetchDescriptor(`${base}/federation/v1/`)).resolves.toEqual(descriptor)
  })

  it('refuses a descriptor that names another federation URL than the one it came from', async () => {
    const error = await fetchDescriptor(base).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'DESCRIPTOR_URL_MISMATCH', details: { url: base } })
  })

  it('refuses a tampered descriptor or a reply that is not one, with a fixed reason', async () => {
    const tampered = structuredClone(descriptor)
    tampered.parties[0]!.party.keys[0]!.publicKey = mallory.publicKey
    const serve =
      (status: number, body: string, type = 'application/json') =>
      async () =>
        new Response(body, { status, headers: { 'content-type': type } })
    const cases: [typeof fetch, string][] = [
      [serve(200, JSON.stringify(tampered)), 'the reply is not a valid node descriptor'],
      [serve(200, '{"format":'), 'the reply is not JSON'],
      [serve(200, '{"marker":1,"marker":2}'), 'the reply repeats a member name'],
      [serve(200, 'MARKER-BAD body'), 'the reply is not JSON'],
      [serve(200, '{}', 'text/x-marker-type'), 'the reply is not application/json'],
      [serve(404, 'MARKER-404'), 'status 404'],
    ]
    for (const [fake, reason] of cases) {
      const error = await fetchDescriptor('https://r.example', { fetch: fake }).catch(
        (caught: unknown) => caught,
      )
      expect(error).toMatchObject({ code: 'PEER_NOT_PARLEY', details: { reason } })
      // Nothing the URL sent comes back: not its bytes, not its content type.
      expect(JSON.stringify(error) + String(error)).not.toMatch(/MARKER|marker|format/)
    }
  })
})

describe('federationUrl', () => {
  it('accepts https anywhere and plain http to loopback only', () => {
    for (const url of [
      'https://peer.example/federation/v1',
      'http://localhost:8080/',
      'http://127.0.0.1:3000',
      'http://127.45.0.9',
      'http://[::1]:4000',
    ]) {
      expect(federationUrl(url).href).toBe(new URL(url).href)
    }
    for (const url of [
      'http://peer.example',
      'http://128.0.0.1',
      'http://[::2]',
      'http://localhost.evil.example',
    ]) {
      expect(() => federationUrl(url)).toThrowError(
        expect.objectContaining({ code: 'FEDERATION_URL_INSECURE' }),
      )
    }
    for (const url of ['ftp://peer.example', 'peer.example', 'https://user:pw@peer.example']) {
      expect(() => federationUrl(url)).toThrowError(
        expect.objectContaining({ code: 'FEDERATION_URL_INVALID' }),
      )
    }
  })

  it('knows loopback addresses as a socket reports them', () => {
    for (const host of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '[::ffff:7f00:1]', 'LOCALHOST']) {
      expect(isLoopbackHost(host)).toBe(true)
    }
    for (const host of ['10.0.0.1', '::ffff:10.0.0.1', '127.0.0.1.example', '1127.0.0.1', '::']) {
      expect(isLoopbackHost(host)).toBe(false)
    }
  })
})
