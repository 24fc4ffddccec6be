import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type WebSocket from 'ws'
import { accessContext, grantAccess } from '../src/features/access/access.service.ts'
import { listAudit } from '../src/features/audit/audit.service.ts'
import { type AuthTestApp, START, startAuthApp } from './support/auth-app.ts'
import { grant, type LoggedIn, loggedIn, message, openChannel } from './support/compartments.ts'

// What an admin and an auditor rely on when a compartment changes: a grant or revocation is
// recorded once, with who and when; a refusal says why and changes nothing; and a grant
// removed behind the node's back (SQL by hand) stops working within the bounds the service
// documents (2 s on the request path, 5 s on an open stream), read on the node's clock.
describe('compartment changes', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let carla: LoggedIn
  let kadri: LoggedIn
  let channel: string

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    alice = await loggedIn(t, 'alice', ['drafter'])
    carla = await loggedIn(t, 'carla', ['admin'])
    kadri = await loggedIn(t, 'kadri', ['admin'], 'est')
    channel = await openChannel(alice, { title: 'Duty desk', members: ['usa', 'rus'] })
  })
  afterAll(() => t.close())

  const auditOf = async (target: string) =>
    (await listAudit(t.database.db, { limit: 500 }))
      .filter((entry) => entry.details.channel === channel && entry.details.target === target)
      .map((entry) => [entry.action, entry.officer, entry.party, entry.time])

  const removeBehindTheNodesBack = (officer: LoggedIn) =>
    t.database.db
      .deleteFrom('channel_access')
      .where('channel', '=', channel)
      .where('officer', '=', officer.id)
      .execute()

  it('grants once however often an admin asks: the first grant’s admin and time stay, audited once', async () => {
    const hal = await loggedIn(t, 'hal', ['viewer'])
    const first = await carla.browser.request('PUT', `/channels/${channel}/access/hal`)
    const at = t.clock.now
    t.clock.advance(60_000)
    const again = await carla.browser.request('PUT', `/channels/${channel}/access/${hal.id}`)
    const expected = {
      officer: hal.id,
      party: 'usa',
      username: 'hal',
      displayName: 'hal',
      disabled: false,
      grantedBy: carla.id,
      grantedAt: at,
    }
    expect([first.status, first.body]).toEqual([200, expected])
    expect([again.status, again.body]).toEqual([200, expected])
    expect(await auditOf(hal.id)).toEqual([['access.grant', carla.id, 'usa', at]])
  })

  it('revokes what was never granted without a word: 204, the list unchanged, nothing audited', async () => {
    const ivy = await loggedIn(t, 'ivy', ['viewer'])
    const before = await carla.browser.request('GET', `/channels/${channel}/access`)
    const revoked = await carla.browser.request('DELETE', `/channels/${channel}/access/ivy`)
    expect(revoked.status).toBe(204)
    expect(await carla.browser.request('GET', `/channels/${channel}/access`)).toMatchObject({
      status: 200,
      body: before.body,
    })
    expect(await auditOf(ivy.id)).toEqual([])
  })

  it('audits a revocation with the admin, the party and the time', async () => {
    const jon = await loggedIn(t, 'jon', ['viewer'])
    await grant(carla, channel, jon)
    const at = t.clock.now
    expect((await carla.browser.request('DELETE', `/channels/${channel}/access/jon`)).status).toBe(
      204,
    )
    expect((await jon.browser.request('GET', `/channels/${channel}`)).body.error.code).toBe(
      'CHANNEL_FORBIDDEN',
    )
    expect(await auditOf(jon.id)).toEqual([
      ['access.grant', carla.id, 'usa', at],
      ['access.revoke', carla.id, 'usa', at],
    ])
  })

  it('refuses to grant a disabled officer, says so, and leaves the list as it was', async () => {
    const kim = await loggedIn(t, 'kim', ['viewer'])
    expect((await carla.browser.request('POST', '/officers/kim/disable')).status).toBe(200)
    const reply = await carla.browser.request('PUT', `/channels/${channel}/access/kim`)
    expect([reply.status, reply.body.error]).toEqual([
      409,
      {
        code: 'ACCESS_GRANT_INVALID',
        message: 'Cannot grant access: kim is disabled',
        details: { reason: 'kim is disabled' },
      },
    ])
    const list = await carla.browser.request('GET', `/channels/${channel}/access`)
    expect(list.body.officers.map((o: { officer: string }) => o.officer)).not.toContain(kim.id)
    expect(await auditOf(kim.id)).toEqual([])
  })

  it('never lists an officer of a party that takes no part in the channel, even when the service is called directly', async () => {
    const access = accessContext(t.database.db, () => t.clock.now)
    const officer = { id: kadri.id, party: 'est', roles: ['admin' as const], session: 'direct' }
    await expect(grantAccess(access, officer, channel, 'kadri')).rejects.toMatchObject({
      code: 'ACCESS_GRANT_INVALID',
      details: { reason: `est takes no part in channel ${channel}` },
    })
    const rows = await t.database.db
      .selectFrom('channel_access')
      .select('officer')
      .where('channel', '=', channel)
      .execute()
    expect(rows.map((row) => row.officer)).not.toContain(kadri.id)
    expect(await auditOf(kadri.id)).toEqual([])
  })

  it('refuses an officer whose grant was removed by hand once 2 s have passed on the node’s clock', async () => {
    const lea = await loggedIn(t, 'lea', ['viewer'])
    await grant(carla, channel, lea)
    expect((await lea.browser.request('GET', `/channels/${channel}/timeline`)).status).toBe(200)
    await removeBehindTheNodesBack(lea)
    t.clock.advance(2_000)
    const refused = await lea.browser.request('GET', `/channels/${channel}/timeline`)
    expect([refused.status, refused.body.error.code]).toEqual([403, 'CHANNEL_FORBIDDEN'])
  })

  it('lets a grant made through the service work at once, whatever the request path remembered', async () => {
    const max = await loggedIn(t, 'max', ['viewer'])
    const before = await max.browser.request('GET', `/channels/${channel}/timeline`)
    expect([before.status, before.body.error.code]).toEqual([403, 'CHANNEL_FORBIDDEN'])
    await grant(carla, channel, max)
    expect((await max.browser.request('GET', `/channels/${channel}/timeline`)).status).toBe(200)
  })

  it('audits the grant of the officer who opens a channel as the creator’s own, at its opening', async () => {
    const entries = (await listAudit(t.database.db, { limit: 500 })).filter(
      (entry) => entry.details.channel === channel && entry.details.target === alice.id,
    )
    expect(entries.map((entry) => [entry.action, entry.officer, entry.time])).toEqual([
      ['access.grant', alice.id, START],
    ])
    expect(entries[0]!.details.reason).toBe('creator')
  })

  it('lists each channel of the party with exactly its own officers, and refuses the others by name', async () => {
    const ola = await loggedIn(t, 'ola', ['viewer'])
    const first = await openChannel(alice, { title: 'First desk', members: ['usa', 'rus'] })
    const second = await openChannel(alice, { title: 'Second desk', members: ['usa', 'rus'] })
    await grant(carla, second, ola)
    const listed = await carla.browser.request('GET', '/access')
    const of = (id: string) =>
      listed.body.channels
        .find((entry: { channel: string }) => entry.channel === id)
        .officers.map((officer: { username: string }) => officer.username)
    expect([of(first), of(second)]).toEqual([['alice'], ['alice', 'ola']])
    const refused = await ola.browser.request('GET', `/channels/${first}`)
    expect([refused.status, refused.body.error.details]).toEqual([403, { channel: first }])
  })

  it('stops streaming a channel whose grant was removed by hand once 5 s have passed on the node’s clock', async () => {
    const ned = await loggedIn(t, 'ned', ['viewer'])
    const other = await openChannel(alice, { title: 'Other desk', members: ['usa', 'rus'] })
    await grant(carla, channel, ned)
    await grant(carla, other, ned)
    const socket = await t.app.injectWS('/api/v1/stream', {
      headers: {
        cookie: `parley_session=${ned.browser.cookie}`,
        host: 'localhost',
        origin: 'http://localhost',
      },
    })
    const texts: string[] = []
    socket.on('message', (data) => texts.push(JSON.parse(String(data)).event.body.text))
    try {
      await alice.browser.request('POST', `/channels/${channel}/messages`, message('first'))
      await until(socket, () => texts.length >= 1)
      await removeBehindTheNodesBack(ned)
      t.clock.advance(5_000)
      await alice.browser.request('POST', `/channels/${channel}/messages`, message('second'))
      await alice.browser.request('POST', `/channels/${other}/messages`, message('elsewhere'))
      await until(socket, () => texts.length >= 2)
      expect(texts).toEqual(['first', 'elsewhere'])
    } finally {
      socket.terminate()
    }
  })
})

/** Waits for frames on a stream; fails the test if they do not come. */
async function until(socket: WebSocket, done: () => boolean, timeout = 5_000): Promise<void> {
  const start = Date.now()
  while (!done()) {
    if (Date.now() - start > timeout || socket.readyState !== socket.OPEN)
      throw new Error('the stream did not deliver')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
