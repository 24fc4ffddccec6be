import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPair, toBase64Url } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ServerError } from '../src/errors.ts'
import { peerFailure } from '../src/features/federation/peer-failure.ts'
import { markPeerFailing, upsertPeerNode } from '../src/features/federation/peers.repository.ts'
import { pinConfiguredPeers } from '../src/features/federation/peers.service.ts'
import { pinPartyKeys } from '../src/ledger/index.ts'
import { loadNodeIdentity } from '../src/node-identity.ts'
import { verifyResponse } from '../src/signed-http/http-signatures.ts'
import { type AuthTestApp, startAuthApp } from './support/auth-app.ts'
import { grant, loggedIn, openChannel } from './support/compartments.ts'
import { testDatabase } from './support/database.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

interface ApiError {
  error: { code: string; message: string; details?: Record<string, unknown> }
}
interface AuditEntry {
  officer: string | null
  party: string | null
  action: string
  details: Record<string, unknown>
}
interface PeerView {
  url: string
  parties: string[]
  boundAt: number | null
  lastError: string | null
  lastErrorCode: string | null
  failingChannels: string[]
  hiddenFailingChannels: number
}

const nonce = (bytes = 32) => toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)))

/** A server at a URL of its own that answers as `answer` says and records every request. */
async function impostor(
  answer: (
    request: IncomingMessage,
    body: string,
    self: string,
  ) => Promise<{
    status: number
    type?: string
    body: string
    headers?: Record<string, string>
  }>,
) {
  const seen: { method: string; url: string; body: string }[] = []
  let self = ''
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    seen.push({ method: request.method ?? '', url: request.url ?? '', body })
    const reply = await answer(request, body, self)
    response.writeHead(reply.status, {
      'content-type': reply.type ?? 'application/json',
      ...reply.headers,
    })
    response.end(reply.body)
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: self,
    seen,
    close: () => new Promise<void>((done) => server.close(() => done())),
  }
}

