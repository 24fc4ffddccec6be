import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listAudit } from '../src/features/audit/audit.service.ts'
import { type AuthTestApp, Browser, startAuthApp } from './support/auth-app.ts'
import { addOfficer, enrolledOfficer, nextStep, PASSWORD, totpCode } from './support/officers.ts'

const MINUTE = 60_000
const channel = { as: 'usa', title: 'Hotline', members: ['usa', 'rus'] }

describe('officer sessions', () => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await startAuthApp({ auth: { origins: ['https://console.example'] } })
  })
  afterAll(() => t.close())

  describe('login', () => {
    it('sets one HttpOnly, SameSite=Strict session cookie for the whole site, not Secure over plain HTTP', async () => {
      await addOfficer(t, 'cookie')
      const browser = new Browser(t.app)
      const reply = await browser.login('cookie', PASSWORD)
      expect(reply.status).toBe(200)
      expect(reply.setCookie).toMatch(
        /^parley_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/,
      )
      const cookies = reply.headers['set-cookie']
      expect(Array.isArray(cookies) ? cookies.length : 1).toBe(1)
      expect(reply.body.stage).toBe('active')
      expect(reply.body.officer.username).toBe('cookie')
    })

    it('answers a wrong password, an unknown username and a disabled officer alike', async () => {
      await addOfficer(t, 'samey')
      await addOfficer(t, 'gone')
      const admin = await enrolledOfficer(t, 'samey-admin', { roles: ['admin'] })
      await admin.browser.request('POST', '/officers/gone/disable')
      const replies = await Promise.all([
        new Browser(t.app, { ip: '10.1.0.1' }).login('samey', 'not the password at all'),
        new Browser(t.app, { ip: '10.1.0.2' }).login('nobody-here', PASSWORD),
        new Browser(t.app, { ip: '10.1.0.3' }).login('gone', PASSWORD),
      ])
      for (const reply of replies) {
        expect(reply.status).toBe(401)
        expect(reply.body.error).toEqual({
          code: 'LOGIN_FAILED',
          message: 'Wrong username or password',
        })
        expect(reply.setCookie).toBeUndefined()
      }
    })

    it('takes the username in any case', async () => {
      await addOfficer(t, 'casey')
      expect((await new Browser(t.app).login('CaSeY', PASSWORD)).status).toBe(200)
    })

    it('keeps an officer without a second factor to account setup until one is enrolled', async () => {
      await addOfficer(t, 'newbie')
      const browser = new Browser(t.app)
      const login = await browser.login('newbie', PASSWORD)
      expect(login.body.setup).toEqual({ mustChangePassword: false, mustEnrolSecondFactor: true })
      const refused = await browser.request('GET', '/channels')
      expect(refused.status).toBe(403)
      expect(refused.body.error.code).toBe('SECOND_FACTOR_REQUIRED')
      expect((await browser.request('GET', '/auth/session')).status).toBe(200)
      const { body } = await browser.request('POST', '/auth/totp')
      await browser.request('POST', '/auth/totp/confirm', {
        code: await totpCode(body.secret, t.clock.now),
      })
      expect((await browser.request('GET', '/channels')).status).toBe(200)
    })
  })

  describe('lock-out', () => {
    it('locks an account for 15 minutes after 5 failed logins, says so, and audits it', async () => {
      const officer = await addOfficer(t, 'target')
      const attacker = new Browser(t.app, { ip: '10.2.0.1' })
      const codes = []
      for (let i = 0; i < 5; i++)
        codes.push((await attacker.login('target', `wrong guess ${i}`)).body.error.code)
      expect(codes).toEqual([
        'LOGIN_FAILED',
        'LOGIN_FAILED',
        'LOGIN_FAILED',
        'LOGIN_FAILED',
        'ACCOUNT_LOCKED',
      ])

      const owner = new Browser(t.app, { ip: '10.2.0.2' })
      const locked = await owner.login('target', PASSWORD)
      expect(locked.status).toBe(429)
      expect(locked.body.error.code).toBe('ACCOUNT_LOCKED')
      expect(locked.body.error.message).toBe(
        'Too many failed logins for target; the account is locked for 900 s',
      )
      expect(locked.headers['retry-after']).toBe('900')

      t.clock.advance(15 * MINUTE)
      expect((await owner.login('target', PASSWORD)).status).toBe(200)

      const entries = (await listAudit(t.database.db, { party: 'usa', limit: 500 })).filter(
        (entry) => entry.details.target === officer.id && entry.action.startsWith('login'),
      )
      expect(entries.map((entry) => entry.action)).toEqual([
        ...Array(5).fill('login.failed'),
        'login.locked',
      ])
      expect(entries.at(-1)!.details).toMatchObject({
        scope: 'account',
        username: 'target',
        ip: '10.2.0.1',
      })
    })

    it('locks a client address after 20 failed logins across accounts, other addresses unaffected', async () => {
      await addOfficer(t, 'bystander')
      const sprayer = new Browser(t.app, { ip: '10.3.0.1' })
      const codes = []
      for (let i = 0; i < 20; i++)
        codes.push((await sprayer.login(`guess-${i}`, PASSWORD)).body.error.code)
      expect(codes.slice(0, 19)).toEqual(Array(19).fill('LOGIN_FAILED'))
      expect(codes[19]).toBe('ADDRESS_LOCKED')
      const refused = await sprayer.login('bystander', PASSWORD)
      expect(refused.status).toBe(429)
      expect(refused.body.error.code).toBe('ADDRESS_LOCKED')
      expect(
        (await new Browser(t.app, { ip: '10.3.0.2' }).login('bystander', PASSWORD)).status,
      ).toBe(200)
    })

    it('counts wrong second factors towards the lock-out', async () => {
      const { secret } = await enrolledOfficer(t, 'guessed')
      const attacker = new Browser(t.app, { ip: '10.4.0.1' })
      expect((await attacker.login('guessed', PASSWORD)).body.stage).toBe('second-factor')
      const codes = []
      for (let i = 0; i < 5; i++) {
        codes.push(
          (await attacker.request('POST', '/auth/login/totp', { code: String(100000 + i) })).body
            .error.code,
        )
      }
      expect(codes).toEqual([
        'TOTP_INVALID',
        'TOTP_INVALID',
        'TOTP_INVALID',
        'TOTP_INVALID',
        'ACCOUNT_LOCKED',
      ])
      nextStep(t)
      const late = await attacker.request('POST', '/auth/login/totp', {
        code: await totpCode(secret, t.clock.now),
      })
      expect(late.body.error.code).toBe('ACCOUNT_LOCKED')
    })
  })

  describe('session fixation', () => {
    it('never adopts a session id the client brings to login', async () => {
      await addOfficer(t, 'fixed')
      const browser = new Browser(t.app)
      browser.cookie = 'attacker-chosen-value-attacker-chosen-value'
      const login = await browser.login('fixed', PASSWORD)
      expect(login.setCookie).toMatch(
        /^parley_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/,
      )
      expect(login.sessionCookie).not.toBe('attacker-chosen-value-attacker-chosen-value')
      expect((await browser.request('GET', '/auth/session')).body.officer.username).toBe('fixed')
      const planted = new Browser(t.app)
      planted.cookie = 'attacker-chosen-value-attacker-chosen-value'
      expect((await planted.request('GET', '/auth/session')).status).toBe(401)
    })

    it('ends a session planted in the browser when someone logs in over it', async () => {
      await addOfficer(t, 'mallory')
      await addOfficer(t, 'victim')
      const attacker = new Browser(t.app)
      await attacker.login('mallory', PASSWORD)
      const planted = attacker.cookie!
      const victim = new Browser(t.app)
      victim.cookie = planted
      const login = await victim.login('victim', PASSWORD)
      expect(login.sessionCookie).not.toBe(planted)
      expect((await victim.request('GET', '/auth/session')).body.officer.username).toBe('victim')
      const stale = await attacker.request('GET', '/auth/session')
      expect(stale.status).toBe(401)
      expect(stale.body.error.code).toBe('AUTH_REQUIRED')
    })

    it('issues a new session id when the second factor completes', async () => {
      const { secret } = await enrolledOfficer(t, 'twostep')
      nextStep(t)
      const browser = new Browser(t.app)
      await browser.login('twostep', PASSWORD)
      const pending = browser.cookie!
      const done = await browser.request('POST', '/auth/login/totp', {
        code: await totpCode(secret, t.clock.now),
      })
      expect(done.body.stage).toBe('active')
      expect(browser.cookie).not.toBe(pending)
      const old = new Browser(t.app)
      old.cookie = pending
      expect((await old.request('GET', '/auth/session')).status).toBe(401)
    })

    it('issues a new session id when the officer’s roles change, and applies the new roles', async () => {
      const alice = await enrolledOfficer(t, 'promoted')
      const admin = await enrolledOfficer(t, 'promoter', { roles: ['admin'] })
      expect((await alice.browser.request('GET', '/audit')).body.error.code).toBe('FORBIDDEN_ROLE')
      const before = alice.browser.cookie!
      await admin.browser.request('PUT', `/officers/${alice.officer.id}/roles`, {
        roles: ['drafter', 'admin'],
      })
      const next = await alice.browser.request('GET', '/audit')
      expect(next.status).toBe(200)
      // A new token for the rest of the same session: its lifetime does not start again.
      expect(next.setCookie).toMatch(
        /^parley_session=[A-Za-z0-9_-]{43}; Max-Age=[1-9]\d*; Path=\/; HttpOnly; SameSite=Strict$/,
      )
      expect(Number(/Max-Age=(\d+)/.exec(next.setCookie!)![1])).toBeLessThanOrEqual(43_200)
      expect(next.sessionCookie).toBe(alice.browser.cookie)
      expect(alice.browser.cookie).not.toBe(before)
      const old = new Browser(t.app)
      old.cookie = before
      expect((await old.request('GET', '/auth/session')).status).toBe(401)
    })
  })

  describe('CSRF', () => {
    let browser: Browser
    beforeAll(async () => {
      browser = (await enrolledOfficer(t, 'csrf', { roles: ['drafter'] })).browser
    })

    it('refuses a state-changing request without the session’s token', async () => {
      const reply = await browser.request('POST', '/channels', channel, { 'x-csrf-token': '' })
      expect(reply.status).toBe(403)
      expect(reply.body.error.code).toBe('CSRF_INVALID')
      expect(reply.body.error.message).toMatch(/x-csrf-token header is missing/)
    })

    it('refuses a wrong token, including another session’s', async () => {
      const other = (await enrolledOfficer(t, 'csrf-other')).browser
      for (const token of ['x'.repeat(43), other.csrf!]) {
        const reply = await browser.request('POST', '/channels', channel, { 'x-csrf-token': token })
        expect(reply.status).toBe(403)
        expect(reply.body.error.code).toBe('CSRF_INVALID')
      }
    })

    it('passes the request with the right token from the node’s own or a configured origin', async () => {
      expect((await browser.request('POST', '/channels', channel)).status).toBe(201)
      const console = await browser.request('POST', '/channels', channel, {
        origin: 'https://console.example',
      })
      expect(console.status).toBe(201)
    })

    it('refuses a foreign origin or a cross-site fetch even with the right token', async () => {
      for (const headers of [
        { origin: 'https://evil.example' } as Record<string, string>,
        { origin: 'null' },
        { 'sec-fetch-site': 'cross-site' },
      ]) {
        const reply = await browser.request('POST', '/channels', channel, headers)
        expect(reply.status).toBe(403)
        expect(reply.body.error.code).toBe('CSRF_INVALID')
      }
    })

    it('refuses a login form posted from another site', async () => {
      await addOfficer(t, 'formed')
      const reply = await new Browser(t.app, { origin: 'https://evil.example' }).login(
        'formed',
        PASSWORD,
      )
      expect(reply.status).toBe(403)
      expect(reply.body.error.code).toBe('CSRF_INVALID')
    })

    it('opens the live stream only to a page of an origin the node serves', async () => {
      const cookie = `parley_session=${browser.cookie}`
      const ws = await t.app.injectWS('/api/v1/stream', {
        headers: { cookie, host: 'localhost', origin: 'http://localhost' },
      })
      ws.terminate()
      await expect(
        t.app.injectWS('/api/v1/stream', {
          headers: { cookie, host: 'localhost', origin: 'https://evil.example' },
        }),
      ).rejects.toThrow('Unexpected server response: 403')
      await expect(
        t.app.injectWS('/api/v1/stream', { headers: { host: 'localhost' } }),
      ).rejects.toThrow('Unexpected server response: 401')
    })

    it('asks no token for reads', async () => {
      expect(
        (await browser.request('GET', '/channels', undefined, { 'x-csrf-token': '' })).status,
      ).toBe(200)
    })
  })

  describe('expiry and revocation', () => {
    it('expires a session idle for 30 minutes, and keeps one in use alive', async () => {
      const { browser } = await enrolledOfficer(t, 'idler')
      t.clock.advance(29 * MINUTE)
      expect((await browser.request('GET', '/channels')).status).toBe(200)
      t.clock.advance(29 * MINUTE)
      expect((await browser.request('GET', '/channels')).status).toBe(200)
      t.clock.advance(30 * MINUTE)
      const expired = await browser.request('GET', '/channels')
      expect(expired.status).toBe(401)
      expect(expired.body.error).toMatchObject({
        code: 'SESSION_EXPIRED',
        message: 'The session expired (idle for more than 30 min); log in again',
      })
      expect((await browser.request('GET', '/channels')).body.error.code).toBe('AUTH_REQUIRED')
    })

    it('expires a session 12 hours after login however busy it is', async () => {
      const { browser } = await enrolledOfficer(t, 'busy')
      for (let elapsed = 0; elapsed < 12 * 60 - 20; elapsed += 20) {
        t.clock.advance(20 * MINUTE)
        expect((await browser.request('GET', '/channels')).status).toBe(200)
      }
      t.clock.advance(20 * MINUTE)
      const expired = await browser.request('GET', '/channels')
      expect(expired.body.error.code).toBe('SESSION_EXPIRED')
      expect(expired.body.error.message).toMatch(/older than 720 min/)
    })

    it('gives a pending login 5 minutes for its second factor', async () => {
      const { secret } = await enrolledOfficer(t, 'slow')
      const browser = new Browser(t.app)
      await browser.login('slow', PASSWORD)
      t.clock.advance(6 * MINUTE)
      const late = await browser.request('POST', '/auth/login/totp', {
        code: await totpCode(secret, t.clock.now),
      })
      expect(late.status).toBe(401)
      expect(late.body.error.code).toBe('SESSION_EXPIRED')
    })

    it('ends the session and clears the cookie at logout', async () => {
      const { browser } = await enrolledOfficer(t, 'leaver')
      const cookie = browser.cookie!
      const reply = await browser.request('POST', '/auth/logout')
      expect(reply.status).toBe(204)
      expect(reply.setCookie).toMatch(
        /^parley_session=; Max-Age=0; Path=\/; .*HttpOnly; SameSite=Strict$/,
      )
      const replayed = new Browser(t.app)
      replayed.cookie = cookie
      const after = await replayed.request('GET', '/channels')
      expect(after.status).toBe(401)
      expect(after.body.error.code).toBe('AUTH_REQUIRED')
    })

    it('ends every session of a disabled officer at once', async () => {
      const { browser, officer } = await enrolledOfficer(t, 'disabled')
      const admin = await enrolledOfficer(t, 'disabler', { roles: ['admin'] })
      expect(
        (await admin.browser.request('POST', `/officers/${officer.id}/disable`)).body.disabled,
      ).toBe(true)
      expect((await browser.request('GET', '/channels')).status).toBe(401)
      expect((await new Browser(t.app).login('disabled', PASSWORD)).body.error.code).toBe(
        'LOGIN_FAILED',
      )
    })

    it('ends every session at a password reset and makes the officer choose a new password', async () => {
      const { browser, officer } = await enrolledOfficer(t, 'forgetful')
      const admin = await enrolledOfficer(t, 'resetter', { roles: ['admin'] })
      const reset = await admin.browser.request('POST', `/officers/${officer.id}/reset-password`, {
        clearFactors: true,
      })
      expect(reset.body.password).toMatch(/^[0-9a-z]{5}(-[0-9a-z]{5}){3}$/)
      expect((await browser.request('GET', '/channels')).status).toBe(401)

      const fresh = new Browser(t.app)
      const login = await fresh.login('forgetful', reset.body.password)
      expect(login.body.setup.mustChangePassword).toBe(true)
      expect((await fresh.request('GET', '/channels')).body.error.code).toBe(
        'PASSWORD_CHANGE_REQUIRED',
      )
      const changed = await fresh.request('POST', '/auth/password', {
        current: reset.body.password,
        next: 'another long passphrase',
      })
      expect(changed.status).toBe(200)
      expect(changed.body.setup).toEqual({ mustChangePassword: false, mustEnrolSecondFactor: true })
    })

    it('ends the officer’s other sessions at a password change and renews this one', async () => {
      const first = await enrolledOfficer(t, 'changer')
      nextStep(t)
      const second = new Browser(t.app)
      await second.login('changer', PASSWORD)
      await second.request('POST', '/auth/login/totp', {
        code: await totpCode(first.secret, t.clock.now),
      })
      const before = first.browser.cookie
      const weak = await first.browser.request('POST', '/auth/password', {
        current: PASSWORD,
        next: 'short',
      })
      expect(weak.body.error.code).toBe('PASSWORD_TOO_WEAK')
      const wrong = await first.browser.request('POST', '/auth/password', {
        current: 'not my password',
        next: 'a brand new passphrase',
      })
      expect(wrong.body.error.code).toBe('PASSWORD_INCORRECT')
      const changed = await first.browser.request('POST', '/auth/password', {
        current: PASSWORD,
        next: 'a brand new passphrase',
      })
      expect(changed.status).toBe(200)
      expect(first.browser.cookie).not.toBe(before)
      expect((await first.browser.request('GET', '/channels')).status).toBe(200)
      expect((await second.request('GET', '/channels')).status).toBe(401)
      expect((await new Browser(t.app).login('changer', PASSWORD)).body.error.code).toBe(
        'LOGIN_FAILED',
      )
    })
  })

  describe('a bearer credential', () => {
    it('is refused unless it is an API token this node issued (no node-wide token exists)', async () => {
      for (const authorization of [
        'Bearer ',
        `Bearer ${'x'.repeat(32)}`,
        `Bearer parley_pat_${'A'.repeat(43)}`,
      ]) {
        const reply = await t.app.inject({ url: '/api/v1/channels', headers: { authorization } })
        expect(reply.statusCode).toBe(401)
        expect(reply.json().error.code).toBe('TOKEN_INVALID')
      }
    })
  })
})

