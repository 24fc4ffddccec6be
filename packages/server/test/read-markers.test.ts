import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthTestApp, startAuthApp } from './support/auth-app.ts'
import { grant, type LoggedIn, loggedIn, message, openChannel } from './support/compartments.ts'
import { wholeTimeline } from './support/pages.ts'

describe('read markers and unread counts (PUT /channels/:channel/read)', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let bob: LoggedIn
  let desk: string
  let ids: string[]

  const unreadIn = async (who: LoggedIn, channel: string) => {
    const list = await who.browser.request('GET', '/channels')
    const view = await who.browser.request('GET', `/channels/${channel}`)
    const listed = list.body.channels.find((c: { id: string }) => c.id === channel).unread
    expect(view.body.unread).toBe(listed)
    return listed as number
  }

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    alice = await loggedIn(t, 'alice', ['drafter', 'admin'])
    bob = await loggedIn(t, 'bob', ['viewer'])
    desk = await openChannel(alice, { title: 'Duty desk', members: ['usa', 'rus'] })
    await grant(alice, desk, bob)
    const reply = await alice.browser.request('POST', `/channels/${desk}/messages/batch`, {
      messages: Array.from({ length: 12 }, (_, i) => message(`m${i}`)),
    })
    expect(reply.status).toBe(201)
    ids = (await wholeTimeline<{ id: string }>((p) => alice.browser.request('GET', p), desk)).map(
      (v) => v.id,
    )
  })
  afterAll(() => t.close())

  it('counts every event as unread before the officer marks any', async () => {
    expect(ids).toHaveLength(13)
    expect(await unreadIn(bob, desk)).toBe(13)
  })

  it('counts the events after the marker, per officer', async () => {
    const reply = await bob.browser.request('PUT', `/channels/${desk}/read`, { upTo: ids[4] })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ channel: desk, upTo: ids[4], unread: 8 })
    expect(await unreadIn(bob, desk)).toBe(8)
    expect(await unreadIn(alice, desk)).toBe(13)
  })

  it('never moves a marker backwards', async () => {
    await bob.browser.request('PUT', `/channels/${desk}/read`, { upTo: ids[9] })
    const back = await bob.browser.request('PUT', `/channels/${desk}/read`, { upTo: ids[2] })
    expect(back.status).toBe(200)
    expect(back.body).toEqual({ channel: desk, upTo: ids[9], unread: 3 })
    expect(await unreadIn(bob, desk)).toBe(3)
  })

  it('counts new events as they arrive, and none once read up to the newest', async () => {
    await alice.browser.request('POST', `/channels/${desk}/messages`, message('late'))
    expect(await unreadIn(bob, desk)).toBe(4)
    const newest = (await bob.browser.request('GET', `/channels/${desk}/timeline?limit=1`)).body
      .events[0].id
    await bob.browser.request('PUT', `/channels/${desk}/read`, { upTo: newest })
    expect(await unreadIn(bob, desk)).toBe(0)
  })

  it('refuses an event the channel does not hold with READ_MARKER_EVENT_UNKNOWN', async () => {
    const other = await openChannel(alice, { title: 'Other', members: ['usa', 'rus'] })
    const foreign = (await alice.browser.request('GET', `/channels/${other}/timeline`)).body
      .events[0].id
    const reply = await bob.browser.request('PUT', `/channels/${desk}/read`, { upTo: foreign })
    expect(reply.status).toBe(404)
    expect(reply.body.error.code).toBe('READ_MARKER_EVENT_UNKNOWN')
    const missing = await bob.browser.request('PUT', `/channels/${desk}/read`, {
      upTo: 'f'.repeat(64),
    })
    expect(missing.body.error.code).toBe('READ_MARKER_EVENT_UNKNOWN')
    expect(await unreadIn(bob, desk)).toBe(0)
  })
})