describe('binding a peer’s URL by proof of key (DESIGN §4.6)', () => {
  let usa: TestNode
  let rus: TestNode
  let close: () => Promise<void>
  let rusFingerprint: string

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      { backoff: () => 100, peers: () => false },
    )
    ;[usa, rus] = started.nodes as [TestNode, TestNode]
    close = started.close
    const node = await rus.api<{ parties: { id: string; fingerprint: string }[] }>('GET', '/node')
    rusFingerprint = node.body.parties[0]!.fingerprint
  }, 60_000)
  afterAll(() => close())

  const hello = (node: TestNode, body: unknown) =>
    fetch(`${node.url}/federation/v1/hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('answers an unsigned hello with a reply signed by the party asked for', async () => {
    const asked = nonce()
    const response = await hello(rus, { nonce: asked, party: 'rus' })
    expect(response.status).toBe(200)
    const bytes = new Uint8Array(await response.arrayBuffer())
    const body = JSON.parse(new TextDecoder().decode(bytes))
    expect(body).toEqual({
      format: 'parley-hello/1',
      nonce: asked,
      party: 'rus',
      node: 'rus',
      federation: rus.url,
    })
    const rusKey = (await loadNodeIdentity(rus.config)).parties.get('rus')!.keys[0]!
    const signer = await verifyResponse(
      { status: 200, headers: Object.fromEntries(response.headers), body: bytes },
      {
        now: Date.now(),
        resolveKey: (keyid) => (keyid === rusKey.id ? rusKey.publicKey : undefined),
      },
    )
    expect(signer.party).toBe('rus')
  })

  it('refuses a hello for a party it does not host (404) or with a malformed nonce (400)', async () => {
    const notHosted = await hello(rus, { nonce: nonce(), party: 'usa' })
    expect(notHosted.status).toBe(404)
    expect(((await notHosted.json()) as ApiError).error.code).toBe('PARTY_NOT_HOSTED')
    for (const bad of [nonce(15), nonce(65), 'not base64url!!!!!!!!!!!!', `${nonce(16)}B`, 42]) {
      const refused = await hello(rus, { nonce: bad, party: 'rus' })
      expect(refused.status, String(bad)).toBe(400)
      expect(((await refused.json()) as ApiError).error.code).toBe('REQUEST_INVALID')
    }
  })

  it('refuses each failed peer add with a fixed reason, writes nothing and never echoes the answer', async () => {
    const descriptor = await (await fetch(`${rus.url}/.well-known/parley`)).text()
    const servers = await Promise.all([
      impostor(async () => ({ status: 200, type: 'text/x-marker', body: 'MARKER-BAD body' })),
      impostor(async () => ({ status: 200, body: 'MARKER-BAD body' })),
      impostor(async () => ({ status: 404, body: 'MARKER-404' })),
      // A copy of rus's real descriptor, as served anywhere.
      impostor(async () => ({ status: 200, body: descriptor })),
      // The copy naming the impostor's own URL (the field is not signed), and a hello passed
      // on to the real rus, whose reply names rus's own URL.
      impostor(async (request, body, self) => {
        if (request.url === '/.well-known/parley') {
          return { status: 200, body: descriptor.replace(JSON.stringify(rus.url), `"${self}"`) }
        }
        const real = await fetch(`${rus.url}${request.url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        })
        return {
          status: real.status,
          type: real.headers.get('content-type') ?? '',
          body: await real.text(),
          headers: Object.fromEntries(
            [...real.headers].filter(([name]) => /^(signature|content-digest)/.test(name)),
          ),
        }
      }),
    ])
    const closed = await impostor(async () => ({ status: 200, body: '' }))
    await closed.close()
    const cases: [string, string, number, string | undefined][] = [
      [servers[0]!.url, 'PEER_NOT_PARLEY', 502, 'the reply is not application/json'],
      [servers[1]!.url, 'PEER_NOT_PARLEY', 502, 'the reply is not JSON'],
      [servers[2]!.url, 'PEER_NOT_PARLEY', 502, 'status 404'],
      [servers[3]!.url, 'DESCRIPTOR_URL_MISMATCH', 400, undefined],
      [servers[4]!.url, 'PEER_BINDING_FAILED', 502, 'the reply names another federation URL'],
      [closed.url, 'PEER_UNREACHABLE', 502, undefined],
    ]
    try {
      for (const [url, code, status, reason] of cases) {
        const reply = await usa.api<ApiError>('POST', '/peers', {
          url,
          fingerprint: rusFingerprint,
        })
        expect(reply.status, url).toBe(status)
        expect(reply.body.error.code, url).toBe(code)
        if (reason !== undefined) expect(reply.body.error.details?.reason).toBe(reason)
        expect(JSON.stringify(reply.body)).not.toMatch(/MARKER|marker|"format"|parley-node/)
      }
      const wrong = await usa.api<ApiError>('POST', '/peers', {
        url: rus.url,
        fingerprint: '0'.repeat(64),
      })
      expect(wrong.body.error.code).toBe('FINGERPRINT_MISMATCH')
      const node = await usa.api<{ peers: PeerView[] }>('GET', '/node')
      expect(node.body.peers).toEqual([])
      const audit = await usa.api<{ entries: AuditEntry[] }>('GET', '/audit')
      expect(audit.body.entries.filter((entry) => entry.action.startsWith('peer.'))).toEqual([])
      // The impostors were asked for a descriptor and a hello, nothing else.
      for (const server of servers) {
        for (const request of server.seen) {
          expect(['/.well-known/parley', '/federation/v1/hello']).toContain(request.url)
        }
      }
    } finally {
      await Promise.all(servers.map((server) => server.close()))
    }
  })

  it('binds a genuine peer, audits the add, shows when it was bound and delivers to it', async () => {
    const before = Date.now()
    const added = await usa.api<{ url: string; party: string; boundAt: number }>('POST', '/peers', {
      url: `${rus.url}/`,
      fingerprint: rusFingerprint,
    })
    expect(added.status).toBe(201)
    expect(added.body).toMatchObject({ url: rus.url, party: 'rus' })
    expect(added.body.boundAt).toBeGreaterThanOrEqual(before)
    const usaFingerprint = (await usa.api<{ parties: { fingerprint: string }[] }>('GET', '/node'))
      .body.parties[0]!.fingerprint
    expect(
      (await rus.api('POST', '/peers', { url: usa.url, fingerprint: usaFingerprint })).status,
    ).toBe(201)

    const audit = await usa.api<{ entries: AuditEntry[] }>('GET', '/audit')
    expect(audit.body.entries.filter((entry) => entry.action.startsWith('peer.'))).toEqual([
      {
        ...audit.body.entries.find((entry) => entry.action === 'peer.add'),
        officer: usa.officers.get('usa')!.id,
        party: 'usa',
        action: 'peer.add',
        details: {
          via: 'api',
          peer: 'rus',
          node: 'rus',
          url: rus.url,
          previousUrl: null,
          fingerprint: rusFingerprint,
        },
      },
    ])

    const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'Bound',
      members: ['usa', 'rus'],
    })
    const channel = created.body.channel.id
    // It reached rus: rus's admin can put its officer on the access list.
    await eventually(() => rus.admit(channel))
    const peers = await usa.api<{ peers: PeerView[] }>('GET', '/node')
    expect(peers.body.peers).toEqual([
      expect.objectContaining({ url: rus.url, parties: ['rus'], boundAt: expect.any(Number) }),
    ])
  })

  it('removes a peer: routed nowhere, audited with the URL it had, and not found a second time', async () => {
    const removed = await usa.api('DELETE', '/peers/rus')
    expect(removed).toEqual({ status: 200, body: { party: 'rus', url: rus.url } })
    const peers = await usa.api<{ peers: PeerView[] }>('GET', '/node')
    expect(peers.body.peers).toEqual([expect.objectContaining({ url: rus.url, parties: [] })])
    const audit = await usa.api<{ entries: AuditEntry[] }>('GET', '/audit')
    expect(audit.body.entries.at(-1)).toMatchObject({
      officer: usa.officers.get('usa')!.id,
      action: 'peer.remove',
      details: {
        via: 'api',
        peer: 'rus',
        url: null,
        previousUrl: rus.url,
        fingerprint: rusFingerprint,
      },
    })
    const again = await usa.api<ApiError>('DELETE', '/peers/rus')
    expect(again.status).toBe(404)
    expect(again.body.error.code).toBe('NOT_FOUND')
  })
})

