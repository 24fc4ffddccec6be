import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthTestApp, Browser, startAuthApp } from './support/auth-app.ts'
import { addOfficer, enrolledOfficer, nextStep, PASSWORD, totpCode } from './support/officers.ts'
import { SoftwareAuthenticator } from './support/software-authenticator.ts'

const STEP = 30_000

describe('second factors', () => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await startAuthApp()
  })
  afterAll(() => t.close())

  /** Logs in with the password; the browser then holds a session waiting for its second factor. */
  async function pending(username: string, ip?: string): Promise<Browser> {
    const browser = new Browser(t.app, ip === undefined ? {} : { ip })
    const reply = await browser.login(username, PASSWORD)
    expect(reply.body.stage).toBe('second-factor')
    return browser
  }

  describe('TOTP', () => {
    it('enrols with an otpauth URI for a QR code, confirmed by a code of the new secret', async () => {
      await addOfficer(t, 'qr')
      const browser = new Browser(t.app)
      await browser.login('qr', PASSWORD)
      const { body } = await browser.request('POST', '/auth/totp')
      expect(body.secret).toMatch(/^[A-Z2-7]{32}$/)
      const uri = new URL(body.uri)
      expect(uri.protocol).toBe('otpauth:')
      expect(uri.host).toBe('totp')
      expect(decodeURIComponent(uri.pathname)).toBe('/Parley usa:qr')
      expect(uri.searchParams.get('secret')).toBe(body.secret)
      expect(uri.searchParams.get('issuer')).toBe('Parley usa')

      const wrong = await browser.request('POST', '/auth/totp/confirm', { code: '000000' })
      expect(wrong.body.error.code).toBe('TOTP_INVALID')
      const confirmed = await browser.request('POST', '/auth/totp/confirm', {
        code: await totpCode(body.secret, t.clock.now),
      })
      expect(confirmed.status).toBe(200)
      expect(confirmed.body.recoveryCodes).toHaveLength(10)
      expect(new Set(confirmed.body.recoveryCodes).size).toBe(10)
      expect(confirmed.body.session.officer.factors).toEqual({
        totp: true,
        passkeys: 0,
        recoveryCodes: 10,
      })
    })

    it('accepts a code one step either side of the clock and nothing further', async () => {
      const { secret } = await enrolledOfficer(t, 'windowed')
      t.clock.advance(10 * STEP)
      const at = (steps: number) => totpCode(secret, t.clock.now + steps * STEP)
      const attempt = async (code: string) =>
        (await (await pending('windowed')).request('POST', '/auth/login/totp', { code })).body

      expect((await attempt(await at(-2))).error.code).toBe('TOTP_INVALID')
      expect((await attempt(await at(+2))).error.code).toBe('TOTP_INVALID')
      expect((await attempt(await at(-1))).stage).toBe('active')
      expect((await attempt(await at(0))).stage).toBe('active')
      expect((await attempt(await at(+1))).stage).toBe('active')
    })

    it('never accepts a used code again, nor a code of an earlier step', async () => {
      const { secret } = await enrolledOfficer(t, 'replayed')
      nextStep(t)
      const code = await totpCode(secret, t.clock.now)
      const first = await (await pending('replayed')).request('POST', '/auth/login/totp', { code })
      expect(first.body.stage).toBe('active')
      const again = await (await pending('replayed')).request('POST', '/auth/login/totp', { code })
      expect(again.status).toBe(401)
      expect(again.body.error).toEqual({
        code: 'TOTP_REPLAYED',
        message: 'The authenticator code was used already; wait for the next one',
      })
      // The next step's code (clock drift) is fine once; afterwards the current one is stale.
      const ahead = await totpCode(secret, t.clock.now + STEP)
      expect(
        (await (await pending('replayed')).request('POST', '/auth/login/totp', { code: ahead }))
          .body.stage,
      ).toBe('active')
      const stale = await (await pending('replayed')).request('POST', '/auth/login/totp', {
        code: await totpCode(secret, t.clock.now),
      })
      expect(stale.body.error.code).toBe('TOTP_REPLAYED')
    })

    it('lets only one of two logins racing with the same code through', async () => {
      const { secret } = await enrolledOfficer(t, 'racer')
      nextStep(t)
      const code = await totpCode(secret, t.clock.now)
      const [a, b] = await Promise.all([pending('racer', '10.9.0.1'), pending('racer', '10.9.0.2')])
      const replies = await Promise.all([
        a.request('POST', '/auth/login/totp', { code }),
        b.request('POST', '/auth/login/totp', { code }),
      ])
      expect(replies.map((reply) => reply.status).sort()).toEqual([200, 401])
      expect(replies.find((reply) => reply.status === 401)!.body.error.code).toBe('TOTP_REPLAYED')
    })

    it('refuses a TOTP step without a pending login or without its CSRF token', async () => {
      const { secret } = await enrolledOfficer(t, 'stepless')
      nextStep(t)
      const code = await totpCode(secret, t.clock.now)
      const none = await new Browser(t.app).request('POST', '/auth/login/totp', { code })
      expect(none.body.error.code).toBe('AUTH_REQUIRED')
      const browser = await pending('stepless')
      const forged = await browser.request(
        'POST',
        '/auth/login/totp',
        { code },
        { 'x-csrf-token': 'forged' },
      )
      expect(forged.body.error.code).toBe('CSRF_INVALID')
    })
  })

  describe('passkeys', () => {
    for (const algorithm of ['ES256', 'Ed25519'] as const) {
      it(`registers a ${algorithm} passkey and completes logins with it`, async () => {
        const username = `pk-${algorithm.toLowerCase()}`
        await addOfficer(t, username)
        const authenticator = new SoftwareAuthenticator(algorithm)
        const browser = new Browser(t.app)
        await browser.login(username, PASSWORD)
        const options = await browser.request('POST', '/auth/passkeys/options')
        expect(options.body.rp).toEqual({ name: 'Parley', id: 'localhost' })
        expect(options.body.attestation).toBe('none')
        const registered = await browser.request('POST', '/auth/passkeys', {
          response: await authenticator.register(options.body, browser.origin),
          name: 'laptop',
        })
        expect(registered.status).toBe(200)
        expect(registered.body.passkey).toEqual({ id: authenticator.id, name: 'laptop' })
        expect(registered.body.recoveryCodes).toHaveLength(10)
        expect(registered.body.session.setup.mustEnrolSecondFactor).toBe(false)

        for (let i = 0; i < 2; i++) {
          const login = await pending(username)
          const challenge = await login.request('POST', '/auth/login/passkey/options')
          expect(challenge.body.allowCredentials.map((c: { id: string }) => c.id)).toEqual([
            authenticator.id,
          ])
          const done = await login.request('POST', '/auth/login/passkey', {
            response: await authenticator.authenticate(challenge.body, login.origin),
          })
          expect(done.status).toBe(200)
          expect(done.body.stage).toBe('active')
          expect((await login.request('GET', '/channels')).status).toBe(200)
        }
      })
    }

    it('refuses a replayed assertion, a foreign origin and another officer’s passkey', async () => {
      await addOfficer(t, 'pk-owner')
      await addOfficer(t, 'pk-other')
      const mine = new SoftwareAuthenticator()
      const theirs = new SoftwareAuthenticator()
      for (const [username, authenticator] of [
        ['pk-owner', mine],
        ['pk-other', theirs],
      ] as const) {
        const browser = new Browser(t.app)
        await browser.login(username, PASSWORD)
        const options = await browser.request('POST', '/auth/passkeys/options')
        await browser.request('POST', '/auth/passkeys', {
          response: await authenticator.register(options.body, browser.origin),
        })
      }

      const login = await pending('pk-owner', '10.8.0.1')
      const options = await login.request('POST', '/auth/login/passkey/options')
      const assertion = await mine.authenticate(options.body, login.origin)
      expect(
        (await login.request('POST', '/auth/login/passkey', { response: assertion })).status,
      ).toBe(200)

      const replay = await pending('pk-owner', '10.8.0.2')
      const noChallenge = await replay.request('POST', '/auth/login/passkey', {
        response: assertion,
      })
      expect(noChallenge.body.error.code).toBe('PASSKEY_CHALLENGE_MISSING')
      await replay.request('POST', '/auth/login/passkey/options')
      const stale = await replay.request('POST', '/auth/login/passkey', { response: assertion })
      expect(stale.status).toBe(401)
      expect(stale.body.error.code).toBe('PASSKEY_INVALID')

      const phished = await pending('pk-owner', '10.8.0.3')
      const phishOptions = await phished.request('POST', '/auth/login/passkey/options')
      const wrongOrigin = await phished.request('POST', '/auth/login/passkey', {
        response: await mine.authenticate(phishOptions.body, 'https://parley-login.evil.example'),
      })
      expect(wrongOrigin.body.error.code).toBe('PASSKEY_INVALID')

      const swapped = await pending('pk-owner', '10.8.0.4')
      const swapOptions = await swapped.request('POST', '/auth/login/passkey/options')
      const foreign = await swapped.request('POST', '/auth/login/passkey', {
        response: await theirs.authenticate(
          { ...swapOptions.body, allowCredentials: [] },
          swapped.origin,
        ),
      })
      expect(foreign.body.error).toMatchObject({
        code: 'PASSKEY_INVALID',
        message: 'The passkey check failed: not a passkey of this officer',
      })
    })

    it('refuses an authenticator whose signature counter went backwards (a clone)', async () => {
      await addOfficer(t, 'pk-cloned')
      const original = new SoftwareAuthenticator()
      const browser = new Browser(t.app)
      await browser.login('pk-cloned', PASSWORD)
      const options = await browser.request('POST', '/auth/passkeys/options')
      await browser.request('POST', '/auth/passkeys', {
        response: await original.register(options.body, browser.origin),
      })
      const first = await pending('pk-cloned', '10.7.0.1')
      const firstOptions = await first.request('POST', '/auth/login/passkey/options')
      original.counter = 41
      await first.request('POST', '/auth/login/passkey', {
        response: await original.authenticate(firstOptions.body, first.origin),
      })
      const clone = await pending('pk-cloned', '10.7.0.2')
      const cloneOptions = await clone.request('POST', '/auth/login/passkey/options')
      original.counter = 10
      const refused = await clone.request('POST', '/auth/login/passkey', {
        response: await original.authenticate(cloneOptions.body, clone.origin),
      })
      expect(refused.body.error.code).toBe('PASSKEY_INVALID')
    })
  })

  describe('recovery codes', () => {
    it('completes a login with each code once, however it is typed', async () => {
      const { recoveryCodes } = await enrolledOfficer(t, 'recovering')
      const code = recoveryCodes[0]!
      const login = await pending('recovering')
      const typed = code
        .toLowerCase()
        .replaceAll('-', ' ')
        .replaceAll('1', 'l')
        .replaceAll('0', 'o')
      const done = await login.request('POST', '/auth/login/recovery', { code: typed })
      expect(done.status).toBe(200)
      expect(done.body.officer.factors.recoveryCodes).toBe(9)

      const again = await (await pending('recovering')).request('POST', '/auth/login/recovery', {
        code,
      })
      expect(again.status).toBe(401)
      expect(again.body.error.code).toBe('RECOVERY_CODE_INVALID')
    })

    it('replaces all codes on request; the old ones stop working', async () => {
      const { browser, recoveryCodes } = await enrolledOfficer(t, 'regenerating')
      const fresh = await browser.request('POST', '/auth/recovery-codes')
      expect(fresh.body.recoveryCodes).toHaveLength(10)
      const old = await (await pending('regenerating')).request('POST', '/auth/login/recovery', {
        code: recoveryCodes[1],
      })
      expect(old.body.error.code).toBe('RECOVERY_CODE_INVALID')
      const fine = await (await pending('regenerating')).request('POST', '/auth/login/recovery', {
        code: fresh.body.recoveryCodes[0],
      })
      expect(fine.body.stage).toBe('active')
    })
  })
})
