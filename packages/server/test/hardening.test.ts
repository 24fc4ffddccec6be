import { Writable } from 'node:stream'
import { generateKeyPair, utf8 } from '@parley/protocol'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_BATCH_BYTES } from '../src/features/federation/federation.service.ts'
import { ACCOUNT_BODY_LIMIT, OFFICER_BODY_LIMIT } from '../src/http/hardening.ts'
import { redactingLogger } from '../src/http/log-redaction.ts'
import { pinPartyKeys } from '../src/ledger/index.ts'
import { signRequest } from '../src/signed-http/http-signatures.ts'
import { type AuthTestApp, startAuthApp } from './support/auth-app.ts'
import { type LoggedIn, loggedIn, openChannel } from './support/compartments.ts'

describe('HTTP hardening', () => {
  let t: AuthTestApp
  let alice: LoggedIn

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    alice = await loggedIn(t, 'alice', ['drafter'])
  })
  afterAll(() => t.close())

  describe('security headers', () => {
    it('sends a strict Content Security Policy and frame denial on API replies, errors included', async () => {
      for (const reply of [
        await t.app.inject({ url: '/api/v1/channels' }),
        await alice.browser.request('GET', '/channels'),
        await t.app.inject({ url: '/.well-known/parley' }),
      ]) {
        const csp = String(reply.headers['content-security-policy'])
        expect(csp).toContain("default-src 'self'")
        expect(csp).toContain("script-src 'self'")
        expect(csp).toContain("frame-ancestors 'none'")
        expect(csp).toContain("object-src 'none'")
        expect(csp).not.toContain('unsafe-inline')
        expect(csp).not.toContain('unsafe-eval')
        expect(reply.headers['x-frame-options']).toBe('DENY')
        expect(reply.headers['x-content-type-options']).toBe('nosniff')
        expect(reply.headers['referrer-policy']).toBe('no-referrer')
      }
    })

    it('serves the API documentation under the same policy, with no inline script to break it', async () => {
      const page = await t.app.inject({ url: '/api/docs/' })
      expect(page.statusCode).toBe(200)
      expect(page.headers['content-security-policy']).toContain("script-src 'self'")
      const scripts = page.body.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? []
      expect(scripts.length).toBeGreaterThan(0)
      for (const script of scripts) {
        expect(script).toMatch(/\bsrc="/)
        expect(
          script
            .replace(/^<script\b[^>]*>/, '')
            .replace(/<\/script>$/, '')
            .trim(),
        ).toBe('')
      }
    })
  })

  describe('request size limits', () => {
    it('refuses a login body over 16 KiB with REQUEST_TOO_LARGE', async () => {
      const reply = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json', host: 'localhost' },
        payload: JSON.stringify({ username: 'alice', password: 'x'.repeat(ACCOUNT_BODY_LIMIT) }),
      })
      expect(reply.statusCode).toBe(413)
      expect(reply.json().error).toEqual({
        code: 'REQUEST_TOO_LARGE',
        message: `The request body exceeds the ${ACCOUNT_BODY_LIMIT} bytes this route accepts`,
      })
    })

    it('refuses an officer API body over 256 KiB, and takes one just under it', async () => {
      const channel = await openChannel(alice, { title: 'Limits', members: ['usa', 'rus'] })
      const huge = await alice.browser.request('POST', `/channels/${channel}/compose`, {
        type: 'message.post',
        body: {
          text: 'x'.repeat(OFFICER_BODY_LIMIT),
          lang: 'en',
          urgency: 'routine',
          tlp: 'clear',
        },
      })
      expect(huge.status).toBe(413)
      expect(huge.body.error.code).toBe('REQUEST_TOO_LARGE')
      // Under the limit, the body reaches the schema (20000 characters at most).
      const large = await alice.browser.request('POST', `/channels/${channel}/compose`, {
        type: 'message.post',
        body: { text: 'x'.repeat(200_000), lang: 'en', urgency: 'routine', tlp: 'clear' },
      })
      expect(large.status).toBe(400)
      expect(large.body.error.code).toBe('REQUEST_INVALID')
    })

    // The route refuses a signed body over MAX_BATCH_BYTES itself; the parser's own cap, 64 KiB
    // higher, refuses anything larger before its signature is read.
    it('takes a signed federation push of exactly 4 MiB and refuses one byte more as BATCH_TOO_LARGE', async () => {
      const pair = await generateKeyPair()
      await pinPartyKeys(
        t.database.db,
        'rus',
        'Russian Federation',
        [{ id: 'rus#1', publicKey: pair.publicKey, validFrom: 0, validUntil: null }],
        { now: t.clock.now, hosted: false },
      )
      const url = `${t.config.federationUrl.replace(/\/+$/, '')}/federation/v1/events`
      const push = async (bytes: number, signed = true) => {
        // JSON allows whitespace anywhere between tokens: an empty batch padded to `bytes`.
        const body = utf8(`{"events":[]${' '.repeat(bytes - '{"events":[]}'.length)}}`)
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (signed) {
          const key = { keyId: 'rus#1', privateKey: pair.privateKey }
          Object.assign(
            headers,
            await signRequest({ method: 'POST', url, headers, body }, key, { now: t.clock.now }),
          )
        }
        const reply = await t.app.inject({
          method: 'POST',
          url: '/federation/v1/events',
          headers,
          payload: Buffer.from(body),
        })
        return { status: reply.statusCode, body: reply.json() }
      }
      expect(MAX_BATCH_BYTES).toBe(4 * 1024 * 1024)
      const atLimit = await push(MAX_BATCH_BYTES)
      expect(atLimit).toEqual({ status: 200, body: { receipts: [], rejected: [], need: [] } })
      const over = await push(MAX_BATCH_BYTES + 1)
      expect([over.status, over.body.error.code]).toEqual([413, 'BATCH_TOO_LARGE'])
      const overParser = await push(MAX_BATCH_BYTES + 64 * 1024 + 1, false)
      expect([overParser.status, overParser.body.error.code]).toEqual([413, 'BATCH_TOO_LARGE'])
      const underParserUnsigned = await push(MAX_BATCH_BYTES + 64 * 1024, false)
      expect([underParserUnsigned.status, underParserUnsigned.body.error.code]).toEqual([
        401,
        'HTTP_SIGNATURE_MISSING',
      ])
    })
  })

  describe('log redaction', () => {
    it('blanks credentials by field name down to four levels, headers of requests and errors included', () => {
      let lines = ''
      const stream = new Writable({
        write(chunk, _encoding, done) {
          lines += chunk.toString()
          done()
        },
      })
      const options = redactingLogger({ level: 'info' }) as pino.LoggerOptions
      const log = pino(options, stream)
      log.info({
        upstream: { headers: { cookie: 'parley_session=c00kie', authorization: 'Bearer b3arer' } },
      })
      log.error({ err: { config: { headers: { authorization: 'Bearer d33p' } } } }, 'peer failed')
      log.info({
        officer: { privateKey: 'pr1vate', ticket: 't1cket', passwordHash: '$argon2id$h4sh' },
      })
      log.info({ password: 'pa55', body: { newPassword: 'n3w' } })
      for (const secret of [
        'c00kie',
        'b3arer',
        'd33p',
        'pr1vate',
        't1cket',
        'h4sh',
        'pa55',
        'n3w',
      ]) {
        expect(lines).not.toContain(secret)
      }
      expect(lines.match(/\[redacted\]/g)?.length).toBe(8)
    })
  })
})
