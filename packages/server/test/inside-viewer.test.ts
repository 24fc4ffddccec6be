import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

// Issue 15 from the side of a viewer: Dan reads, outside the working group's compartment;
// Vera reads, inside it. Neither may write, release or read the audit log, and probing ids
// must not tell them what exists.
//
// Covered elsewhere, not repeated here:
// - path 5 (peer health names only channels the officer may see; the rest are a count), as
//   Dan the viewer sees it: peer-binding.test.ts, "peer health shown to an officer";
// - a channel that does not exist answers Dan like one outside his compartment, and his live
//   stream carries only his compartments' events: access.test.ts;
// - every route × every role, inside and outside the compartment: authorization-matrix.test.ts.

describe('a viewer', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let dan: LoggedIn
  let vera: LoggedIn
  let workingGroup: string
  let release: string

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    alice = await loggedIn(t, 'alice', ['drafter'])
    dan = await loggedIn(t, 'dan', ['viewer'])
    vera = await loggedIn(t, 'vera', ['viewer'])
    const carla = await loggedIn(t, 'carla', ['admin'])
    workingGroup = await openChannel(alice, {
      title: 'US–Russia ICT Security Working Group',
      members: ['usa', 'rus'],
      policy: WORKING_GROUP_POLICY,
    })
    await grant(carla, workingGroup, vera)
    const queued = await alice.browser.request('POST', `/channels/${workingGroup}/compose`, {
      type: 'notice.open',
      body: incidentNotice(),
    })
    expect(queued.status).toBe(202)
    release = queued.body.release.id
  })
  afterAll(() => t.close())

  const answer = (reply: Reply, id: string) => [
    reply.status,
    JSON.stringify(reply.body).replaceAll(id, '<id>'),
  ]
  const neverWas = `r_${'0'.repeat(26)}`

  it('path 8: gets one answer for a release that exists and one that never was, in or out', async () => {
    for (const viewer of [dan, vera]) {
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['POST', '/reject', { reason: 'probe' }],
        ['POST', '/approve', undefined],
      ] as const) {
        const real = await viewer.browser.request(method, `/releases/${release}${suffix}`, body)
        const fake = await viewer.browser.request(method, `/releases/${neverWas}${suffix}`, body)
        expect(answer(real, release), `${viewer.username} ${method} ${suffix}`).toEqual(
          answer(fake, neverWas),
        )
        expect(real.body.error.code).toBe('FORBIDDEN_ROLE')
      }
    }
    // The item is still waiting: no probe touched it.
    const listed = await alice.browser.request('GET', `/releases?channel=${workingGroup}`)
    expect(listed.body.releases).toEqual([
      expect.objectContaining({ id: release, status: 'pending' }),
    ])
  })

  it('composes, posts, opens and approves nothing, inside the compartment too', async () => {
    const before = (await vera.browser.request('GET', `/channels/${workingGroup}/timeline`)).body
      .events.length
    const attempts = [
      vera.browser.request('POST', `/channels/${workingGroup}/compose`, {
        type: 'notice.open',
        body: incidentNotice(),
      }),
      vera.browser.request('POST', `/channels/${workingGroup}/messages`, message('from vera')),
      vera.browser.request('POST', '/channels', { title: 'Mine', members: ['usa', 'rus'] }),
      vera.browser.request('POST', `/releases/${release}/approve`),
    ]
    for (const reply of await Promise.all(attempts)) {
      expect([reply.status, reply.body.error.code]).toEqual([403, 'FORBIDDEN_ROLE'])
    }
    const after = (await vera.browser.request('GET', `/channels/${workingGroup}/timeline`)).body
      .events.length
    expect(after).toBe(before)
  })

  it('reads no audit log, no officer list and no access lists, and mints no token', async () => {
    for (const [method, path] of [
      ['GET', '/audit'],
      ['GET', '/officers'],
      ['GET', '/access'],
      ['GET', `/channels/${workingGroup}/access`],
      ['GET', `/officers/${vera.id}/tokens`],
    ] as const) {
      const reply = await vera.browser.request(method, path)
      expect([reply.status, reply.body.error.code], path).toEqual([403, 'FORBIDDEN_ROLE'])
    }
    const mint = await vera.browser.request('POST', `/officers/${vera.id}/tokens`, {
      scope: ['viewer'],
      expiresAt: t.clock.now + 86_400_000,
    })
    expect([mint.status, mint.body.error.code]).toEqual([403, 'FORBIDDEN_ROLE'])
  })

  it('holds no more through an API token than in a session', async () => {
    // A viewer's automation: what Dan's token may do is what Dan may do.
    const bot = await officerWithToken(t.database.db, () => t.clock.now, {
      party: 'usa',
      roles: ['viewer'],
    })
    const as = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
      t.app.inject({
        method,
        url: `/api/v1${url}`,
        headers: {
          authorization: `Bearer ${bot.token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      })
    const code = async (reply: ReturnType<typeof as>) => {
      const r = await reply
      return [r.statusCode, r.json().error?.code]
    }
    expect(await code(as('GET', `/channels/${workingGroup}/timeline`))).toEqual([
      403,
      'CHANNEL_FORBIDDEN',
    ])
    expect(await code(as('GET', '/audit'))).toEqual([403, 'FORBIDDEN_ROLE'])
    expect(
      await code(as('POST', `/channels/${workingGroup}/messages`, message('from a token'))),
    ).toEqual([403, 'FORBIDDEN_ROLE'])
    expect(await code(as('GET', `/releases/${release}`))).toEqual(
      await code(as('GET', `/releases/${neverWas}`)),
    )
  })
})
