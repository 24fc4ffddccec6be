import type { ChannelPolicySchema } from '@parley/protocol'
import type { Static } from 'typebox'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { ApiRequestError, createApiClient } from './client.ts'

interface Sent {
  readonly url: string
  readonly method: string
  readonly headers: Record<string, string>
  readonly body: unknown
}

const CHANNEL = 'ch_01JZ8Q9W5RM3XKQ4TBNVEGH7CD'

/** A node that answers from a script, recording what the client sent. */
function scripted(...answers: (() => Response)[]) {
  const sent: Sent[] = []
  const fetch = (async (url: string, init: RequestInit) => {
    sent.push({
      url,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body: init.body === undefined ? undefined : JSON.parse(init.body as string),
    })
    const answer = answers.shift()
    if (answer === undefined) throw new Error('the script has no answer left')
    return answer()
  }) as typeof globalThis.fetch
  return { sent, fetch }
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    })

const session = {
  stage: 'active',
  csrfToken: 'csrf-1',
  expiresAt: 1,
  officer: null,
  secondFactors: [],
  setup: { mustChangePassword: false, mustEnrolSecondFactor: false },
}

describe('the API client', () => {
  it('keeps the session cookie and sends the CSRF token on changes, not on reads', async () => {
    const node = scripted(
      json(200, session, { 'set-cookie': 'parley_session=tok-1; Path=/; HttpOnly' }),
      json(200, { channels: [] }),
      json(201, { event: {} }),
    )
    const api = createApiClient({
      baseUrl: 'http://node',
      origin: 'http://node',
      fetch: node.fetch,
    })
    await api.login({ body: { username: 'alice', password: 'pw' } })
    await api.listChannels()
    await api.joinChannel({ params: { channel: CHANNEL }, body: {} })
    const [login, read, change] = node.sent
    expect(login!.headers.cookie).toBeUndefined()
    expect(login!.headers.origin).toBe('http://node')
    expect(read!.headers.cookie).toBe('parley_session=tok-1')
    expect(read!.headers['x-csrf-token']).toBeUndefined()
    expect(change!.headers['x-csrf-token']).toBe('csrf-1')
    expect(change!.url).toBe(`http://node/api/v1/channels/${CHANNEL}/join`)
    expect(change!.body).toEqual({})
  })

  it('puts path parameters and the query string where the route table says', async () => {
    const node = scripted(json(200, { releases: [] }), json(200, { entries: [] }))
    const api = createApiClient({ baseUrl: 'http://node', token: 'automation', fetch: node.fetch })
    await api.listReleases({ query: { channel: CHANNEL, status: 'pending', limit: 5 } })
    await api.listAudit({ query: {} })
    expect(node.sent.map((request) => request.url)).toEqual([
      `http://node/api/v1/releases?channel=${CHANNEL}&status=pending&limit=5`,
      'http://node/api/v1/audit',
    ])
    expect(node.sent[0]!.headers.authorization).toBe('Bearer automation')
  })

  it('throws the node’s refusal as an ApiRequestError with its status, code and details', async () => {
    const refusal = {
      error: { code: 'ACCOUNT_LOCKED', message: 'locked', details: { retryAfter: 60 } },
    }
    const api = createApiClient({
      baseUrl: 'http://node',
      fetch: scripted(json(429, refusal)).fetch,
    })
    const error = await api.login({ body: { username: 'a', password: 'b' } }).catch((e) => e)
    expect(error).toBeInstanceOf(ApiRequestError)
    expect(error).toMatchObject({ status: 429, code: 'ACCOUNT_LOCKED', body: refusal })
    expect((error as ApiRequestError).details).toEqual({ retryAfter: 60 })
  })

  it('refuses an answer that is not an API error with RESPONSE_INVALID', async () => {
    const proxy = () => new Response('<html>Bad gateway</html>', { status: 502 })
    const api = createApiClient({ baseUrl: 'http://node', fetch: scripted(proxy).fetch })
    const error = (await api.getNode().catch((e) => e)) as ApiRequestError
    expect(error.status).toBe(502)
    expect(error.code).toBe('RESPONSE_INVALID')
    expect(error.details).toEqual({ status: 502, reason: 'not an API error' })
  })

  it('logs in again once when the session ended, then repeats the call', async () => {
    const ended = { error: { code: 'SESSION_EXPIRED', message: 'expired' } }
    const node = scripted(json(401, ended), json(200, { alarms: [] }), json(401, ended))
    let logins = 0
    const api = createApiClient({
      baseUrl: 'http://node',
      fetch: node.fetch,
      onSessionEnded: async () => {
        logins += 1
      },
    })
    expect(await api.listAlarms()).toEqual({ alarms: [] })
    expect(logins).toBe(1)
    // A login that fails is the caller's to handle, never retried.
    await expect(api.login({ body: { username: 'a', password: 'b' } })).rejects.toMatchObject({
      code: 'SESSION_EXPIRED',
    })
    expect(logins).toBe(1)
  })

  it('types each method’s argument and answer from the route table’s schemas', () => {
    const api = createApiClient({ baseUrl: 'http://node' })
    type Answer<K extends keyof typeof api> = Awaited<ReturnType<(typeof api)[K]>>
    expectTypeOf<Answer<'getChannel'>['policy']>().toEqualTypeOf<
      Static<typeof ChannelPolicySchema> | object
    >()
    expectTypeOf<Parameters<typeof api.getChannel>>().toEqualTypeOf<
      [input: { readonly params: { channel: string } }]
    >()
    expectTypeOf<Parameters<typeof api.getSession>>().toEqualTypeOf<[]>()
    expectTypeOf<Answer<'logout'>>().toEqualTypeOf<undefined>()
    // A composition is one branch per event type: the body is checked against its type's schema.
    expectTypeOf<Parameters<typeof api.compose>[0]['body']>()
      .extract<{ type: 'notice.ack' }>()
      .toEqualTypeOf<{ as?: string; type: 'notice.ack'; body: { notice: string } }>()
    expectTypeOf(api).not.toHaveProperty('stream')
  })

  it('answers undefined for a route without content', async () => {
    const api = createApiClient({
      baseUrl: 'http://node',
      fetch: scripted(() => new Response(null, { status: 204 })).fetch,
    })
    expect(await api.logout()).toBeUndefined()
  })
})
