import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { consentMessage, type SignedConsentReceipt } from '@parley/api'
import { verify } from '@parley/protocol'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { verifyConsentLines } from '../../cli/src/verify/consent-receipts.ts'
import { build, type ParleyApp } from '../src/app.ts'
import { loadConfig, type NodeConfig } from '../src/config.ts'
import { exportConsentLines } from '../src/features/privacy/consent.service.ts'
import { ManualClock } from '../src/node/clock.ts'
import { initNodeDirectory } from '../src/node-identity.ts'
import type { Database } from '../src/store/database.ts'
import { testDatabase } from './support/database.ts'
import { cheapPasswordHash } from './support/password-hash.ts'
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.ts'
import { ALL_ROLES, officerWithToken } from './support/tokens.ts'

const DAY = 86_400_000
const T0 = Date.UTC(2026, 11, 7, 9, 0)
const CONSENT_ID = '0b5f3a52-7c1e-4d2a-9f00-5e1b2c3d4e5f'

let sink: SmtpSink
let dir: string
let config: NodeConfig
const open: { app: ParleyApp; database: Database }[] = []
const tokens = new Map<Database, string>()

beforeAll(async () => {
  sink = await startSmtpSink()
  dir = await mkdtemp(join(tmpdir(), 'parley-privacy-'))
  await initNodeDirectory({
    dir,
    node: 'usa',
    parties: [
      { id: 'usa', name: 'United States' },
      { id: 'est', name: 'Estonia' },
    ],
    now: 0,
  })
  config = {
    ...loadConfig(join(dir, 'parley.json'), {}),
    auth: { passwordHash: cheapPasswordHash },
    smtp: { host: '127.0.0.1', port: sink.port, from: 'privacy@usa.example' },
    federationUrl: 'https://usa.example',
  }
})
afterEach(async () => {
  for (const { app, database } of open.splice(0)) {
    await app.close()
    await database.close()
  }
  sink.mails.splice(0)
})
afterAll(async () => {
  await sink.close()
  await rm(dir, { recursive: true, force: true })
})

async function startNode(
  clock: ManualClock,
  options: { database?: Database; privacy?: NodeConfig['privacy'] } = {},
) {
  const database = options.database ?? (await testDatabase())
  const app = await build(
    { ...config, ...(options.privacy === undefined ? {} : { privacy: options.privacy }) },
    { database, clock, federate: false, logger: false, consoleDir: false },
  )
  await app.ready()
  if (!tokens.has(database)) {
    const bot = await officerWithToken(database.db, () => clock.now(), {
      party: 'usa',
      roles: ALL_ROLES,
      channels: [],
      expiresAt: clock.now() + 300 * DAY,
    })
    tokens.set(database, bot.token)
  }
  const node = { app, database }
  open.push(node)
  return node
}

async function stop(node: { app: ParleyApp; database: Database }) {
  open.splice(open.indexOf(node), 1)
  await node.app.close()
}

