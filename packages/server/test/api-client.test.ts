import {
  type ApiClient,
  ApiRequestError,
  createApiClient,
  errorCodes,
  type Operation,
  operations,
} from '@parley/api'
import { Value } from 'typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthTestApp, startAuthApp } from './support/auth-app.ts'
import { WORKING_GROUP_POLICY } from './support/compartments.ts'
import { addOfficer, nextStep, PASSWORD, totpCode } from './support/officers.ts'
import { officerWithToken } from './support/tokens.ts'

const table = Object.entries(operations as Record<string, Operation>)

/** The operation of the table a request was for, by method and path. */
function operationOf(method: string, url: string): [string, Operation] | undefined {
  const path = new URL(url).pathname.replace(/^\/api\/v1/, '')
  return table.find(
    ([, op]) =>
      op.method === method && new RegExp(`^${op.path.replace(/:\w+/g, '[^/]+')}$`).test(path),
  )
}

/**
 * `fetch` over `app.inject`: the client talks to the built app in-process, as a browser page of
 * the node would. Every success answer is checked against its schema in the route table (the
 * node serializes without it, so this is where a schema that lies would show), and every
 * refusal's code against the codes the table lists for the operation.
 */
function injectFetch(t: AuthTestApp, seen: Set<string>, mismatches: string[]) {
  return (async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET'
    const reply = await t.app.inject({
      method: method as 'GET',
      url: new URL(url).pathname + new URL(url).search,
      headers: { host: 'localhost', ...(init.headers as Record<string, string>) },
      ...(init.body === undefined ? {} : { payload: init.body as string }),
    })
    const found = operationOf(method, url)
    if (found !== undefined) {
      const [name, op] = found
      seen.add(name)
      const body = reply.body === '' ? undefined : JSON.parse(reply.body)
      const schema = op.responses[reply.statusCode]
      if (reply.statusCode < 300 && schema !== undefined && schema !== null) {
        const error = Value.Errors(schema, body)[0]
        if (error !== undefined) mismatches.push(`${name}: ${JSON.stringify(error)}`)
      }
      if (reply.statusCode >= 400 && !errorCodes(op).includes(body?.error?.code)) {
        mismatches.push(`${name} answered ${body?.error?.code}, which its table entry omits`)
      }
    }
    const headers = new Headers()
    for (const [name, value] of Object.entries(reply.headers)) {
      for (const one of Array.isArray(value) ? value : [value]) {
        if (one !== undefined) headers.append(name, String(one))
      }
    }
    return new Response(reply.statusCode === 204 ? null : reply.body, {
      status: reply.statusCode,
      headers,
    })
  }) as typeof fetch
}

