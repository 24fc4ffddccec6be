import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SESSION_CACHE_TTL_MS } from '../src/node/session-cache.ts'
import { type AuthTestApp, Browser, startAuthApp } from './support/auth-app.ts'
import { grant, type LoggedIn, loggedIn, message, openChannel } from './support/compartments.ts'
import { PASSWORD } from './support/officers.ts'

// Every request below is sent right after the one before: within the cache's lifetime, so each
// test shows that the change itself, not the cache ageing, ends what the session could do.
describe('the session lookup cached in process', () => {
  let t: AuthTestApp
  let admin: LoggedIn

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    admin = await loggedIn(t, 'admin', ['admin', 'drafter'])
  })
  afterAll(() => t.close())

  const session = (who: LoggedIn | Browser) =>
    ('browser' in who ? who.browser : who).request('GET', '/auth/session')
  const replay = (cookie: string) => {
    const browser = new Browser(t.app)
    browser.cookie = cookie
    return browser
  }

  it('keeps a session row for a moment: a change behind the node’s back shows after it', async () => {
    const officer = await loggedIn(t, 'cached', ['viewer'])
    const list = () => officer.browser.request('GET', '/channels')
    expect((await list()).status).toBe(200)
    // Not through the node: only the cache's age can make the node see it.
    await t.database.db.deleteFrom('sessions').where('officer', '=', officer.id).execute()
    expect((await list()).status).toBe(200)
    t.clock.advance(SESSION_CACHE_TTL_MS)
    expect((await list()).body.error.code).toBe('AUTH_REQUIRED')
  })

  it('forgets a session at logout: the old cookie is refused at once', async () => {
    const officer = await loggedIn(t, 'leaver', ['viewer'])
    const cookie = officer.browser.cookie!
    expect((await session(officer)).status).toBe(200)
    expect((await officer.browser.request('POST', '/auth/logout')).status).toBe(204)
    expect((await session(replay(cookie))).body.error.code).toBe('AUTH_REQUIRED')
  })

  it('forgets the other sessions an officer revokes by changing their password', async () => {
    const officer = await loggedIn(t, 'changer', ['viewer'])
    const other = new Browser(t.app)
    await other.login('changer', PASSWORD)
    expect((await session(other)).status).toBe(200)
    const changed = await officer.browser.request('POST', '/auth/password', {
      current: PASSWORD,
      next: 'a brand new passphrase here',
    })
    expect(changed.status).toBe(200)
    expect((await session(other)).body.error.code).toBe('AUTH_REQUIRED')
    expect((await session(officer)).status).toBe(200)
  })

  it('forgets every session of an officer whose password an admin resets', async () => {
    const officer = await loggedIn(t, 'reset', ['viewer'])
    expect((await session(officer)).status).toBe(200)
    const reset = await admin.browser.request('POST', `/officers/${officer.id}/reset-password`, {})
    expect(reset.status).toBe(200)
    expect((await session(officer)).body.error.code).toBe('AUTH_REQUIRED')
  })

  it('forgets every session of an officer an admin disables', async () => {
    const officer = await loggedIn(t, 'disabled', ['viewer'])
    expect((await session(officer)).status).toBe(200)
    expect((await admin.browser.request('POST', `/officers/${officer.id}/disable`)).status).toBe(
      200,
    )
    expect((await session(officer)).body.error.code).toBe('AUTH_REQUIRED')
  })

  it('sees a role change on the next request, both ways', async () => {
    const officer = await loggedIn(t, 'promoted', ['viewer'])
    const desk = await openChannel(admin, { title: 'Roles', members: ['usa', 'rus'] })
    await grant(admin, desk, officer)
    const post = () => officer.browser.request('POST', `/channels/${desk}/messages`, message('hi'))
    expect((await post()).body.error.code).toBe('FORBIDDEN_ROLE')
    await admin.browser.request('PUT', `/officers/${officer.id}/roles`, { roles: ['drafter'] })
    expect((await post()).status).toBe(201)
    await admin.browser.request('PUT', `/officers/${officer.id}/roles`, { roles: ['viewer'] })
    expect((await post()).body.error.code).toBe('FORBIDDEN_ROLE')
  })

  it('sees a compartment change on the next request, both ways', async () => {
    const officer = await loggedIn(t, 'compartment', ['viewer'])
    const desk = await openChannel(admin, { title: 'Compartment', members: ['usa', 'rus'] })
    const read = () => officer.browser.request('GET', `/channels/${desk}/timeline`)
    expect((await read()).body.error.code).toBe('CHANNEL_FORBIDDEN')
    await grant(admin, desk, officer)
    expect((await read()).status).toBe(200)
    const revoked = await admin.browser.request('DELETE', `/channels/${desk}/access/${officer.id}`)
    expect(revoked.status).toBe(204)
    expect((await read()).body.error.code).toBe('CHANNEL_FORBIDDEN')
  })
})
