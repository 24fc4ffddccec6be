import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clearAlarm, raiseAlarm } from '../src/ledger/index.ts'
import { type AuthTestApp, START, startAuthApp } from './support/auth-app.ts'
import { type LoggedIn, loggedIn, message, openChannel } from './support/compartments.ts'
import { officerWithToken } from './support/tokens.ts'

describe('GET /metrics', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let desk: string
  /** An admin's API token: what a Prometheus scraper is configured with. */
  let TOKEN: string
  let VIEWER: string

  const scrape = (authorization?: string) =>
    t.app.inject({
      url: '/metrics',
      headers: authorization === undefined ? {} : { authorization },
    })
  const value = async (name: string) => {
    const text = (await scrape(`Bearer ${TOKEN}`)).body
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
  }

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    TOKEN = (
      await officerWithToken(t.database.db, () => t.clock.now, { party: 'usa', roles: ['admin'] })
    ).token
    const viewer = await officerWithToken(t.database.db, () => t.clock.now, {
      party: 'usa',
      roles: ['viewer'],
    })
    VIEWER = viewer.token
    alice = await loggedIn(t, 'alice', ['drafter'])
    desk = await openChannel(alice, { title: 'Metrics', members: ['usa', 'rus'] })
  })
  afterAll(() => t.close())

  it('answers the operator credential only, with METRICS_AUTH_REQUIRED otherwise', async () => {
    for (const header of [undefined, 'Bearer wrong', `Basic ${TOKEN}`, `Bearer ${VIEWER}`]) {
      const reply = await scrape(header)
      expect(reply.statusCode).toBe(401)
      expect(reply.json().error.code).toBe('METRICS_AUTH_REQUIRED')
    }
    // An officer's session is not the operator's credential.
    const officer = await t.app.inject({
      url: '/metrics',
      headers: { cookie: `parley_session=${alice.browser.cookie}` },
    })
    expect(officer.statusCode).toBe(401)
    const reply = await scrape(`Bearer ${TOKEN}`)
    expect(reply.statusCode).toBe(200)
    expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(reply.body).toContain('# TYPE parley_outbox_depth gauge')
  })

  it('counts events as they are stored', async () => {
    const before = (await value('parley_events_stored'))!
    expect(before).toBeGreaterThan(0)
    await alice.browser.request('POST', `/channels/${desk}/messages`, message('counted'))
    expect(await value('parley_events_stored')).toBe(before + 1)
  })

  it('shows open alarms, and fewer once cleared', async () => {
    expect(await value('parley_alarms_open')).toBe(0)
    await raiseAlarm(t.database.db, {
      kind: 'heads_conflict',
      channel: desk,
      party: 'rus',
      details: { test: 'metrics' },
      now: START,
    })
    expect(await value('parley_alarms_open')).toBe(1)
    const [alarm] = await t.database.db.selectFrom('alarms').select('id').execute()
    await clearAlarm(t.database.db, alarm!.id, START)
    expect(await value('parley_alarms_open')).toBe(0)
  })

  it('shows how late the scheduler runs an overdue job', async () => {
    expect(await value('parley_scheduler_lag_seconds')).toBe(0)
    // A job of a kind no handler runs stays due: what a stalled scheduler looks like.
    await t.database.db
      .insertInto('jobs')
      .values({
        kind: 'metrics.test',
        key: 'k',
        payload: '{}',
        state: 'pending',
        due_at: START,
        last_error: null,
        leased_by: null,
        leased_until: null,
        created_at: START,
        finished_at: null,
      })
      .execute()
    t.clock.advance(90_000)
    expect(await value('parley_scheduler_lag_seconds')).toBe(90)
  })
})
