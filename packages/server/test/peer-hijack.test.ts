import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type NodeProcess, type NodeProcesses, startNodeProcesses } from './support/node-process.ts'
import { eventually } from './support/nodes.ts'

// Issue 15, path 1, against real node processes: an admin re-routes rus to a server that
// replays rus's real descriptor. The descriptor's `federation` field is not signed, so only a
// hello answered with rus's key binds a URL (DESIGN §4.6); until then nothing is sent there.

const DELIVERY = { retryBaseMs: 50, retryCapMs: 500, antiEntropyEveryMs: 1000 }
const WITHIN_MS = 30_000

interface ApiError {
  error: { code: string; details?: Record<string, unknown> }
}
interface PeerView {
  url: string
  parties: string[]
  boundAt: number | null
  lastSuccessAt: number | null
}

/** A server that replays rus's descriptor and passes anything else on to rus, recording all. */
async function replayingServer(rus: NodeProcess, rewrite: boolean) {
  const seen: { method: string; url: string; body: string }[] = []
  let self = ''
  const server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    seen.push({ method: request.method ?? '', url: request.url ?? '', body })
    const real = await fetch(`${rus.federationUrl}${request.url}`, {
      method: request.method ?? 'GET',
      headers: Object.fromEntries(
        Object.entries(request.headers).filter(
          (entry): entry is [string, string] =>
            typeof entry[1] === 'string' && !['host', 'content-length'].includes(entry[0]),
        ),
      ),
      ...(body === '' ? {} : { body }),
    })
    let text = await real.text()
    if (rewrite && request.url === '/.well-known/parley') {
      text = text.replace(JSON.stringify(rus.federationUrl), JSON.stringify(self))
    }
    response.writeHead(
      real.status,
      Object.fromEntries(
        [...real.headers].filter(([name]) => !['content-length', 'connection'].includes(name)),
      ),
    )
    response.end(text)
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: self,
    seen,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}

describe('a replayed descriptor at a new URL, against real nodes', () => {
  let federation: NodeProcesses
  let usa: NodeProcess
  let rus: NodeProcess
  let channel: string
  let rusFingerprint: string

  const timeline = async (node: NodeProcess) =>
    (await node.api<{ events: { id: string }[] }>('GET', `/channels/${channel}/timeline`)).body
      .events ?? []
  const post = async (text: string) => {
    const reply = await usa.api<{ event: { id: string } }>(
      'POST',
      `/channels/${channel}/messages`,
      { text, lang: 'en', urgency: 'routine', tlp: 'green' },
    )
    expect(reply.status).toBe(201)
    return reply.body.event.id
  }

  beforeAll(async () => {
    federation = await startNodeProcesses(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      { delivery: DELIVERY },
    )
    usa = federation.node('usa')
    rus = federation.node('rus')
    const node = await rus.api<{ parties: { fingerprint: string }[] }>('GET', '/node')
    rusFingerprint = node.body.parties[0]!.fingerprint
    const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'US–Russia ICT Security Working Group',
      members: ['usa', 'rus'],
    })
    if (created.status !== 201)
      throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`)
    channel = created.body.channel.id
    // rus's admin puts its officer on the access list once the invitation arrived; they join.
    await eventually(
      async () =>
        (await rus.admit(channel)) &&
        (await rus.api('POST', `/channels/${channel}/join`, {})).status === 201,
      WITHIN_MS,
      'rus joins',
    )
  }, 120_000)
  afterAll(() => federation?.close())

  it('binds the genuine peer from the config and delivers to it', async () => {
    const id = await post('Scanning of election infrastructure observed.')
    await eventually(
      async () => (await timeline(rus)).some((view) => view.id === id),
      WITHIN_MS,
      'the post at rus',
    )
    const peers = (await usa.api<{ peers: PeerView[] }>('GET', '/node')).body.peers
    expect(peers).toEqual([
      expect.objectContaining({
        url: rus.federationUrl,
        parties: ['rus'],
        boundAt: expect.any(Number),
      }),
    ])
  })

  it('refuses the replaying URL, sends it nothing with a channel id, and keeps delivering to rus', async () => {
    const verbatim = await replayingServer(rus, false)
    const rewritten = await replayingServer(rus, true)
    try {
      const copied = await usa.api<ApiError>('POST', '/peers', {
        url: verbatim.url,
        fingerprint: rusFingerprint,
      })
      expect(copied.status).toBe(400)
      expect(copied.body.error.code).toBe('DESCRIPTOR_URL_MISMATCH')
      const hijack = await usa.api<ApiError>('POST', '/peers', {
        url: rewritten.url,
        fingerprint: rusFingerprint,
      })
      expect(hijack.status).toBe(502)
      expect(hijack.body.error.code).toBe('PEER_BINDING_FAILED')

      const after = [await post('One.'), await post('Two.'), await post('Three.')]
      await eventually(
        async () => {
          const held = new Set((await timeline(rus)).map((view) => view.id))
          return after.every((id) => held.has(id))
        },
        WITHIN_MS,
        'the posts after the attempt at rus',
      )
      // A full anti-entropy round after the posts, so heads were asked of whoever holds the route.
      const since = Date.now()
      await eventually(
        async () => {
          const peers = (await usa.api<{ peers: PeerView[] }>('GET', '/node')).body.peers
          return peers[0]!.url === rus.federationUrl && (peers[0]!.lastSuccessAt ?? 0) > since
        },
        WITHIN_MS,
        'a success with rus after the posts',
      )

      for (const server of [verbatim, rewritten]) {
        expect(server.seen.length).toBeGreaterThan(0)
        for (const request of server.seen) {
          expect(['/.well-known/parley', '/federation/v1/hello']).toContain(request.url)
          expect(`${request.url}${request.body}`).not.toContain(channel)
          expect(`${request.url}${request.body}`).not.toMatch(/ch_[0-9A-Z]{26}/)
        }
      }
      const audit = await usa.api<{ entries: { action: string; details: { url?: string } }[] }>(
        'GET',
        '/audit',
      )
      const peerEntries = audit.body.entries.filter((entry) => entry.action.startsWith('peer.'))
      expect(peerEntries.map((entry) => [entry.action, entry.details.url])).toEqual([
        ['peer.add', rus.federationUrl],
      ])
    } finally {
      await verbatim.close()
      await rewritten.close()
    }
  })
})
