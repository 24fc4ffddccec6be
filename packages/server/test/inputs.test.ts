import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listAudit } from '../src/features/audit/audit.service.ts'
import { type AuthTestApp, Browser, type Reply, startAuthApp } from './support/auth-app.ts'
import { type LoggedIn, loggedIn, message, openChannel } from './support/compartments.ts'
import { PASSWORD } from './support/officers.ts'

// Issue 15, paths 6, 7, 11–15: what an officer's client (or anyone who reaches the officer API)
// sends that the node cannot read as it was meant. Each is refused whole, with its own code,
// and nothing is written; a refused login still counts and is audited.

describe('the officer API’s input layer', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let carla: LoggedIn
  let desk: string

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false, addressLockoutFailures: 4 } })
    alice = await loggedIn(t, 'alice', ['drafter'])
    carla = await loggedIn(t, 'carla', ['admin'])
    desk = await openChannel(alice, { title: 'Duty desk', members: ['usa', 'rus'] })
  })
  afterAll(() => t.close())

  /** Sends exactly these bytes, as `who`'s browser (cookie, CSRF token, Origin) would. */
  const raw = async (
    who: Browser,
    method: 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload: string | Buffer | undefined,
    contentType: string | null = 'application/json',
  ): Promise<Reply> => {
    const response = await t.app.inject({
      method,
      url: `/api/v1${url}`,
      remoteAddress: who.ip,
      headers: {
        host: 'localhost',
        origin: who.origin,
        ...(who.cookie === undefined ? {} : { cookie: `parley_session=${who.cookie}` }),
        ...(who.csrf === undefined ? {} : { 'x-csrf-token': who.csrf }),
        ...(contentType === null ? {} : { 'content-type': contentType }),
      },
      ...(payload === undefined ? {} : { payload }),
    })
    return {
      status: response.statusCode,
      body: response.body === '' ? undefined : JSON.parse(response.body),
      headers: response.headers,
      sessionCookie: undefined,
      setCookie: undefined,
    }
  }
  const texts = async () =>
    (await alice.browser.request('GET', `/channels/${desk}/timeline`)).body.events
      .filter((view: { event: { type: string } }) => view.event.type === 'message.post')
      .map((view: { event: { body: { text: string } } }) => view.event.body.text)
  const failedLogins = async (ip: string) =>
    (await listAudit(t.database.db, { limit: 500 })).filter(
      (row) => row.action === 'login.failed' && row.details.ip === ip,
    )
  const refusal = (reply: Reply) => [reply.status, reply.body?.error?.code]

  it('path 6: refuses U+0000 in a login name, a message, a composed body and a channel title', async () => {
    // What other tests posted stays; this one must add nothing.
    const before = await texts()
    const stranger = new Browser(t.app, { ip: '192.0.2.6' })
    const nul = '\\u0000'
    expect(
      refusal(
        await raw(stranger, 'POST', '/auth/login', `{"username":"alice${nul}","password":"x"}`),
      ),
    ).toEqual([400, 'STRING_HAS_NUL'])
    const post = `{"text":"a${nul}b","lang":"en","urgency":"routine","tlp":"green"}`
    expect(refusal(await raw(alice.browser, 'POST', `/channels/${desk}/messages`, post))).toEqual([
      400,
      'STRING_HAS_NUL',
    ])
    const composed = `{"type":"message.post","body":${post}}`
    expect(
      refusal(await raw(alice.browser, 'POST', `/channels/${desk}/compose`, composed)),
    ).toEqual([400, 'STRING_HAS_NUL'])
    const channel = `{"title":"Desk${nul}","members":["usa","rus"]}`
    expect(refusal(await raw(alice.browser, 'POST', '/channels', channel))).toEqual([
      400,
      'STRING_HAS_NUL',
    ])
    expect(await texts()).toEqual(before)
  })

  it('path 7: counts and audits every login with a lone surrogate, and names no internal field', async () => {
    const prober = new Browser(t.app, { ip: '192.0.2.7' })
    const body = '{"username":"haruto\\ud800","password":"guess"}'
    for (let i = 0; i < 3; i++) {
      const reply = await raw(prober, 'POST', '/auth/login', body)
      expect(refusal(reply)).toEqual([400, 'JSON_VALUE_INVALID'])
      expect(reply.body.error.message).not.toContain('details')
    }
    const audited = await failedLogins('192.0.2.7')
    expect(audited).toHaveLength(3)
    expect(audited[0]?.details).toMatchObject({
      username: 'haruto\\ud800',
      reason: 'refused:JSON_VALUE_INVALID',
    })
    // The fourth failure from the address locks it: the refused ones counted.
    await raw(prober, 'POST', '/auth/login', body)
    const locked = await prober.login('alice', PASSWORD)
    expect(refusal(locked)).toEqual([429, 'ADDRESS_LOCKED'])
  })

  it('path 11: refuses bytes that are not UTF-8 instead of storing U+FFFD, in compose and login', async () => {
    // What other tests posted stays; this one must add nothing.
    const before = await texts()
    const invalid = Buffer.concat([
      Buffer.from('{"type":"message.post","body":{"text":"ab'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('","lang":"en","urgency":"routine","tlp":"green"}}'),
    ])
    const composed = await raw(alice.browser, 'POST', `/channels/${desk}/compose`, invalid)
    expect(refusal(composed)).toEqual([400, 'UTF8_INVALID'])
    expect(composed.body.error.details.offset).toBe(invalid.indexOf(0xff))
    expect(await texts()).toEqual(before)

    const stranger = new Browser(t.app, { ip: '192.0.2.11' })
    const login = Buffer.concat([
      Buffer.from('{"username":"alice'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`","password":"${PASSWORD}"}`),
    ])
    expect(refusal(await raw(stranger, 'POST', '/auth/login', login))).toEqual([
      400,
      'UTF8_INVALID',
    ])
    expect(await failedLogins('192.0.2.11')).toMatchObject([
      { details: { reason: 'refused:UTF8_INVALID' } },
    ])
  })

  it('path 12: refuses duplicate member names, in a composed body and a login', async () => {
    // What other tests posted stays; this one must add nothing.
    const before = await texts()
    const composed =
      '{"type":"message.post","body":{"text":"first","text":"second","lang":"en","urgency":"routine","tlp":"green"}}'
    expect(
      refusal(await raw(alice.browser, 'POST', `/channels/${desk}/compose`, composed)),
    ).toEqual([400, 'JSON_DUPLICATE_NAME'])
    expect(await texts()).toEqual(before)
    const stranger = new Browser(t.app, { ip: '192.0.2.12' })
    const login = `{"username":"nobody","username":"alice","password":"${PASSWORD}"}`
    const reply = await raw(stranger, 'POST', '/auth/login', login)
    expect(refusal(reply)).toEqual([400, 'JSON_DUPLICATE_NAME'])
    expect(reply.headers['set-cookie']).toBeUndefined()
  })

  it('path 13: takes application/json only, and no other type even with an empty body', async () => {
    // What other tests posted stays; this one must add nothing.
    const before = await texts()
    const post = JSON.stringify(message('Typed as text'))
    const url = `/channels/${desk}/messages`
    for (const type of [
      'text/plain',
      'application/xml',
      'application/json; charset=iso-8859-1',
      'application/x-www-form-urlencoded',
    ]) {
      const reply = await raw(alice.browser, 'POST', url, post, type)
      expect([type, ...refusal(reply)]).toEqual([type, 415, 'MEDIA_TYPE_UNSUPPORTED'])
    }
    expect(refusal(await raw(alice.browser, 'POST', url, post, null))).toEqual([
      415,
      'MEDIA_TYPE_UNSUPPORTED',
    ])
    expect(await texts()).toEqual(before)
    const utf8 = await raw(alice.browser, 'POST', url, post, 'application/json; charset="UTF-8"')
    expect(utf8.status).toBe(201)

    const other = await loggedIn(t, 'dora', ['viewer'])
    const plain = await raw(other.browser, 'POST', '/auth/logout', '', 'text/plain')
    expect(refusal(plain)).toEqual([415, 'MEDIA_TYPE_UNSUPPORTED'])
    expect((await other.browser.request('GET', '/auth/session')).status).toBe(200)
    expect((await raw(other.browser, 'POST', '/auth/logout', undefined, null)).status).toBe(204)
  })

  it('path 14: says Cache-Control: no-store on every /api/ reply, the login’s first', async () => {
    const browser = new Browser(t.app, { ip: '192.0.2.14' })
    const replies = [
      await browser.login('alice', PASSWORD),
      await browser.request('GET', '/auth/session'),
      await browser.request('GET', '/channels'),
      await new Browser(t.app).request('GET', '/channels'),
      await browser.request('GET', '/no-such-route'),
    ]
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 401, 404])
    for (const reply of replies) expect(reply.headers['cache-control']).toBe('no-store')
  })

  it('path 15: shows the admins failed logins of unknown usernames, without the password', async () => {
    const stranger = new Browser(t.app, { ip: '192.0.2.15' })
    expect((await stranger.login('mallory', 'hunter2-secret')).status).toBe(401)
    const seen = await carla.browser.request('GET', '/audit?limit=500')
    const row = seen.body.entries.find(
      (entry: { action: string; details: { ip?: string } }) =>
        entry.action === 'login.failed' && entry.details.ip === '192.0.2.15',
    )
    expect(row).toMatchObject({ party: null, details: { username: 'mallory', target: null } })
    expect(JSON.stringify(row)).not.toContain('hunter2')
  })
})