// biome-ignore lint/suspicious/noExplicitAny: tests read replies field by field; their assertions are the check
async function admin<T = any>(
  node: { app: ParleyApp; database: Database },
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  body?: unknown,
) {
  const reply = await node.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: {
      authorization: `Bearer ${tokens.get(node.database)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  })
  return { status: reply.statusCode, body: reply.json() as T }
}

function choice(extra: Record<string, unknown> = {}) {
  return {
    consentId: CONSENT_ID,
    revision: 3,
    choices: {
      necessary: true,
      functional: true,
      performance: false,
      targeting: true,
      social: true,
      sale: true,
    },
    services: { 'google-analytics': false, youtube: true },
    textHash: 'ab'.repeat(32),
    url: 'https://usa.example/public/',
    gpc: false,
    language: 'en',
    ...extra,
  }
}

function postConsent(
  app: ParleyApp,
  body: unknown,
  headers: Record<string, string> = {},
  remoteAddress = '203.0.113.77',
) {
  return app.inject({
    method: 'POST',
    url: '/public/consent',
    remoteAddress,
    headers: { 'content-type': 'application/json', 'user-agent': 'Firefox/140', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

async function exported(app: ParleyApp): Promise<string[]> {
  const lines: string[] = []
  for await (const line of exportConsentLines(app as never, 'usa')) lines.push(line)
  return lines
}

const usaKey = (app: ParleyApp) => app.identity.parties.get('usa')!.keys[0]!.publicKey

describe('consent receipts', () => {
  it('stores each choice as a signed receipt with the time, user agent and truncated IP, chained to the one before', async () => {
    const clock = new ManualClock(T0)
    const { app } = await startNode(clock)
    const first = await postConsent(app, choice())
    expect(first.statusCode).toBe(201)
    const one = first.json() as SignedConsentReceipt
    expect(one.receipt).toEqual({
      type: 'consent.receipt',
      v: 1,
      seq: 1,
      prev: null,
      consentId: CONSENT_ID,
      revision: 3,
      choices: choice().choices,
      services: { 'google-analytics': false, youtube: true },
      textHash: 'ab'.repeat(32),
      url: 'https://usa.example/public/',
      gpc: false,
      language: 'en',
      time: T0,
      userAgent: 'Firefox/140',
      ip: '203.0.113.0',
      key: 'usa#1',
    })
    expect(await verify(usaKey(app), one.sig, consentMessage(one.receipt))).toBe(true)
    await clock.advance(1000)
    const second = await postConsent(app, choice(), {}, '2001:db8:85a3:1234::7')
    const two = second.json() as SignedConsentReceipt
    expect(two.receipt).toMatchObject({
      seq: 2,
      prev: one.hash,
      ip: '2001:db8:85a3::',
      time: T0 + 1000,
    })
  })

  it('honours Sec-GPC: 1 by turning sale and sharing off and recording gpc', async () => {
    const { app } = await startNode(new ManualClock(T0))
    const reply = await postConsent(app, choice(), { 'sec-gpc': '1' })
    expect(reply.statusCode).toBe(201)
    expect(reply.json().receipt).toMatchObject({
      gpc: true,
      choices: { necessary: true, functional: true, targeting: false, social: false, sale: false },
    })
  })

  it('refuses bad input with its code and stores nothing', async () => {
    const node = await startNode(new ManualClock(T0))
    const { app } = node
    const refusals: [unknown, number, string][] = [
      [{ ...choice(), extra: 1 }, 400, 'REQUEST_INVALID'],
      [choice({ consentId: 'not-a-uuid' }), 400, 'REQUEST_INVALID'],
      [choice({ textHash: 'xyz' }), 400, 'REQUEST_INVALID'],
      ['{"consentId":', 400, 'REQUEST_INVALID'],
      [
        choice({ choices: { ...choice().choices, tracking: true } }),
        400,
        'CONSENT_CATEGORY_UNKNOWN',
      ],
      [choice({ choices: { necessary: true, functional: true } }), 400, 'CONSENT_CATEGORY_MISSING'],
      [
        choice({ choices: { ...choice().choices, necessary: false } }),
        400,
        'CONSENT_NECESSARY_REQUIRED',
      ],
      [choice({ url: `https://usa.example/${'a'.repeat(9000)}` }), 413, 'REQUEST_TOO_LARGE'],
    ]
    for (const [body, status, code] of refusals) {
      const reply = await postConsent(app, body)
      expect([reply.statusCode, reply.json().error.code], code).toEqual([status, code])
    }
    const page = await admin(node, 'GET', '/consent/receipts')
    expect(page).toMatchObject({ status: 200, body: { receipts: [] } })
  })

  it('limits the receipts one address stores per minute', async () => {
    const clock = new ManualClock(T0)
    const { app } = await startNode(clock, { privacy: { consentRatePerMinute: 2 } })
    expect((await postConsent(app, choice())).statusCode).toBe(201)
    expect((await postConsent(app, choice(), {}, '203.0.113.9')).statusCode).toBe(201)
    const third = await postConsent(app, choice())
    expect(third.statusCode).toBe(429)
    expect(third.json().error.code).toBe('RATE_LIMITED')
    expect(third.headers['retry-after']).toBe('60')
    expect((await postConsent(app, choice(), {}, '198.51.100.1')).statusCode).toBe(201)
    await clock.advance(60_000)
    expect((await postConsent(app, choice())).statusCode).toBe(201)
  })

  it('pages the receipts for the admins of the privacy party only', async () => {
    const node = await startNode(new ManualClock(T0))
    for (let i = 0; i < 3; i += 1) await postConsent(node.app, choice())
    const first = await admin(node, 'GET', '/consent/receipts?limit=2&from=oldest')
    expect(first.status).toBe(200)
    expect(first.body.receipts.map((r: SignedConsentReceipt) => r.receipt.seq)).toEqual([1, 2])
    const next = await admin(
      node,
      'GET',
      `/consent/receipts?limit=2&after=${first.body.cursors.after}`,
    )
    expect(next.body.receipts.map((r: SignedConsentReceipt) => r.receipt.seq)).toEqual([3])
  })

  it('exports receipts that verify offline, and one changed byte fails them', async () => {
    const node = await startNode(new ManualClock(T0))
    for (let i = 0; i < 3; i += 1) await postConsent(node.app, choice())
    const lines = await exported(node.app)
    expect(lines).toHaveLength(4)
    const keys = () => usaKey(node.app)
    const report = await verifyConsentLines(lines, keys)
    expect(report).toMatchObject({ ok: true, receipts: 3, checkpoint: null, head: { seq: 3 } })
    const text = lines.join('\n')
    // Every byte of the second receipt, each changed in turn.
    const start = lines[0]!.length + 1
    for (let i = start; i < start + lines[1]!.length; i += 1) {
      const changed = text.slice(0, i) + (text[i] === 'a' ? 'b' : 'a') + text.slice(i + 1)
      const result = await verifyConsentLines(changed.split('\n'), keys)
      expect(result.ok, `byte ${i}`).toBe(false)
    }
    const dropped = await verifyConsentLines([lines[0]!, lines[2]!, lines[3]!], keys)
    expect(dropped.failures.map((f) => f.code)).toEqual(['RECEIPT_SEQ_GAP'])
    const swapped = await verifyConsentLines([lines[1]!, lines[0]!, lines[2]!, lines[3]!], keys)
    expect(swapped.failures.map((f) => f.code)).toEqual([
      'RECEIPT_SEQ_GAP',
      'RECEIPT_SEQ_GAP',
      'RECEIPT_SEQ_GAP',
    ])
    const stale = await verifyConsentLines([lines[0]!, lines[1]!, lines[3]!], keys)
    expect(stale.failures.map((f) => f.code)).toEqual(['RECEIPT_HEAD_MISMATCH'])
    const cut = await verifyConsentLines(lines.slice(0, 3), keys)
    expect(cut.failures.map((f) => f.code)).toEqual(['RECEIPT_HEAD_MISSING'])
  })

  it('prunes receipts past the retention once a day and keeps the rest verifiable from a signed checkpoint', async () => {
    const clock = new ManualClock(T0)
    const privacy = { consentRetentionDays: 1 }
    const first = await startNode(clock, { privacy })
    await postConsent(first.app, choice())
    await postConsent(first.app, choice())
    // Days pass with the node stopped (a running node's scheduler would poll through them).
    await stop(first)
    await clock.advance(DAY)
    const second = await startNode(clock, { privacy, database: first.database })
    const kept = await postConsent(second.app, choice())
    expect(kept.json().receipt.seq).toBe(3)
    await stop(second)
    await clock.advance(DAY)
    // The day's prune runs at start-up and finds the first two older than a day.
    const node = await startNode(clock, { privacy, database: first.database })
    await node.app.scheduler.idle()
    const page = await admin(node, 'GET', '/consent/receipts')
    expect(page.body.receipts.map((r: SignedConsentReceipt) => r.receipt.seq)).toEqual([3])
    const lines = await exported(node.app)
    expect(JSON.parse(lines[0]!).checkpoint).toMatchObject({ seq: 2, pruned: 2 })
    const report = await verifyConsentLines(lines, () => usaKey(node.app))
    expect(report).toMatchObject({ ok: true, receipts: 1, checkpoint: { seq: 2, pruned: 2 } })
    const audit = await admin(node, 'GET', '/audit')
    expect(
      audit.body.entries.filter((e: { action: string }) => e.action === 'consent.prune'),
    ).toMatchObject([{ details: { through: 2, removed: 2, retentionDays: 1 } }])
  })

  it('serves /.well-known/gpc.json', async () => {
    const { app } = await startNode(new ManualClock(T0), {
      privacy: { gpcLastUpdate: '2026-11-30' },
    })
    const reply = await app.inject({ method: 'GET', url: '/.well-known/gpc.json' })
    expect(reply.statusCode).toBe(200)
    expect(reply.json()).toEqual({ gpc: true, lastUpdate: '2026-11-30' })
  })
})