describe('delivery to a URL that has not proved its key', () => {
  it('pushes, pulls and asks nothing there, retries the hello with backoff and shows the code', async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      { backoff: () => 50, peers: () => false },
    )
    const impostorServer = await impostor(async () => ({ status: 200, body: '{}' }))
    try {
      const [usa, rus] = started.nodes as [TestNode, TestNode]
      // rus's real keys, routed to a URL that does not hold them (as a config edit could).
      const keys = (await loadNodeIdentity(rus.config)).parties
        .get('rus')!
        .keys.map(({ id, publicKey, validFrom, validUntil }) => ({
          id,
          publicKey,
          validFrom,
          validUntil,
        }))
      await pinPartyKeys(usa.database.db, 'rus', 'Russian Federation', keys, {
        now: Date.now(),
      })
      await upsertPeerNode(usa.database.db, impostorServer.url, 'rus', ['rus'])
      const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
        title: 'Working group',
        members: ['usa', 'rus'],
      })
      expect(created.status).toBe(201)
      const peer = await eventually(async () => {
        const peers = (await usa.api<{ peers: PeerView[] }>('GET', '/node')).body.peers
        const found = peers.find((row) => row.url === impostorServer.url)
        return found?.lastErrorCode === 'PEER_BINDING_FAILED' && impostorServer.seen.length >= 3
          ? found
          : undefined
      })
      expect(peer).toMatchObject({ boundAt: null, lastErrorCode: 'PEER_BINDING_FAILED' })
      expect(peer.lastError).toContain('not signed by a pinned key of rus')
      for (const request of impostorServer.seen) {
        expect(request.url).toBe('/federation/v1/hello')
        expect(request.body).not.toContain(created.body.channel.id)
      }
    } finally {
      await impostorServer.close()
      await started.close()
    }
  }, 60_000)
})

