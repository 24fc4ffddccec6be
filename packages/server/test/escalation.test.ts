import { createPublicKey, verify } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {
  EscalationAttemptEntry,
  EscalationConfig,
  EscalationView,
  PageCursors,
  Roster,
} from '@parley/api'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { build, type ParleyApp } from '../src/app.ts'
import { loadConfig, type NodeConfig } from '../src/config.ts'
import type { NoticeAlert } from '../src/features/escalation/escalation.service.ts'
import { createOfficer } from '../src/features/officers/officers.service.ts'
import { passwordHasher } from '../src/features/officers/password.ts'
import { ManualClock } from '../src/node/clock.ts'
import { initNodeDirectory } from '../src/node-identity.ts'
import type { Database } from '../src/store/database.ts'
import { testDatabase } from './support/database.ts'
import { PASSWORD } from './support/officers.ts'
import { cheapPasswordHash } from './support/password-hash.ts'
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.ts'
import { ALL_ROLES, officerWithToken } from './support/tokens.ts'
import { startWebhookReceiver } from './support/webhook-receiver.ts'

const MIN = 60_000
const NOTICE = 'a'.repeat(64)
const CHANNEL = 'ch_01JZ0000000000000000000000'
const SECRET = `whsec_${Buffer.from('a webhook secret of 32 bytes!!!!').toString('base64')}`

let sink: SmtpSink
let dir: string
let config: NodeConfig
const open: { app: ParleyApp; database: Database }[] = []

