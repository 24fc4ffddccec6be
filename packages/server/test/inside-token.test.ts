import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type WebSocket from 'ws'
import { type AuthTestApp, type Reply, startAuthApp } from './support/auth-app.ts'
import {
  grant,
  incidentNotice,
  type LoggedIn,
  loggedIn,
  message,
  openChannel,
  WORKING_GROUP_POLICY,
} from './support/compartments.ts'
import { officerWithToken } from './support/tokens.ts'

// Issue 15, path 4, from the side of whoever holds an API token: the automation credential was
// every role, every party and every compartment at once. A token now acts as one officer, with
// at most that officer's roles and compartments, and travels in the Authorization header only.

const DAY = 86_400_000

describe('an API token', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let ben: LoggedIn
  let carla: LoggedIn
  let workingGroup: string
  let address: string

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    alice = await loggedIn(t, 'alice', ['drafter', 'releaser'])
    ben = await loggedIn(t, 'ben', ['releaser'])
    carla = await loggedIn(t, 'carla', ['admin'])
    workingGroup = await openChannel(alice, {
      title: 'US–Russia ICT Security Working Group',
      members: ['usa', 'rus'],
      policy: WORKING_GROUP_POLICY,
    })
    await grant(carla, workingGroup, ben)
    address = await t.app.listen({ host: '127.0.0.1', port: 0 })
  })
  afterAll(() => t.close())

  /** A call with `Authorization: Bearer`, no cookie, no CSRF token: how scripts call. */
  const bearer = async (
    token: string,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<Reply> => {
    const response = await t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    })
    return {
      status: response.statusCode,
      body: response.body === '' ? undefined : JSON.parse(response.body),
      headers: response.headers,
      sessionCookie: undefined,
      setCookie: undefined,
    }
  }
  const refusal = (reply: Reply) => [reply.status, reply.body?.error?.code]
  const issue = (officer: string, body: object) =>
    carla.browser.request('POST', `/officers/${officer}/tokens`, body)
  const tokenFor = async (officer: string, scope: string[], expiresAt = t.clock.now + DAY) => {
    const reply = await issue(officer, { scope, expiresAt, label: 'script' })
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return reply.body as { token: { id: string }; secret: string }
  }

  /** A WebSocket handshake over real HTTP: the status and, when refused, the error body. */
  const handshake = (path: string) =>
    new Promise<{ status: number; code?: string }>((resolve, reject) => {
      const req = httpRequest(`${address}${path}`, {
        headers: {
          connection: 'upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
        },
      })
      req.on('upgrade', (_res, socket) => {
        socket.destroy()
        resolve({ status: 101 })
      })
      req.on('response', (res) => {
        let text = ''
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode!, code: JSON.parse(text).error.code }))
      })
      req.on('error', reject)
      req.end()
    })

  it('is issued only within its officer’s roles, expiring within a year, by an admin of their party', async () => {
    const now = t.clock.now
    expect(refusal(await issue('alice', { scope: ['admin'], expiresAt: now + DAY }))).toEqual([
      400,
      'TOKEN_SCOPE_INVALID',
    ])
    expect(
      refusal(await issue('ben', { scope: ['releaser', 'admin'], expiresAt: now + DAY })),
    ).toEqual([400, 'TOKEN_SCOPE_INVALID'])
    expect(refusal(await issue('alice', { scope: ['drafter'], expiresAt: now - 1 }))).toEqual([
      400,
      'TOKEN_EXPIRY_INVALID',
    ])
    expect(
      refusal(await issue('alice', { scope: ['drafter'], expiresAt: now + 400 * DAY })),
    ).toEqual([400, 'TOKEN_EXPIRY_INVALID'])
    // Another party's officer is not there for usa's admin; a drafter issues nothing.
    const kadri = await loggedIn(t, 'kadri', ['drafter'], 'est')
    expect(refusal(await issue(kadri.id, { scope: ['drafter'], expiresAt: now + DAY }))).toEqual([
      404,
      'OFFICER_NOT_FOUND',
    ])
    expect(
      refusal(
        await alice.browser.request('POST', '/officers/alice/tokens', {
          scope: ['drafter'],
          expiresAt: now + DAY,
        }),
      ),
    ).toEqual([403, 'FORBIDDEN_ROLE'])
    // None of these left a token behind.
    expect((await carla.browser.request('GET', '/officers/alice/tokens')).body.tokens).toEqual([])
  })

  it('shows its secret once: never listed again, and stored only as a hash', async () => {
    const { token, secret } = await tokenFor('alice', ['drafter'])
    expect(secret).toMatch(/^parley_pat_[A-Za-z0-9_-]{43}$/)
    const listed = await carla.browser.request('GET', '/officers/alice/tokens')
    expect(listed.body.tokens).toEqual([
      expect.objectContaining({ id: token.id, officer: alice.id, scope: ['drafter'] }),
    ])
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(11))
    const rows = await t.database.db.selectFrom('api_tokens').selectAll().execute()
    expect(rows.length).toBeGreaterThan(0)
    expect(JSON.stringify(rows)).not.toContain(secret.slice(11))
    const row = rows.find((r) => r.id === token.id)!
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/)
    // The hash is what the node looks a presented token up by: the secret itself still works.
    expect((await bearer(secret, 'GET', '/channels')).status).toBe(200)
  })

  it('acts as its officer for the two-person rule: Alice’s token cannot approve Alice’s draft', async () => {
    const { secret } = await tokenFor('alice', ['drafter', 'releaser'])
    const queued = await bearer(secret, 'POST', `/channels/${workingGroup}/compose`, {
      type: 'notice.open',
      body: incidentNotice(),
    })
    expect(queued.status).toBe(202)
    const release = queued.body.release.id
    const own = await bearer(secret, 'POST', `/releases/${release}/approve`)
    expect(refusal(own)).toEqual([403, 'RELEASE_OWN_DRAFT'])
    const approved = await ben.browser.request('POST', `/releases/${release}/approve`)
    expect(approved.status).toBe(200)
    expect(approved.body.event.event).toMatchObject({ type: 'notice.open', officer: alice.id })
  })

  it('never reaches past its officer’s compartments or party', async () => {
    const dan = await officerWithToken(t.database.db, () => t.clock.now, {
      party: 'usa',
      roles: ['drafter'],
    })
    for (const path of [`/channels/${workingGroup}`, `/channels/${workingGroup}/timeline`]) {
      expect(refusal(await bearer(dan.token, 'GET', path)), path).toEqual([
        403,
        'CHANNEL_FORBIDDEN',
      ])
    }
    const listed = await bearer(dan.token, 'GET', '/channels')
    expect(listed.body.channels.map((c: { id: string }) => c.id)).not.toContain(workingGroup)
    expect(
      refusal(await bearer(dan.token, 'POST', `/channels/${workingGroup}/messages`, message('x'))),
    ).toEqual([403, 'CHANNEL_FORBIDDEN'])
    // It speaks for its officer's party only, est being hosted here too.
    const est = await bearer(dan.token, 'POST', '/channels', {
      as: 'est',
      title: 'As est',
      members: ['est', 'usa'],
    })
    expect(refusal(est)).toEqual([403, 'PARTY_FORBIDDEN'])
    // An admin's token reads the audit log of the admin's party, not the node's.
    const { secret } = await tokenFor('carla', ['admin'])
    const entries = (await bearer(secret, 'GET', '/audit?limit=500')).body.entries as {
      party: string | null
    }[]
    expect(entries.length).toBeGreaterThan(0)
    expect(entries.filter((entry) => entry.party !== 'usa' && entry.party !== null)).toEqual([])
  })

  it('loses a role when its officer does, and never holds more than its scope', async () => {
    const rita = await loggedIn(t, 'rita', ['drafter', 'releaser'])
    await grant(carla, workingGroup, rita)
    const { secret } = await tokenFor('rita', ['drafter', 'releaser'])
    const viewerOnly = await tokenFor('rita', ['viewer'])
    const queued = await alice.browser.request('POST', `/channels/${workingGroup}/compose`, {
      type: 'notice.open',
      body: incidentNotice({ subject: 'For rita' }),
    })
    expect(
      refusal(
        await bearer(viewerOnly.secret, 'POST', `/channels/${workingGroup}/messages`, message('x')),
      ),
    ).toEqual([403, 'FORBIDDEN_ROLE'])
    const roles = await carla.browser.request('PUT', '/officers/rita/roles', { roles: ['drafter'] })
    expect(roles.status).toBe(200)
    const approve = await bearer(secret, 'POST', `/releases/${queued.body.release.id}/approve`)
    expect(refusal(approve)).toEqual([403, 'FORBIDDEN_ROLE'])
    // The drafter role it still shares with its officer works.
    const posted = await bearer(secret, 'POST', `/channels/${workingGroup}/messages`, message('y'))
    expect(posted.status).toBe(201)
    expect(posted.body.event.event.officer).toBe(rita.id)
  })

  it('is refused once revoked, expired, or its officer disabled', async () => {
    await loggedIn(t, 'erin', ['viewer'])
    const revoked = await tokenFor('erin', ['viewer'])
    const expiring = await tokenFor('erin', ['viewer'], t.clock.now + 60_000)
    const fay = await officerWithToken(t.database.db, () => t.clock.now, {
      party: 'usa',
      roles: ['viewer'],
    })
    expect((await bearer(revoked.secret, 'GET', '/channels')).status).toBe(200)

    const revoke = await carla.browser.request('POST', `/tokens/${revoked.token.id}/revoke`)
    expect(revoke.body).toMatchObject({ id: revoked.token.id, revokedBy: carla.id })
    expect(refusal(await bearer(revoked.secret, 'GET', '/channels'))).toEqual([
      401,
      'TOKEN_REVOKED',
    ])
    const unknown = await carla.browser.request('POST', `/tokens/t_${'0'.repeat(26)}/revoke`)
    expect(refusal(unknown)).toEqual([404, 'TOKEN_NOT_FOUND'])

    t.clock.advance(60_000)
    expect(refusal(await bearer(expiring.secret, 'GET', '/channels'))).toEqual([
      401,
      'TOKEN_EXPIRED',
    ])

    expect((await bearer(fay.token, 'GET', '/channels')).status).toBe(200)
    expect((await carla.browser.request('POST', `/officers/${fay.id}/disable`)).status).toBe(200)
    expect(refusal(await bearer(fay.token, 'GET', '/channels'))).toEqual([
      401,
      'TOKEN_OFFICER_DISABLED',
    ])
    // Enabled again, the officer's token works again: it was never revoked.
    expect((await carla.browser.request('POST', `/officers/${fay.id}/enable`)).status).toBe(200)
    expect((await bearer(fay.token, 'GET', '/channels')).status).toBe(200)
  })

  it('records each change made with it under its officer, and which token it came through', async () => {
    const { token, secret } = await tokenFor('alice', ['drafter'])
    const posted = await bearer(secret, 'POST', `/channels/${workingGroup}/messages`, message('z'))
    expect(posted.status).toBe(201)
    const entries = (await carla.browser.request('GET', '/audit?limit=500')).body.entries as {
      action: string
      officer: string | null
      details: Record<string, unknown>
    }[]
    expect(
      entries.find((e) => e.action === 'token.create' && e.details.token === token.id),
    ).toMatchObject({
      officer: carla.id,
      details: { target: alice.id, scope: 'drafter', via: 'api' },
    })
    expect(entries.filter((e) => e.action === 'token.use' && e.details.token === token.id)).toEqual(
      [
        expect.objectContaining({
          officer: alice.id,
          details: {
            token: token.id,
            method: 'POST',
            route: '/api/v1/channels/:channel/messages',
          },
        }),
      ],
    )
    const listed = await carla.browser.request('GET', '/officers/alice/tokens')
    const used = listed.body.tokens.find((x: { id: string }) => x.id === token.id)
    expect(used.lastUsedAt).toBe(t.clock.now)
  })

  it('is never taken from a URL: not on the stream, not on any route', async () => {
    const { secret } = await tokenFor('alice', ['drafter'])
    expect(await handshake(`/api/v1/stream?token=${secret}`)).toEqual({
      status: 400,
      code: 'TOKEN_IN_URL',
    })
    expect(refusal(await bearer(secret, 'GET', `/channels?token=${secret}`))).toEqual([
      400,
      'TOKEN_IN_URL',
    ])
  })

  it('opens the live stream with a ticket: single use, 30 seconds, as its officer', async () => {
    const { secret } = await tokenFor('alice', ['drafter'])
    const ticket = async () => {
      const reply = await bearer(secret, 'POST', '/stream/tickets')
      expect(reply.status).toBe(201)
      expect(reply.body.expiresAt).toBe(t.clock.now + 30_000)
      return reply.body.ticket as string
    }
    const first = await ticket()
    const socket: WebSocket = await t.app.injectWS(`/api/v1/stream?ticket=${first}`)
    const received: { event: { body: { text: string } } }[] = []
    socket.on('message', (data) => received.push(JSON.parse(String(data))))
    try {
      await alice.browser.request('POST', `/channels/${workingGroup}/messages`, message('live'))
      const start = Date.now()
      while (received.length === 0 && Date.now() - start < 5_000) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      expect(received.map((frame) => frame.event.body.text)).toEqual(['live'])
    } finally {
      socket.terminate()
    }
    // The same ticket again: refused.
    expect(await handshake(`/api/v1/stream?ticket=${first}`)).toEqual({
      status: 401,
      code: 'TICKET_INVALID',
    })
    // A ticket past its 30 seconds: refused.
    const late = await ticket()
    t.clock.advance(30_000)
    expect(await handshake(`/api/v1/stream?ticket=${late}`)).toEqual({
      status: 401,
      code: 'TICKET_INVALID',
    })
    // A session takes tickets too, for a client without the cookie.
    const fromSession = await alice.browser.request('POST', '/stream/tickets')
    expect(fromSession.status).toBe(201)
    expect(await handshake(`/api/v1/stream?ticket=${fromSession.body.ticket}`)).toEqual({
      status: 101,
    })
  })
})