function form(fields: Record<string, string>) {
  return new URLSearchParams(fields).toString()
}

async function submit(
  app: ParleyApp,
  fields: Record<string, string>,
  remoteAddress = '192.0.2.10',
) {
  return app.inject({
    method: 'POST',
    url: '/public/privacy/requests',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form(fields),
  })
}

/** The link of the last verification mail to `to`, as the requester would click it. */
function mailedLink(to: string): URL {
  const mail = sink.mails.filter((m) => m.envelopeTo.includes(to)).at(-1)
  expect(mail, `a mail to ${to}`).toBeDefined()
  const link = /https:\/\/usa\.example\/public\/privacy\/verify\?\S+/.exec(mail!.parsed.text ?? '')
  expect(link).not.toBeNull()
  return new URL(link![0])
}

async function confirm(app: ParleyApp, link: URL) {
  const page = await app.inject({ method: 'GET', url: `${link.pathname}${link.search}` })
  expect(page.statusCode).toBe(200)
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page.body)![1]!
  return app.inject({
    method: 'POST',
    url: '/public/privacy/verify',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ request: field('request'), token: field('token'), lang: field('lang') }),
  })
}

async function requests(node: { app: ParleyApp; database: Database }) {
  const reply = await admin(node, 'GET', '/privacy/requests')
  expect(reply.status).toBe(200)
  return reply.body.requests as import('@parley/api').RightsRequestView[]
}