beforeAll(async () => {
  sink = await startSmtpSink()
  dir = await mkdtemp(join(tmpdir(), 'parley-escalation-'))
  await initNodeDirectory({
    dir,
    node: 'usa',
    parties: [{ id: 'usa', name: 'United States' }],
    now: 0,
  })
  config = {
    ...loadConfig(join(dir, 'parley.json'), {}),
    auth: { passwordHash: cheapPasswordHash },
    smtp: { host: '127.0.0.1', port: sink.port, from: 'parley@usa.example' },
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

/**
 * The automation officer of each node's database: usa's, every role, on the access list of
 * the notices' channel (the alarms are of it), with an API token.
 */
const automation = new Map<Database, string>()
const tokenOf = new WeakMap<ParleyApp, string>()

async function startNode(clock: ManualClock, database?: Database) {
  const db = database ?? (await testDatabase())
  const app = await build(config, { database: db, clock, federate: false, logger: false })
  await app.ready()
  if (!automation.has(db)) {
    const bot = await officerWithToken(db.db, () => clock.now(), {
      party: 'usa',
      roles: ALL_ROLES,
      channels: [CHANNEL],
      expiresAt: clock.now() + 300 * 86_400_000,
    })
    automation.set(db, bot.token)
  }
  tokenOf.set(app, automation.get(db)!)
  return { app, database: db }
}

// biome-ignore lint/suspicious/noExplicitAny: tests read replies field by field; their assertions are the check
async function call<T = any>(app: ParleyApp, method: 'GET' | 'PUT', url: string, body?: unknown) {
  const reply = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: {
      authorization: `Bearer ${tokenOf.get(app)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  })
  return { status: reply.statusCode, body: reply.json() as T }
}

async function officer(app: ParleyApp, username: string, email: string | null) {
  const ctx = {
    db: app.db,
    now: app.now,
    parties: ['usa'],
    passwords: passwordHasher(cheapPasswordHash),
  }
  const made = await createOfficer(
    ctx,
    { officer: null, party: null, via: 'cli' },
    { party: 'usa', username, displayName: username, email, roles: ['viewer'], password: PASSWORD },
  )
  return made.officer.id
}

function alert(startedAt: number, dueAt: number, extra: Partial<NoticeAlert> = {}): NoticeAlert {
  const notice = extra.notice ?? NOTICE
  return {
    key: `${notice}:usa:acknowledge`,
    party: 'usa',
    channel: CHANNEL,
    notice,
    kind: 'incident',
    urgency: 'flash',
    subject: 'Wiper malware on grid operator',
    deadline: 'acknowledge',
    startedAt,
    dueAt,
    ...extra,
  }
}

async function begin(app: ParleyApp, a: NoticeAlert) {
  await app.db.transaction().execute((trx) => app.escalation.begin(a, trx))
}

async function run(app: ParleyApp, clock: ManualClock, ms: number) {
  await clock.advance(ms)
  await app.scheduler.idle()
}

async function escalation(app: ParleyApp, notice = NOTICE): Promise<EscalationView> {
  const reply = await call<{ escalations: EscalationView[] }>(
    app,
    'GET',
    `/notices/${notice}/escalation`,
  )
  expect(reply.status).toBe(200)
  expect(reply.body.escalations).toHaveLength(1)
  return reply.body.escalations[0]!
}

const ladder = (steps: EscalationConfig['ladders']['flash']): EscalationConfig['ladders'] => ({
  routine: steps,
  priority: steps,
  flash: steps,
})

describe('the escalation ladder', () => {
  it('alarms and mails the watch on duty, the next watch after the hand-over, then the contacts', async () => {
    // Monday 7 December 2026, 09:50 UTC: Alice's watch ends at 10:00, Boris's begins.
    const t0 = Date.UTC(2026, 11, 7, 9, 50)
    const clock = new ManualClock(t0)
    const node = await startNode(clock)
    open.push(node)
    const { app } = node
    const alice = await officer(app, 'alice', 'alice@usa.example')
    const boris = await officer(app, 'boris', 'boris@usa.example')
    const roster: Roster = {
      shifts: [
        { officer: alice, days: [1, 2, 3, 4, 5], from: '02:00', until: '10:00' },
        { officer: boris, days: [1, 2, 3, 4, 5], from: '10:00', until: '18:00' },
      ],
      overrides: [],
    }
    expect((await call(app, 'PUT', '/rosters/usa', roster)).status).toBe(200)
    const duty = await call(app, 'GET', `/rosters/usa/on-duty?at=${t0}`)
    expect(duty.body).toMatchObject({ officers: [{ id: alice, email: 'alice@usa.example' }] })
    expect(duty.body.nextHandover).toBe(Date.UTC(2026, 11, 7, 10, 0))
    const config: EscalationConfig = {
      contacts: [{ name: 'Duty director', email: 'director@usa.example' }],
      ladders: ladder([
        { action: 'alarm', at: { from: 'start', offsetMs: 0 } },
        { action: 'email', to: 'duty', at: { from: 'start', offsetMs: 0 } },
        { action: 'email', to: 'duty', at: { from: 'start', offsetMs: 15 * MIN } },
        { action: 'email', to: 'contacts', at: { from: 'due', offsetMs: 0 } },
      ]),
    }
    expect((await call(app, 'PUT', '/escalation/usa', config)).status).toBe(200)

    await begin(app, alert(t0, t0 + 20 * MIN))
    await run(app, clock, 0)
    const alarms = (await call(app, 'GET', '/alarms')).body.alarms
    expect(alarms).toMatchObject([
      {
        kind: 'escalation',
        party: 'usa',
        channel: CHANNEL,
        details: { notice: NOTICE, officers: [alice] },
      },
    ])
    expect(sink.mails.map((m) => m.envelopeTo)).toEqual([['alice@usa.example']])
    const first = sink.mails[0]!.parsed
    expect(first.subject).toBe(
      '[Parley] FLASH notice not yet acknowledged: Wiper malware on grid operator',
    )
    expect(first.text).toContain(`Notice:   ${NOTICE}`)
    expect(first.text).toContain(
      `Deadline: acknowledge by ${new Date(t0 + 20 * MIN).toISOString()}`,
    )

    await run(app, clock, 15 * MIN - 1)
    expect(sink.mails).toHaveLength(1)
    await run(app, clock, 1)
    expect(sink.mails.map((m) => m.envelopeTo)).toEqual([
      ['alice@usa.example'],
      ['boris@usa.example'],
    ])
    await run(app, clock, 5 * MIN)
    expect(sink.mails.map((m) => m.envelopeTo)[2]).toEqual(['director@usa.example'])
    expect(sink.mails[2]!.parsed.text).toContain('the deadline passed 0 min ago')

    const view = await escalation(app)
    expect(view.steps.map((s) => [s.action, s.target, s.state, s.dueAt])).toEqual([
      ['alarm', null, 'sent', t0],
      ['email', 'duty', 'sent', t0],
      ['email', 'duty', 'sent', t0 + 15 * MIN],
      ['email', 'contacts', 'sent', t0 + 20 * MIN],
    ])
    expect(view.steps.map((s) => s.attempts.map((a) => a.recipients))).toEqual([
      [[alice]],
      [['alice@usa.example']],
      [['boris@usa.example']],
      [['director@usa.example']],
    ])
    expect(view.steps[1]!.attempts[0]).toMatchObject({ outcome: 'sent', smtpCode: 250, at: t0 })
    const audit = (await call(app, 'GET', '/audit?limit=500')).body.entries as {
      action: string
      details: { outcome: string }
    }[]
    expect(
      audit.filter((e) => e.action === 'escalation.step').map((e) => e.details.outcome),
    ).toEqual(['sent', 'sent', 'sent', 'sent'])
  })

  it('records an SMTP refusal with its code and retries until the server takes the mail', async () => {
    const t0 = Date.UTC(2026, 11, 7, 12, 0)
    const clock = new ManualClock(t0)
    const node = await startNode(clock)
    open.push(node)
    const { app } = node
    const alice = await officer(app, 'alice', 'alice@usa.example')
    await call(app, 'PUT', '/rosters/usa', {
      shifts: [{ officer: alice, days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', until: '00:00' }],
      overrides: [],
    })
    await call(app, 'PUT', '/escalation/usa', {
      contacts: [],
      ladders: ladder([{ action: 'email', to: 'duty', at: { from: 'start', offsetMs: 0 } }]),
    })
    sink.refuseNext(2, 451)
    await begin(app, alert(t0, t0 + 15 * MIN))
    await run(app, clock, 0)
    expect(sink.mails).toHaveLength(0)
    let step = (await escalation(app)).steps[0]!
    expect(step.state).toBe('retrying')
    expect(step.attempts).toMatchObject([
      { attempt: 1, outcome: 'refused', smtpCode: 451, retryAt: t0 + 30_000, at: t0 },
    ])
    await run(app, clock, 30_000)
    await run(app, clock, 60_000)
    step = (await escalation(app)).steps[0]!
    expect(step.attempts.map((a) => [a.outcome, a.smtpCode, a.at])).toEqual([
      ['refused', 451, t0],
      ['refused', 451, t0 + 30_000],
      ['sent', 250, t0 + 90_000],
    ])
    expect(step.state).toBe('sent')
    expect(sink.mails.map((m) => m.envelopeTo)).toEqual([['alice@usa.example']])
  })

  it('gives up at once on a permanent SMTP refusal (5xx) and says so', async () => {
    const t0 = Date.UTC(2026, 11, 7, 12, 0)
    const clock = new ManualClock(t0)
    const node = await startNode(clock)
    open.push(node)
    const { app } = node
    await call(app, 'PUT', '/escalation/usa', {
      contacts: [{ name: 'Gone', email: 'gone@usa.example' }],
      ladders: ladder([{ action: 'email', to: 'contacts', at: { from: 'start', offsetMs: 0 } }]),
    })
    sink.refuseNext(1, 550)
    await begin(app, alert(t0, t0 + 15 * MIN))
    await run(app, clock, 10 * MIN)
    const step = (await escalation(app)).steps[0]!
    expect(step.state).toBe('failed')
    expect(step.attempts).toMatchObject([{ outcome: 'refused', smtpCode: 550, retryAt: null }])
  })

  it('stops at an acknowledgment: steps not yet run never run, and the alarm clears', async () => {
    const t0 = Date.UTC(2026, 11, 7, 12, 0)
    const clock = new ManualClock(t0)
    const node = await startNode(clock)
    open.push(node)
    const { app } = node
    await call(app, 'PUT', '/escalation/usa', {
      contacts: [{ name: 'Director', email: 'director@usa.example' }],
      ladders: ladder([
        { action: 'alarm', at: { from: 'start', offsetMs: 0 } },
        { action: 'email', to: 'contacts', at: { from: 'due', offsetMs: 0 } },
        {
          action: 'webhook',
          url: 'http://127.0.0.1:9/never',
          secret: SECRET,
          at: { from: 'due', offsetMs: 0 },
        },
      ]),
    })
    await begin(app, alert(t0, t0 + 15 * MIN))
    await run(app, clock, 0)
    expect((await call(app, 'GET', '/alarms')).body.alarms).toHaveLength(1)
    await run(app, clock, 15 * MIN - 1)
    await app.db
      .transaction()
      .execute((trx) => app.escalation.end(NOTICE, 'usa', 'acknowledged', trx))
    await run(app, clock, 60 * MIN)
    expect(sink.mails).toHaveLength(0)
    const view = await escalation(app)
    expect(view).toMatchObject({ endedAt: t0 + 15 * MIN - 1, endReason: 'acknowledged' })
    expect(view.steps.map((s) => [s.state, s.attempts.length])).toEqual([
      ['sent', 1],
      ['cancelled', 0],
      ['cancelled', 0],
    ])
    expect((await call(app, 'GET', '/alarms')).body.alarms).toEqual([])
    const jobs = await app.db
      .selectFrom('jobs')
      .select('state')
      .where('kind', '=', 'escalation.step')
      .execute()
    expect(jobs.map((j) => j.state)).toEqual(['done'])
  })

  it('signs webhooks (v1 HMAC, v1a Ed25519), honours Retry-After, and disables an endpoint on 410', async () => {
    // Near real time: the standardwebhooks verifier allows five minutes of clock skew.
    const t0 = Math.floor(Date.now() / 1000) * 1000
    const clock = new ManualClock(t0)
    const node = await startNode(clock)
    open.push(node)
    const { app } = node
    const receiver = await startWebhookReceiver({
      '/hook': [{ status: 503, headers: { 'retry-after': '120' } }, { status: 200 }],
      '/gone': [{ status: 410 }],
    })
    try {
      await call(app, 'PUT', '/escalation/usa', {
        contacts: [],
        ladders: ladder([
          {
            action: 'webhook',
            url: `${receiver.url}/hook`,
            secret: SECRET,
            at: { from: 'start', offsetMs: 0 },
          },
          {
            action: 'webhook',
            url: `${receiver.url}/gone`,
            secret: SECRET,
            at: { from: 'start', offsetMs: 0 },
          },
        ]),
      })
      await begin(app, alert(t0, t0 + 15 * MIN))
      await run(app, clock, 0)
      let view = await escalation(app)
      expect(view.steps[0]!.attempts).toMatchObject([
        { outcome: 'refused', httpStatus: 503, retryAt: t0 + 120_000 },
      ])
      expect(view.steps[1]).toMatchObject({
        state: 'failed',
        attempts: [{ outcome: 'disabled', httpStatus: 410 }],
      })
      await run(app, clock, 120_000 - 1)
      expect(receiver.received.filter((r) => r.path === '/hook')).toHaveLength(1)
      await run(app, clock, 1)
      view = await escalation(app)
      expect(view.steps[0]).toMatchObject({ state: 'sent' })
      expect(view.steps[0]!.attempts.map((a) => [a.httpStatus, a.at])).toEqual([
        [503, t0],
        [200, t0 + 120_000],
      ])

      const hooks = receiver.received.filter((r) => r.path === '/hook')
      expect(hooks).toHaveLength(2)
      expect(hooks[0]!.headers['webhook-id']).toBe(hooks[1]!.headers['webhook-id'])
      const published = await app.inject({ method: 'GET', url: '/.well-known/parley-webhook-key' })
      const { keys } = published.json() as { keys: { publicKey: string }[] }
      const publicKey = createPublicKey({
        key: {
          kty: 'OKP',
          crv: 'Ed25519',
          x: Buffer.from(keys[0]!.publicKey.slice('whpk_'.length), 'base64').toString('base64url'),
        },
        format: 'jwk',
      })
      for (const hook of hooks) {
        const headers = hook.headers as Record<string, string>
        const payload = new Webhook(SECRET).verify(hook.body, headers) as {
          data: { notice: string }
        }
        expect(payload.data.notice).toBe(NOTICE)
        const v1a = headers['webhook-signature']!.split(' ').find((s) => s.startsWith('v1a,'))!
        const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${hook.body}`
        expect(
          verify(null, Buffer.from(signed), publicKey, Buffer.from(v1a.slice(4), 'base64')),
        ).toBe(true)
        expect(
          verify(null, Buffer.from(`${signed} `), publicKey, Buffer.from(v1a.slice(4), 'base64')),
        ).toBe(false)
      }
      expect(() =>
        new Webhook(
          `whsec_${Buffer.from('another secret, 32 bytes long!!!').toString('base64')}`,
        ).verify(hooks[0]!.body, hooks[0]!.headers as Record<string, string>),
      ).toThrow()

      const configView = (await call(app, 'GET', '/escalation/usa')).body
      expect(configView.disabledWebhooks).toMatchObject([
        { url: `${receiver.url}/gone`, status: 410 },
      ])
      const audit = (await call(app, 'GET', '/audit?limit=500')).body.entries as {
        action: string
      }[]
      expect(audit.filter((e) => e.action === 'escalation.webhook.disabled')).toHaveLength(1)

      // A later notice's ladder skips the disabled endpoint without calling it.
      const other = 'b'.repeat(64)
      await begin(app, alert(clock.now(), clock.now() + 15 * MIN, { notice: other }))
      await run(app, clock, 0)
      expect(receiver.received.filter((r) => r.path === '/gone')).toHaveLength(1)
      expect((await escalation(app, other)).steps[1]).toMatchObject({
        state: 'skipped',
        attempts: [{ outcome: 'skipped' }],
      })
    } finally {
      await receiver.close()
    }
  })

  it('runs each step once across a restart in the middle of the ladder', async () => {
    const t0 = Date.UTC(2026, 11, 7, 12, 0)
    const clock = new ManualClock(t0)
    const database = await testDatabase()
    let app = (await startNode(clock, database)).app
    const alice = await officer(app, 'alice', 'alice@usa.example')
    await call(app, 'PUT', '/rosters/usa', {
      shifts: [{ officer: alice, days: [1, 2, 3, 4, 5, 6, 7], from: '06:00', until: '06:00' }],
      overrides: [],
    })
    await call(app, 'PUT', '/escalation/usa', {
      contacts: [{ name: 'Director', email: 'director@usa.example' }],
      ladders: ladder([
        { action: 'email', to: 'duty', at: { from: 'start', offsetMs: 0 } },
        { action: 'email', to: 'contacts', at: { from: 'start', offsetMs: 10 * MIN } },
      ]),
    })
    await begin(app, alert(t0, t0 + 15 * MIN))
    await run(app, clock, 0)
    expect(sink.mails).toHaveLength(1)
    await app.close()
    // Down past the second step's time: it runs at start-up, once; the first does not run again.
    await clock.advance(20 * MIN)
    app = (await startNode(clock, database)).app
    open.push({ app, database })
    await begin(app, alert(t0, t0 + 15 * MIN))
    await app.scheduler.idle()
    await run(app, clock, 60 * MIN)
    expect(sink.mails.map((m) => m.envelopeTo)).toEqual([
      ['alice@usa.example'],
      ['director@usa.example'],
    ])
    const view = await escalation(app)
    expect(view.steps.map((s) => [s.state, s.attempts.length])).toEqual([
      ['sent', 1],
      ['sent', 1],
    ])
    expect(view.steps[1]!.attempts[0]!.at).toBe(t0 + 20 * MIN)
  })

  it('refuses a ladder e-mailing no contact, then pages every attempt across notices, newest page first, in the reader’s compartments', async () => {
    const t0 = Date.UTC(2026, 11, 7, 12, 0)
    const clock = new ManualClock(t0)
    const node = await startNode(clock)
    open.push(node)
    const { app } = node
    const steps = ladder([
      { action: 'alarm', at: { from: 'start', offsetMs: 0 } },
      { action: 'email', to: 'contacts', at: { from: 'start', offsetMs: 30_000 } },
    ])
    // An e-mail to the contacts with none named could never reach anyone: refused at that step.
    const unreachable = await call(app, 'PUT', '/escalation/usa', { contacts: [], ladders: steps })
    expect([unreachable.status, unreachable.body.error.code]).toEqual([
      400,
      'ESCALATION_CONFIG_INVALID',
    ])
    expect(unreachable.body.error.details.path).toBe('ladders.routine.1.to')
    expect((await call(app, 'GET', '/escalation/usa')).body.custom).toBe(false)
    const saved = await call(app, 'PUT', '/escalation/usa', {
      contacts: [{ name: 'Director', email: 'director@usa.example' }],
      ladders: steps,
    })
    expect(saved.status).toBe(200)
    // Three notices a minute apart; the second is on a channel the reader is not granted.
    const notices = ['b'.repeat(64), 'c'.repeat(64), 'd'.repeat(64)]
    const hidden = 'ch_01JZ0000000000000000000001'
    for (const [i, notice] of notices.entries()) {
      const at = t0 + i * MIN
      await begin(
        app,
        alert(at, at + 15 * MIN, { notice, ...(i === 1 ? { channel: hidden } : {}) }),
      )
      await run(app, clock, 0)
      await run(app, clock, MIN)
    }
    type Attempts = { attempts: EscalationAttemptEntry[]; cursors: PageCursors }
    const newest = await call<Attempts>(app, 'GET', '/escalation/usa/attempts?limit=3')
    expect(newest.status).toBe(200)
    const row = (a: EscalationAttemptEntry) => [
      a.notice,
      a.index,
      a.action,
      a.target,
      a.outcome,
      a.at,
    ]
    expect(newest.body.attempts.map(row)).toEqual([
      [notices[0], 1, 'email', 'contacts', 'sent', t0 + 30_000],
      [notices[2], 0, 'alarm', null, 'sent', t0 + 2 * MIN],
      [notices[2], 1, 'email', 'contacts', 'sent', t0 + 2 * MIN + 30_000],
    ])
    expect(newest.body.attempts[2]).toMatchObject({
      escalation: `${notices[2]}:usa:acknowledge`,
      channel: CHANNEL,
      subject: 'Wiper malware on grid operator',
      urgency: 'flash',
      deadline: 'acknowledge',
      attempt: 1,
      recipients: ['director@usa.example'],
      smtpCode: 250,
      httpStatus: null,
      retryAt: null,
    })
    expect(newest.body.cursors.before).not.toBeNull()
    const older = await call<Attempts>(
      app,
      'GET',
      `/escalation/usa/attempts?limit=3&before=${newest.body.cursors.before}`,
    )
    expect(older.body.attempts.map(row)).toEqual([[notices[0], 0, 'alarm', null, 'sent', t0]])
    expect(older.body.cursors.before).toBeNull()
    const since = await call<Attempts>(
      app,
      'GET',
      `/escalation/usa/attempts?after=${newest.body.cursors.after}`,
    )
    const last = newest.body.cursors.after
    expect(since.body).toEqual({ attempts: [], cursors: { before: last, after: last } })

    const alarmsCursor = (await call(app, 'GET', '/alarms?limit=1')).body.cursors.after as string
    const foreign = await call(app, 'GET', `/escalation/usa/attempts?before=${alarmsCursor}`)
    expect([foreign.status, foreign.body.error.code]).toEqual([400, 'PAGE_CURSOR_INVALID'])
    const both = await call(
      app,
      'GET',
      `/escalation/usa/attempts?before=${alarmsCursor}&after=${alarmsCursor}`,
    )
    expect([both.status, both.body.error.code]).toEqual([400, 'PAGE_CURSORS_CONFLICT'])
    const elsewhere = await call(app, 'GET', '/escalation/rus/attempts')
    expect([elsewhere.status, elsewhere.body.error.code]).toEqual([403, 'PARTY_NOT_HOSTED'])
    const viewer = await officerWithToken(app.db, () => clock.now(), {
      party: 'usa',
      roles: ['viewer'],
      channels: [CHANNEL],
    })
    const refused = await app.inject({
      method: 'GET',
      url: '/api/v1/escalation/usa/attempts',
      headers: { authorization: `Bearer ${viewer.token}` },
    })
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'FORBIDDEN_ROLE'])
  })

  it('refuses a roster naming no officer of the party, or an override ending before it starts', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 7, 12, 0))
    const node = await startNode(clock)
    open.push(node)
    const { app } = node
    const alice = await officer(app, 'alice', null)
    const good: Roster = {
      shifts: [{ officer: alice, days: [1], from: '08:00', until: '16:00' }],
      overrides: [],
    }
    expect((await call(app, 'PUT', '/rosters/usa', good)).status).toBe(200)
    for (const bad of [
      { ...good, shifts: [{ ...good.shifts[0]!, officer: 'o_zzzzzzzzzzzzzzzzzzzzzzzzzz' }] },
      { ...good, overrides: [{ officer: alice, from: 1000, until: 1000 }] },
    ]) {
      const reply = await call(app, 'PUT', '/rosters/usa', bad)
      expect(reply.status).toBe(400)
      expect(reply.body.error.code).toBe('ROSTER_INVALID')
    }
    const badDays = await call(app, 'PUT', '/rosters/usa', {
      ...good,
      shifts: [{ ...good.shifts[0]!, days: [0] }],
    })
    expect(badDays.body.error.code).toBe('REQUEST_INVALID')
    expect((await call(app, 'GET', '/rosters/usa')).body).toMatchObject({ ...good, party: 'usa' })
    const elsewhere = await call(app, 'GET', '/rosters/rus')
    expect([elsewhere.status, elsewhere.body.error.code]).toEqual([403, 'PARTY_NOT_HOSTED'])
  })
})
