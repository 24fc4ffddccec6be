import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newChannelId } from '../src/features/channels/channels.service.ts'
import { type AuthTestApp, type Reply, startAuthApp } from './support/auth-app.ts'
import {
  grant,
  incidentNotice,
  type LoggedIn,
  loggedIn,
  openChannel,
  WORKING_GROUP_POLICY,
} from './support/compartments.ts'

// Issue 15, path 8, from the side of an admin of the node's own party who is outside a
// compartment: Carla manages access lists, but the working group's contents are not hers to
// see, and probing ids must not tell her what exists in it.

describe('an admin outside the compartment', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let carla: LoggedIn
  let workingGroup: string
  let release: string

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    alice = await loggedIn(t, 'alice', ['drafter'])
    carla = await loggedIn(t, 'carla', ['admin'])
    workingGroup = await openChannel(alice, {
      title: 'US–Russia ICT Security Working Group',
      members: ['usa', 'rus'],
      policy: WORKING_GROUP_POLICY,
    })
    const queued = await alice.browser.request('POST', `/channels/${workingGroup}/compose`, {
      type: 'notice.open',
      body: incidentNotice(),
    })
    expect(queued.status).toBe(202)
    release = queued.body.release.id
  })
  afterAll(() => t.close())

  // The answer without the id it names: what Carla could compare between two probes.
  const answer = (reply: Reply, id: string) => [
    reply.status,
    JSON.stringify(reply.body).replaceAll(id, '<id>'),
  ]
  const randomRelease = () =>
    `r_${Array.from({ length: 26 }, () => '0123456789abcdefghjkmnpqrstvwxyz'[Math.floor(Math.random() * 32)]).join('')}`

  it('gets the same answer for a release in the working group as for one that never was', async () => {
    const missing = randomRelease()
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['POST', '/reject', { reason: 'probing' }],
      ['POST', '/approve', undefined],
    ] as const) {
      const real = await carla.browser.request(method, `/releases/${release}${suffix}`, body)
      const none = await carla.browser.request(method, `/releases/${missing}${suffix}`, body)
      expect(answer(real, release)).toEqual(answer(none, missing))
      expect([real.status, real.body.error.code]).toEqual([404, 'RELEASE_NOT_FOUND'])
    }
    const still = await alice.browser.request('GET', `/releases/${release}`)
    expect(still.body.status).toBe('pending')
  })

  it('gets the same answer for the working group as for a channel that does not exist', async () => {
    const missing = newChannelId()
    for (const suffix of ['', '/timeline']) {
      const real = await carla.browser.request('GET', `/channels/${workingGroup}${suffix}`)
      const none = await carla.browser.request('GET', `/channels/${missing}${suffix}`)
      expect(answer(real, workingGroup)).toEqual(answer(none, missing))
      expect(real.body.error.code).toBe('CHANNEL_FORBIDDEN')
    }
  })

  it('sees the release once she puts herself on the list, which the audit log records', async () => {
    // Another admin than Carla, so that Carla stays outside for the other tests in any order.
    const dana = await loggedIn(t, 'dana', ['admin'])
    expect((await dana.browser.request('GET', `/releases/${release}`)).status).toBe(404)
    await grant(dana, workingGroup, dana)
    const item = await dana.browser.request('GET', `/releases/${release}`)
    expect(item.status).toBe(200)
    const log = await dana.browser.request('GET', '/audit?limit=500')
    expect(log.body.entries).toContainEqual(
      expect.objectContaining({ action: 'access.grant', officer: dana.id }),
    )
  })
})