async function auditActions(node: { app: ParleyApp; database: Database }, prefix: string) {
  const reply = await admin(node, 'GET', '/audit?limit=500')
  return (reply.body.entries as { action: string; details: Record<string, unknown> }[]).filter(
    (e) => e.action.startsWith(prefix),
  )
}

describe('rights requests', () => {
  it('serves the rights and do-not-sell forms in English and Russian, without script', async () => {
    const { app } = await startNode(new ManualClock(T0))
    const en = await app.inject({ method: 'GET', url: '/public/privacy/rights' })
    expect(en.statusCode).toBe(200)
    expect(en.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(en.body).toContain('<h1>Exercise My Rights</h1>')
    expect(en.body).toContain('action="/public/privacy/requests"')
    expect(en.body).not.toContain('<script')
    const ru = await app.inject({ method: 'GET', url: '/public/privacy/do-not-sell?lang=ru' })
    expect(ru.body).toContain('<html lang="ru">')
    expect(ru.body).toContain('Не продавать и не передавать мои персональные данные')
    const accepted = await app.inject({
      method: 'GET',
      url: '/public/privacy/rights',
      headers: { 'accept-language': 'ru-RU,ru;q=0.9' },
    })
    expect(accepted.body).toContain('<h1>Мои права</h1>')
  })

  it('checks the address by e-mail, opens the request with its CCPA deadline, escalates it when due, and takes the answer', async () => {
    const clock = new ManualClock(T0)
    const node = await startNode(clock)
    const { app } = node
    const ladder = [
      {
        action: 'email' as const,
        to: 'contacts' as const,
        at: { from: 'due' as const, offsetMs: 0 },
      },
    ]
    const escalation = await admin(node, 'PUT', '/escalation/usa', {
      contacts: [{ name: 'Privacy officer', email: 'dpo@usa.example' }],
      ladders: { routine: ladder, priority: ladder, flash: ladder },
    })
    expect(escalation.status).toBe(200)

    const sent = await submit(app, {
      kind: 'deletion',
      jurisdiction: 'ccpa',
      email: ' Jane@Example.org ',
      details: 'Delete my newsletter sign-up.',
      lang: 'en',
    })
    expect(sent.statusCode).toBe(201)
    expect(sent.body).toContain('We sent a link to jane@example.org')
    const [pending] = await requests(node)
    expect(pending).toMatchObject({ state: 'unverified', email: 'jane@example.org', dueAt: null })
    const mail = sink.mails.at(-1)!
    expect(mail.envelopeTo).toEqual(['jane@example.org'])
    expect(mail.parsed.subject).toBe('Confirm your personal information request')
    const link = mailedLink('jane@example.org')
    // Only the token's hash is stored.
    const stored = await app.db.selectFrom('privacy_requests').selectAll().executeTakeFirstOrThrow()
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(stored)).not.toContain(link.searchParams.get('token'))

    await clock.advance(60_000)
    const opened = await confirm(app, link)
    expect(opened.statusCode).toBe(200)
    const dueAt = T0 + 45 * DAY
    expect(opened.body).toContain('We will answer by 2027-01-21 09:00 (UTC)')
    const [open] = await requests(node)
    expect(open).toMatchObject({ state: 'open', verifiedAt: T0 + 60_000, dueAt, overdueAt: null })
    // The link works once.
    expect((await confirm(app, link)).statusCode).toBe(400)

    // Weeks pass with the node stopped; it comes back one ms before the deadline.
    await stop(node)
    await clock.advance(dueAt - 1 - clock.now())
    const later = await startNode(clock, { database: node.database })
    await later.app.scheduler.idle()
    expect((await requests(later))[0]!.overdueAt).toBeNull()
    expect(sink.mails.filter((m) => m.envelopeTo.includes('dpo@usa.example'))).toHaveLength(0)
    await clock.advance(1)
    await later.app.scheduler.idle()
    expect((await requests(later))[0]!.overdueAt).toBe(dueAt)
    const escalated = sink.mails.filter((m) => m.envelopeTo.includes('dpo@usa.example'))
    expect(escalated).toHaveLength(1)
    expect(escalated[0]!.parsed.text).toContain(open!.id)
    expect(await auditActions(later, 'privacy.request.overdue')).toMatchObject([
      { details: { request: open!.id, dueAt } },
    ])

    const answer = await admin(later, 'POST', `/privacy/requests/${open!.id}/respond`, {
      response: 'Your sign-up is deleted.',
    })
    expect(answer).toMatchObject({
      status: 200,
      body: { state: 'responded', respondedAt: dueAt },
    })
    const reply = sink.mails.filter((m) => m.envelopeTo.includes('jane@example.org')).at(-1)!
    expect(reply.parsed.subject).toBe('The answer to your personal information request')
    expect(reply.parsed.text).toContain('Your sign-up is deleted.')
    const closed = await admin(later, 'POST', `/privacy/requests/${open!.id}/close`)
    expect(closed).toMatchObject({ status: 200, body: { state: 'closed' } })
    const again = await admin(later, 'POST', `/privacy/requests/${open!.id}/respond`, {
      response: 'More.',
    })
    expect(again).toMatchObject({
      status: 409,
      body: { error: { code: 'PRIVACY_REQUEST_CLOSED' } },
    })
    expect((await auditActions(later, 'privacy.request.')).map((e) => e.action)).toEqual([
      'privacy.request.submit',
      'privacy.request.verify',
      'privacy.request.overdue',
      'privacy.request.respond',
      'privacy.request.close',
    ])
  })

  it('runs a deadline that fell due while the node was down once, at start-up, on a GDPR calendar month', async () => {
    // 31 January 2027: one month is 28 February.
    const received = Date.UTC(2027, 0, 31, 8, 0)
    const clock = new ManualClock(received)
    const node = await startNode(clock)
    await submit(node.app, {
      kind: 'access',
      jurisdiction: 'gdpr',
      email: 'ivan@example.ru',
      lang: 'ru',
    })
    expect(sink.mails.at(-1)!.parsed.subject).toBe('Подтвердите ваш запрос о персональных данных')
    const opened = await confirm(node.app, mailedLink('ivan@example.ru'))
    expect(opened.body).toContain('Ответим до 2027-02-28 08:00 (UTC)')
    const dueAt = Date.UTC(2027, 1, 28, 8, 0)
    expect((await requests(node))[0]!.dueAt).toBe(dueAt)
    await stop(node)
    await clock.advance(2 * DAY + dueAt - clock.now())
    const back = await startNode(clock, { database: node.database })
    await back.app.scheduler.idle()
    expect((await requests(back))[0]!.overdueAt).toBe(dueAt + 2 * DAY)
    await stop(back)
    const third = await startNode(clock, { database: node.database })
    await third.app.scheduler.idle()
    expect(await auditActions(third, 'privacy.request.overdue')).toHaveLength(1)
  })

  it('sets the opt-out of sale and sharing for the address of a confirmed do-not-sell request', async () => {
    const node = await startNode(new ManualClock(T0))
    const sent = await submit(node.app, {
      kind: 'opt-out',
      jurisdiction: 'ccpa',
      email: 'sam@example.com',
      lang: 'en',
    })
    expect(sent.statusCode).toBe(201)
    const optOuts = () => node.app.db.selectFrom('privacy_opt_outs').selectAll().execute()
    expect(await optOuts()).toEqual([])
    await confirm(node.app, mailedLink('sam@example.com'))
    const [request] = await requests(node)
    expect(await optOuts()).toEqual([
      { email: 'sam@example.com', request: request!.id, set_at: T0 },
    ])
  })

  it('refuses bad requests and codes with their code and stores nothing', async () => {
    const clock = new ManualClock(T0)
    const node = await startNode(clock, { privacy: { verificationMinutes: 5 } })
    const { app } = node
    const refusals: [Record<string, string>, string][] = [
      [
        { kind: 'access', jurisdiction: 'ccpa', email: 'not-an-address', lang: 'en' },
        'PRIVACY_EMAIL_INVALID',
      ],
      [{ kind: 'erase-all', jurisdiction: 'ccpa', email: 'a@example.com' }, 'PRIVACY_FORM_INVALID'],
      [{ kind: 'access', jurisdiction: 'mars', email: 'a@example.com' }, 'PRIVACY_FORM_INVALID'],
      [
        { kind: 'correction', jurisdiction: 'gdpr', email: 'a@example.com' },
        'PRIVACY_FORM_INVALID',
      ],
    ]
    for (const [fields, code] of refusals) {
      const reply = await submit(app, fields)
      expect(reply.statusCode, code).toBe(400)
      expect(reply.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(reply.body).toContain(`<strong>${code}</strong>`)
    }
    const twice = await app.inject({
      method: 'POST',
      url: '/public/privacy/requests',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'kind=access&kind=deletion&jurisdiction=ccpa&email=a%40example.com',
    })
    expect(twice.body).toContain('<strong>PRIVACY_FORM_INVALID</strong>')
    expect(sink.mails).toHaveLength(0)
    expect(await requests(node)).toEqual([])

    await submit(app, { kind: 'access', jurisdiction: 'ccpa', email: 'b@example.com' })
    const link = mailedLink('b@example.com')
    const [request] = await requests(node)
    const wrong = new URL(link)
    wrong.searchParams.set('token', 'A'.repeat(43))
    const refused = await confirm(app, wrong)
    expect([refused.statusCode, refused.body.includes('PRIVACY_CODE_INVALID')]).toEqual([400, true])
    const early = await admin(node, 'POST', `/privacy/requests/${request!.id}/respond`, {
      response: 'x',
    })
    expect(early).toMatchObject({
      status: 409,
      body: { error: { code: 'PRIVACY_REQUEST_UNVERIFIED' } },
    })
    const missing = await admin(node, 'POST', `/privacy/requests/pr_${'0'.repeat(32)}/close`)
    expect(missing).toMatchObject({
      status: 404,
      body: { error: { code: 'PRIVACY_REQUEST_NOT_FOUND' } },
    })
    await clock.advance(5 * 60_000)
    const expired = await confirm(app, link)
    expect([expired.statusCode, expired.body.includes('PRIVACY_CODE_EXPIRED')]).toEqual([410, true])
    expect((await requests(node))[0]).toMatchObject({ state: 'unverified', dueAt: null })
  })

  it('cannot check an address without an SMTP server, and stores nothing', async () => {
    const database = await testDatabase()
    const { smtp: _, ...noMail } = config
    const app = await build(noMail, {
      database,
      clock: new ManualClock(T0),
      federate: false,
      logger: false,
      consoleDir: false,
    })
    open.push({ app, database })
    await app.ready()
    const reply = await submit(app, {
      kind: 'access',
      jurisdiction: 'ccpa',
      email: 'c@example.com',
    })
    expect(reply.statusCode).toBe(503)
    expect(reply.body).toContain('PRIVACY_MAIL_UNAVAILABLE')
    expect(await app.db.selectFrom('privacy_requests').selectAll().execute()).toEqual([])
  })
})