describe('peer changes from the config', () => {
  it('audits a party new to the node and a party whose URL changed, as the config', async () => {
    const database = await testDatabase()
    try {
      const identity = {
        node: 'usa',
        federationUrl: 'http://127.0.0.1:1',
        parties: new Map(),
      } as unknown as Parameters<typeof pinConfiguredPeers>[1]
      const { publicKey } = await generateKeyPair()
      const keys = [{ id: 'rus#1', publicKey, validFrom: 0, validUntil: null }]
      const peer = (url: string) => ({
        url,
        node: 'rus',
        parties: [{ id: 'rus', name: 'Russian Federation', fingerprint: 'ab cd', keys }],
      })
      await pinConfiguredPeers(database.db, identity, [peer('http://127.0.0.1:7001')], 1000)
      await pinConfiguredPeers(database.db, identity, [peer('http://127.0.0.1:7001/')], 2000)
      await pinConfiguredPeers(database.db, identity, [peer('http://127.0.0.1:7002')], 3000)
      const rows = await database.db
        .selectFrom('audit_log')
        .select(['time', 'officer', 'party', 'action', 'details'])
        .orderBy('seq')
        .execute()
      const details = { via: 'config', peer: 'rus', node: 'rus', fingerprint: 'ab cd' }
      expect(rows).toEqual([
        {
          time: 1000,
          officer: null,
          party: null,
          action: 'peer.add',
          details: { ...details, url: 'http://127.0.0.1:7001', previousUrl: null },
        },
        {
          time: 3000,
          officer: null,
          party: null,
          action: 'peer.url',
          details: {
            ...details,
            url: 'http://127.0.0.1:7002',
            previousUrl: 'http://127.0.0.1:7001',
          },
        },
      ])
    } finally {
      await database.close()
    }
  })
})

describe('peer health shown to an officer', () => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
  })
  afterAll(() => t.close())

  it('names only the failing channels the officer may see; the rest are a count', async () => {
    const admin = await loggedIn(t, 'carla', ['admin'])
    const alice = await loggedIn(t, 'alice', ['drafter'])
    const dan = await loggedIn(t, 'dan', ['viewer'])
    const channel = await openChannel(alice, { title: 'Working group', members: ['usa', 'est'] })
    await grant(admin, channel, alice)
    const url = 'http://127.0.0.1:9'
    await upsertPeerNode(t.database.db, url, 'rus', ['rus'])
    // What anti-entropy keeps when the heads request of the channel finds no one there.
    const error = new ServerError('PEER_UNREACHABLE', {
      url: `${url}/federation/v1/channels/${channel}/heads`,
      reason: 'fetch failed: ECONNREFUSED',
    })
    await markPeerFailing(t.database.db, url, t.clock.now, peerFailure(error, channel))

    const seenBy = async (officer: typeof dan) =>
      (await officer.browser.request<{ peers: PeerView[] }>('GET', '/node')).body.peers[0]!
    const forDan = await seenBy(dan)
    expect(JSON.stringify(forDan)).not.toContain(channel)
    expect(forDan).toMatchObject({
      lastErrorCode: 'PEER_UNREACHABLE',
      lastError: 'PEER_UNREACHABLE: fetch failed: ECONNREFUSED; in 1 channel you cannot see',
      failingChannels: [],
      hiddenFailingChannels: 1,
    })
    const forAlice = await seenBy(alice)
    expect(forAlice).toMatchObject({
      lastError: `PEER_UNREACHABLE: fetch failed: ECONNREFUSED; in ${channel}`,
      failingChannels: [channel],
      hiddenFailingChannels: 0,
    })
  })
})