describe('a node behind a TLS-terminating proxy', () => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await startAuthApp({ auth: { secureCookie: true } })
  })
  afterAll(() => t.close())

  it('marks the session cookie Secure when the config says TLS terminates in front of it', async () => {
    await addOfficer(t, 'secure')
    const reply = await new Browser(t.app).login('secure', PASSWORD)
    expect(reply.setCookie).toMatch(/; Secure(;|$)/)
  })
})

describe('logs', () => {
  it('never contain passwords, session ids or CSRF tokens', async () => {
    let lines = ''
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines += chunk.toString()
        done()
      },
    })
    const t = await startAuthApp({ logger: { level: 'trace', stream } })
    try {
      await addOfficer(t, 'logged')
      const browser = new Browser(t.app)
      await new Browser(t.app).login('logged', 'a wrong password guess')
      await browser.login('logged', PASSWORD)
      await browser.request('POST', '/auth/password', {
        current: PASSWORD,
        next: 'the next passphrase',
      })
      t.app.log.info(
        { body: { password: PASSWORD, token: 'tok-secret', nested: { secret: 's3' } } },
        'x',
      )
      expect(lines).toContain('"url":"/api/v1/auth/login"')
      for (const secret of [
        PASSWORD,
        'a wrong password guess',
        'the next passphrase',
        browser.cookie!,
        browser.csrf!,
        'tok-secret',
        's3',
      ]) {
        expect(lines).not.toContain(secret)
      }
      expect(lines).toContain('[redacted]')
    } finally {
      await t.close()
    }
  })
})
