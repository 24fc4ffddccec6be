import { stat } from 'node:fs/promises'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { verifyDescriptor } from '@parley/protocol'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'
import { officerWithToken } from './support/tokens.ts'

interface ApiError {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

interface EventView {
  id: string
  event: { type: string; author: string; seq: number; body: Record<string, unknown> }
  sig: string
  delivery?: { state: string }[]
}

describe('a node’s officer API', () => {
  let node: TestNode
  let close: () => Promise<void>

  beforeAll(async () => {
    const started = await startNodes([
      {
        node: 'osce',
        parties: [
          { id: 'osce', name: 'OSCE Secretariat' },
          { id: 'est', name: 'Estonia' },
        ],
      },
    ])
    node = started.nodes[0]!
    close = started.close
  })
  afterAll(() => close())

  it('refuses a call without a token', async () => {
    const response = await fetch(`${node.url}/api/v1/channels`)
    expect(response.status).toBe(401)
    expect(((await response.json()) as ApiError).error.code).toBe('AUTH_REQUIRED')
    const wrong = await fetch(`${node.url}/api/v1/channels`, {
      headers: { authorization: 'Bearer not-the-token' },
    })
    expect(wrong.status).toBe(401)
  })

  it('serves health, the descriptor and the OpenAPI document without a token', async () => {
    const health = await fetch(`${node.url}/healthz`)
    expect(await health.json()).toEqual({ status: 'ok', node: 'osce', parties: ['osce', 'est'] })

    const descriptor = await verifyDescriptor(
      await (await fetch(`${node.url}/.well-known/parley`)).json(),
    )
    expect(descriptor.parties.map((entry) => entry.party.id)).toEqual(['osce', 'est'])
    expect(descriptor.federation).toBe(node.url)

    const openapi = (await (await fetch(`${node.url}/api/docs/json`)).json()) as {
      paths: Record<string, unknown>
    }
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/channels',
        '/api/v1/channels/{channel}/messages',
        '/api/v1/channels/{channel}/timeline',
        '/federation/v1/events',
      ]),
    )
  })

  it('keeps its private keys readable by the owner only', async () => {
    const file = node.config.parties[0]!.keys[0]!.file
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('answers bad input with a 4xx and a stable code, never a 500', async () => {
    const missing = await node.api<ApiError>('POST', '/channels', { as: 'osce', title: '' })
    expect(missing.status).toBe(400)
    expect(missing.body.error.code).toBe('REQUEST_INVALID')

    // Every officer speaks for their own party: another, hosted here or not, is refused.
    for (const as of ['usa', 'est']) {
      const other = await node.api<ApiError>(
        'POST',
        '/channels',
        { as, title: 'x', members: ['osce', 'est'] },
        'osce',
      )
      expect([other.status, other.body.error.code], as).toEqual([403, 'PARTY_FORBIDDEN'])
    }

    const unknown = await node.api<ApiError>(
      'GET',
      '/channels/ch_00000000000000000000000000/timeline',
    )
    // An officer gets one answer for a channel that does not exist and one outside their
    // compartments (issue 15, path 8): no token sees past its officer's.
    expect(unknown.status).toBe(403)
    expect(unknown.body.error.code).toBe('CHANNEL_FORBIDDEN')

    const notJson = await fetch(`${node.url}/api/v1/channels`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${node.officers.get('osce')!.token}`,
        'content-type': 'application/json',
      },
      body: '{"title":',
    })
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as ApiError).error.code).toBe('REQUEST_INVALID')

    const route = await node.api<ApiError>('GET', '/nothing-here')
    expect(route.status).toBe(404)
    expect(route.body.error.code).toBe('NOT_FOUND')
  })

  it('creates a channel, posts and translates, and lists the timeline in order', async () => {
    const created = await node.api<{ channel: { id: string; status: string }; event: EventView }>(
      'POST',
      '/channels',
      { as: 'osce', title: 'Points of contact', members: ['osce', 'est'], observers: [] },
    )
    expect(created.status).toBe(201)
    expect(created.body.channel.status).toBe('active')
    const channel = created.body.channel.id

    const post = await node.api<{ event: EventView }>('POST', `/channels/${channel}/messages`, {
      as: 'osce',
      text: 'Ping test: please answer.',
      lang: 'en',
      urgency: 'flash',
      tlp: 'green',
    })
    expect(post.status).toBe(201)
    const translation = await node.api<{ event: EventView }>(
      'POST',
      `/channels/${channel}/translations`,
      { as: 'osce', of: post.body.event.id, lang: 'ru', text: 'Проверка связи.' },
    )
    expect(translation.status).toBe(201)

    const timeline = await node.api<{ events: EventView[] }>('GET', `/channels/${channel}/timeline`)
    expect(timeline.body.events.map((view) => [view.event.type, view.event.seq])).toEqual([
      ['channel.create', 1],
      ['message.post', 2],
      ['message.translate', 3],
    ])
    // Both parties are hosted here: nothing to deliver to another node.
    expect(timeline.body.events[1]!.delivery).toEqual([])

    const listed = await node.api<{ channels: { id: string }[] }>('GET', '/channels')
    expect(listed.body.channels.map((row) => row.id)).toContain(channel)
  })

  it('refuses a message whose fields the protocol rejects, and stores nothing', async () => {
    const created = await node.api<{ channel: { id: string } }>('POST', '/channels', {
      as: 'osce',
      title: 'Strict',
      members: ['osce', 'est'],
      observers: [],
    })
    const channel = created.body.channel.id
    const bad = await node.api<ApiError>('POST', `/channels/${channel}/messages`, {
      as: 'osce',
      text: 'x',
      lang: 'en',
      urgency: 'whenever',
      tlp: 'green',
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('REQUEST_INVALID')
    const timeline = await node.api<{ events: EventView[] }>('GET', `/channels/${channel}/timeline`)
    expect(timeline.body.events).toHaveLength(1)
  })

  it('streams new events over a WebSocket', async () => {
    const created = await node.api<{ channel: { id: string } }>('POST', '/channels', {
      as: 'osce',
      title: 'Live',
      members: ['osce', 'est'],
      observers: [],
    })
    const channel = created.body.channel.id
    // A script holds a token, which never goes into a URL: it takes a single-use ticket.
    const ticket = await node.api<{ ticket: string }>('POST', '/stream/tickets', undefined, 'osce')
    expect(ticket.status).toBe(201)
    const socket = new WebSocket(
      `${node.url.replace('http', 'ws')}/api/v1/stream?channel=${channel}&ticket=${ticket.body.ticket}`,
    )
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
    const received = new Promise<{ type: string; id: string; event: { body: { text: string } } }>(
      (resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))),
    )
    const post = await node.api<{ event: EventView }>('POST', `/channels/${channel}/messages`, {
      as: 'osce',
      text: 'Tere',
      lang: 'et',
      urgency: 'routine',
      tlp: 'clear',
    })
    expect(post.status).toBe(201)
    const message = await received
    socket.close()
    expect(message.type).toBe('event')
    expect(message.id).toBe(post.body.event.id)
    expect(message.event.body.text).toBe('Tere')
  })

  it('refuses a stream without a session or ticket', async () => {
    const socket = new WebSocket(`${node.url.replace('http', 'ws')}/api/v1/stream`)
    const status = await new Promise<number>((resolve) =>
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)),
    )
    expect(status).toBe(401)
  })
})

describe('a node shutting down', () => {
  it('waits at stop() for a request held in flight, answers it, and takes no new connection meanwhile', async () => {
    const { nodes, close } = await startNodes([
      {
        node: 'usa',
        parties: [
          { id: 'usa', name: 'United States' },
          { id: 'est', name: 'Estonia' },
        ],
      },
    ])
    const node = nodes[0]!
    try {
      const created = await node.api<{ channel: { id: string } }>('POST', '/channels', {
        as: 'usa',
        title: 'Held',
        members: ['usa', 'est'],
        observers: [],
      })
      const channel = created.body.channel.id
      const poster = await officerWithToken(node.database.db, node.app.now, {
        party: 'usa',
        roles: ['drafter'],
        channels: [channel],
      })
      // The test holds the events table: the post below is answered only once it lets go.
      let release!: () => void
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      let locked!: () => void
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve
      })
      // Its body read whole, the request is past parsing and in the handler's hands.
      const arrived = new Promise<void>((resolve) => {
        node.app.server.once('request', (request: IncomingMessage) => {
          request.once('end', () => resolve())
        })
      })
      // The body waits until the token was checked (which needs the database, the one
      // connection of embedded PGlite): the events table is held only then. The headers go
      // out at once, as fetch would not send them before the body.
      const text = JSON.stringify({
        text: 'Held in flight.',
        lang: 'en',
        urgency: 'routine',
        tlp: 'clear',
      })
      const sending = httpRequest(`${node.url}/api/v1/channels/${channel}/messages`, {
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${poster.token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        },
      })
      const post = new Promise<{ status: number; body: { event: EventView } }>(
        (resolve, reject) => {
          sending.on('response', (response) => {
            let answer = ''
            response.on('data', (chunk) => (answer += chunk))
            response.on('end', () =>
              resolve({ status: response.statusCode!, body: JSON.parse(answer) }),
            )
          })
          sending.on('error', reject)
        },
      )
      sending.flushHeaders()
      const sendBody = () => sending.end(text)
      // A token never used before: the check notes its first use (its token.use audit entry
      // goes in with the post's own commit).
      await eventually(
        async () =>
          (
            await node.database.db
              .selectFrom('api_tokens')
              .select('last_used_at')
              .where('id', '=', poster.tokenId)
              .executeTakeFirstOrThrow()
          ).last_used_at !== null,
      )
      const holder = node.database.db.transaction().execute(async (trx) => {
        await sql`lock table events in exclusive mode`.execute(trx)
        locked()
        await held
      })
      await isLocked
      sendBody()
      await arrived
      let answered = false
      void post.then(() => {
        answered = true
      })
      let stopped = false
      const stopping = node.stop().then(() => {
        stopped = true
      })
      try {
        // A connection made while closing may be reset; the listener, once closed, refuses.
        const probe = () =>
          new Promise<string | undefined>((resolve) => {
            const request = httpRequest(`${node.url}/healthz`, { agent: false }, (reply) => {
              reply.resume()
              resolve(String(reply.statusCode))
            })
            request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code))
            request.end()
          })
        await eventually(
          async () => (await probe()) === 'ECONNREFUSED',
          10_000,
          'a new connection to be refused',
        )
        expect({ answered, stopped }).toEqual({ answered: false, stopped: false })
      } finally {
        release()
        await holder
      }
      const answer = await post
      await stopping
      expect(answer.status).toBe(201)
      expect(answer.body.event.event).toMatchObject({
        type: 'message.post',
        author: 'usa',
        body: { text: 'Held in flight.' },
      })
      const stored = await node.database.db
        .selectFrom('events')
        .select('id')
        .where('channel', '=', channel)
        .where('type', '=', 'message.post')
        .execute()
      expect(stored.map((row) => row.id)).toEqual([answer.body.event.id])
    } finally {
      await close()
    }
  })

  it('finishes the commits in flight and refuses what comes after, losing nothing', async () => {
    const { nodes, close } = await startNodes([
      {
        node: 'usa',
        parties: [
          { id: 'usa', name: 'United States' },
          { id: 'est', name: 'Estonia' },
        ],
      },
    ])
    const node = nodes[0]!
    try {
      const created = await node.api<{ channel: { id: string } }>('POST', '/channels', {
        as: 'usa',
        title: 'Shutdown',
        members: ['usa', 'est'],
        observers: [],
      })
      const channel = created.body.channel.id
      const posts = Array.from({ length: 20 }, (_, i) =>
        node
          .api<{ event: EventView }>('POST', `/channels/${channel}/messages`, {
            as: 'usa',
            text: `Message ${i}`,
            lang: 'en',
            urgency: 'routine',
            tlp: 'clear',
          })
          .catch(() => ({ status: 0, body: undefined })),
      )
      // Stop as soon as the first commit is acknowledged, with the others still in flight.
      await Promise.race(posts)
      await node.stop()
      const replies = await Promise.all(posts)
      const statuses = new Set(replies.map((reply) => reply.status))
      expect([...statuses].every((status) => [201, 503, 0].includes(status))).toBe(true)
      const accepted = replies
        .filter((reply) => reply.status === 201)
        .map((reply) => reply.body!.event.id)
      const stored = await node.database.db
        .selectFrom('events')
        .select('id')
        .where('channel', '=', channel)
        .where('type', '=', 'message.post')
        .execute()
      expect(accepted.length).toBeGreaterThan(0)
      expect(stored.map((row) => row.id).sort()).toEqual(accepted.sort())
    } finally {
      await close()
    }
  })
})