describe('the typed API client against a built node', () => {
  let t: AuthTestApp
  const seen = new Set<string>()
  const mismatches: string[] = []
  const client = (options: { token?: string } = {}) =>
    createApiClient({
      baseUrl: 'http://localhost',
      origin: 'http://localhost',
      fetch: injectFetch(t, seen, mismatches),
      ...options,
    })
  /** An officer logged in with a password and an authenticator app, as the node requires. */
  const enrolled = async (username: string, password: string): Promise<ApiClient> => {
    const api = client()
    const first = await api.login({ body: { username, password } })
    expect(first.setup.mustEnrolSecondFactor).toBe(true)
    const { secret } = await api.beginTotpEnrolment()
    const confirmed = await api.confirmTotpEnrolment({
      body: { code: await totpCode(secret, t.clock.now) },
    })
    expect(confirmed.recoveryCodes).toHaveLength(10)
    nextStep(t)
    return api
  }

  beforeAll(async () => {
    t = await startAuthApp()
  })
  afterAll(() => t.close())

  it('calls every family of operations with typed answers, and refuses with typed errors', async () => {
    await addOfficer(t, 'ada', ['viewer', 'drafter', 'releaser', 'admin'])
    const ada = await enrolled('ada', PASSWORD)
    const session = await ada.getSession()
    expect(session.stage).toBe('active')
    expect(session.officer?.username).toBe('ada')

    // officers: ben gets a generated password, changes it, and enrols.
    const created = await ada.createOfficer({
      body: { username: 'ben', displayName: 'Ben', roles: ['viewer', 'releaser'] },
    })
    expect(created.officer.mustChangePassword).toBe(true)
    const benFirst = client()
    await benFirst.login({ body: { username: 'ben', password: created.password! } })
    const renewed = await benFirst.changePassword({
      body: { current: created.password!, next: 'another long passphrase' },
    })
    expect(renewed.setup.mustChangePassword).toBe(false)
    const ben = await enrolled('ben', 'another long passphrase')
    expect((await ada.listOfficers()).officers.map((officer) => officer.username)).toEqual(
      expect.arrayContaining(['ada', 'ben']),
    )

    // channels: one that holds notices for a second officer; est, hosted here too, joins.
    const opened = await ada.openChannel({
      body: {
        title: 'Working group',
        members: ['usa', 'est'],
        policy: {
          languages: ['en'],
          ackWithin: { routine: 86_400_000, priority: 3_600_000, flash: 900_000 },
          respondWithin: 259_200_000,
          // The node's release floor: a channel may tighten it, never loosen it.
          release: WORKING_GROUP_POLICY.release,
        },
      },
    })
    const channel = opened.channel.id
    expect(opened.event.event.type).toBe('channel.create')
    const granted = await ada.grantAccess({ params: { channel, officer: 'ben' } })
    expect(granted.username).toBe('ben')
    // est's automation: an officer of est on the channel's access list, with a token.
    const estBot = await officerWithToken(t.database.db, () => t.clock.now, {
      party: 'est',
      roles: ['drafter'],
      channels: [channel],
    })
    const automation = client({ token: estBot.token })
    const joined = await automation.joinChannel({ params: { channel }, body: { as: 'est' } })
    expect(joined.event.event.author).toBe('est')
    const listed = (await ada.listChannels()).channels.find((c) => c.id === channel)
    const policy = (await ada.getChannel({ params: { channel } })).policy
    expect(listed?.members.every((member) => member.joined)).toBe(true)
    expect('release' in policy && policy.release.twoPersonRule).toEqual(
      WORKING_GROUP_POLICY.release?.twoPersonRule,
    )

    // messages
    const posted = await ada.postMessage({
      params: { channel },
      body: { text: 'Good morning', lang: 'en', urgency: 'routine', tlp: 'green' },
    })
    if (!('event' in posted)) throw new Error('a message was held for release')
    const batch = await ada.postMessages({
      params: { channel },
      body: { messages: [{ text: 'one', lang: 'en', urgency: 'routine', tlp: 'green' }] },
    })
    expect(batch.events).toHaveLength(1)
    const translated = await ada.postTranslation({
      params: { channel },
      body: { of: posted.event.id, lang: 'fr', text: 'Bonjour' },
    })
    expect('event' in translated && translated.event.event.type).toBe('message.translate')
    const timeline = await ada.getTimeline({ params: { channel } })
    expect(timeline.events.map((view) => view.event.type)).toEqual([
      'channel.create',
      'channel.join',
      'message.post',
      'message.post',
      'message.translate',
    ])

    // release: a notice waits for ben.
    const notice = {
      kind: 'information',
      subject: 'A test notice',
      summary: 'Nothing happened.',
      lang: 'en',
      urgency: 'routine',
      tlp: 'green',
    } as const
    const queued = await ada.compose({
      params: { channel },
      body: { type: 'notice.open', body: notice },
    })
    if (!('release' in queued)) throw new Error('the notice was not held for release')
    expect(queued.release.type === 'notice.open' && queued.release.body.subject).toBe(
      'A test notice',
    )
    const own = await ada.approveRelease({ params: { release: queued.release.id } }).catch((e) => e)
    expect(own).toBeInstanceOf(ApiRequestError)
    expect(own).toMatchObject({ status: 403, code: 'RELEASE_OWN_DRAFT' })
    expect(
      (await ben.listReleases({ query: { channel, status: 'pending' } })).releases,
    ).toHaveLength(1)
    expect((await ben.getRelease({ params: { release: queued.release.id } })).status).toBe(
      'pending',
    )
    const approved = await ben.approveRelease({ params: { release: queued.release.id } })
    expect(approved.event.event.type).toBe('notice.open')
    const second = await ada.compose({
      params: { channel },
      body: { type: 'notice.open', body: notice },
    })
    if (!('release' in second)) throw new Error('the notice was not held for release')
    const rejected = await ben.rejectRelease({
      params: { release: second.release.id },
      body: { reason: 'once is enough' },
    })
    expect(rejected.status).toBe('rejected')

    // access
    expect((await ada.listCompartments()).channels.map((row) => row.channel)).toContain(channel)
    expect(
      (await ada.getAccessList({ params: { channel } })).officers.map((o) => o.username),
    ).toContain('ben')
    expect(await ada.revokeAccess({ params: { channel, officer: 'ben' } })).toBeUndefined()

    // audit and node
    const audit = await ada.listAudit({ query: { limit: 500 } })
    expect(audit.entries.map((entry) => entry.action)).toContain('release.approve')
    const node = await ada.getNode()
    expect(node.parties.map((party) => party.id)).toEqual(['usa', 'est'])
    expect((await ada.listAlarms()).alarms).toEqual([])
    const insecure = await ada
      .addPeer({ body: { url: 'http://peer.example', fingerprint: 'x' } })
      .catch((e) => e)
    expect(insecure).toMatchObject({ status: 400, code: 'FEDERATION_URL_INSECURE' })

    // a typed refusal: the client throws the node's ApiError with its status
    const missing = await ada
      .getTimeline({ params: { channel: 'ch_00000000000000000000000000' } })
      .catch((e) => e)
    expect(missing).toBeInstanceOf(ApiRequestError)
    expect(missing.status).toBe(403)
    expect(missing.body.error.code).toBe('CHANNEL_FORBIDDEN')

    // tokens: ada issues ben a viewer token, lists and revokes it; ada takes a stream ticket
    const issued = await ada.createApiToken({
      params: { officer: 'ben' },
      body: { scope: ['viewer'], expiresAt: t.clock.now + 86_400_000, label: 'ci' },
    })
    expect(issued.secret).toMatch(/^parley_pat_[A-Za-z0-9_-]{43}$/)
    const tokens = (await ada.listApiTokens({ params: { officer: 'ben' } })).tokens
    expect(tokens).toEqual([issued.token])
    expect((await ada.revokeApiToken({ params: { token: issued.token.id } })).revokedAt).toBe(
      t.clock.now,
    )
    expect((await ada.createStreamTicket()).ticket).toMatch(/^parley_wst_/)

    // sessions end
    expect(await ben.logout()).toBeUndefined()
    await expect(ben.getSession()).rejects.toMatchObject({ status: 401, code: 'AUTH_REQUIRED' })

    const families = new Set(
      [...seen].map((name) => operations[name as keyof typeof operations].tags[0]),
    )
    expect([...families].sort()).toEqual([
      'access',
      'audit',
      'auth',
      'channels',
      'messages',
      'node',
      'officers',
      'release',
      'stream',
      'tokens',
    ])
    expect(mismatches).toEqual([])
  })

  it('shows the ledger’s details when it refuses a post', async () => {
    const usaBot = await officerWithToken(t.database.db, () => t.clock.now, {
      party: 'usa',
      roles: ['drafter'],
    })
    const { channel } = await client({ token: usaBot.token }).openChannel({
      body: { title: 'Refusals', members: ['usa', 'est'] },
    })
    const estBot = await officerWithToken(t.database.db, () => t.clock.now, {
      party: 'est',
      roles: ['drafter'],
      channels: [channel.id],
    })
    // est is invited but has not joined: the ledger refuses what it signs, and says why.
    const refused = await client({ token: estBot.token })
      .postMessage({
        params: { channel: channel.id },
        body: { as: 'est', text: 'too early', lang: 'en', urgency: 'routine', tlp: 'green' },
      })
      .catch((e) => e)
    expect(refused).toBeInstanceOf(ApiRequestError)
    expect(refused.status).toBe(403)
    expect(refused.body.error).toEqual({
      code: 'FORBIDDEN_FOR_TYPE',
      message:
        'est may not send message.post: a participant’s first event in a channel is its channel.join',
      details: {
        author: 'est',
        type: 'message.post',
        reason: 'a participant’s first event in a channel is its channel.join',
      },
    })
    expect(mismatches).toEqual([])
  })
})
