import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { raiseAlarm } from '../src/ledger/index.ts'
import { type AuthTestApp, START, startAuthApp } from './support/auth-app.ts'
import { grant, type LoggedIn, loggedIn, openChannel } from './support/compartments.ts'
import { wholeList } from './support/pages.ts'

interface AlarmPage {
  alarms: { id: number; channel: string | null }[]
  cursors: { before: string | null; after: string | null }
}

describe('alarm pages (GET /alarms)', () => {
  let t: AuthTestApp
  let admin: LoggedIn
  let viewer: LoggedIn
  let mine: string
  let hidden: string

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    admin = await loggedIn(t, 'admin', ['admin', 'drafter'])
    viewer = await loggedIn(t, 'viewer', ['viewer'])
    mine = await openChannel(admin, { title: 'Mine', members: ['usa', 'rus'] })
    hidden = await openChannel(admin, { title: 'Hidden', members: ['usa', 'rus'] })
    await grant(admin, mine, viewer)
    // Interleaved: most alarms of the list are in a compartment the viewer is outside of.
    for (let i = 0; i < 12; i++) {
      await raiseAlarm(t.database.db, {
        kind: 'heads_conflict',
        channel: i % 3 === 0 ? mine : hidden,
        party: 'rus',
        details: { i },
        now: START + i,
      })
    }
  })
  afterAll(() => t.close())

  const get = (who: LoggedIn) => (path: string) => who.browser.request('GET', path)

  it('gives full pages of what the officer may see, oldest first, in both directions', async () => {
    const all = await wholeList<AlarmPage['alarms'][number]>(get(viewer), '/alarms', 'alarms', 2)
    expect(all.map((a) => a.channel)).toEqual([mine, mine, mine, mine])
    expect(all.map((a) => a.id)).toEqual([...all.map((a) => a.id)].sort((a, b) => a - b))
    const newest: AlarmPage = (await viewer.browser.request('GET', '/alarms?limit=3')).body
    expect(newest.alarms.map((a) => a.id)).toEqual(all.slice(1).map((a) => a.id))
    const older: AlarmPage = (
      await viewer.browser.request('GET', `/alarms?limit=3&before=${newest.cursors.before}`)
    ).body
    expect(older.alarms.map((a) => a.id)).toEqual([all[0]!.id])
    expect(older.cursors.before).toBeNull()
    const everyone = await wholeList<{ id: number }>(get(admin), '/alarms', 'alarms', 5)
    expect(everyone).toHaveLength(12)
  })

  it('refuses a cursor of another list', async () => {
    const timeline = (await admin.browser.request('GET', `/channels/${mine}/timeline`)).body
    const reply = await viewer.browser.request('GET', `/alarms?after=${timeline.cursors.after}`)
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe('PAGE_CURSOR_INVALID')
  })
})

describe('alarms of hosted parties', () => {
  it('shows an escalation only to the officers of the party that must act', async () => {
    const t = await startAuthApp({ auth: { requireSecondFactor: false } })
    onTestFinished(() => t.close())
    const admin = await loggedIn(t, 'admin', ['admin', 'drafter'])
    const viewer = await loggedIn(t, 'viewer', ['viewer'])
    const duty = await openChannel(admin, { title: 'Duty', members: ['usa', 'rus'] })
    await grant(admin, duty, viewer)
    await raiseAlarm(t.database.db, {
      kind: 'heads_conflict',
      channel: duty,
      party: 'rus',
      details: {},
      now: START,
    })
    for (const party of ['usa', 'rus']) {
      await raiseAlarm(t.database.db, {
        kind: 'escalation',
        channel: duty,
        party,
        details: { notice: `n-${party}`, deadline: 'acknowledge' },
        now: START + 100,
      })
    }
    const seen = await wholeList<{ kind: string; party: string | null }>(
      (path) => viewer.browser.request('GET', path),
      '/alarms',
      'alarms',
      5,
    )
    expect(seen.filter((a) => a.kind === 'escalation').map((a) => a.party)).toEqual(['usa'])
    // A fork alarm on the channel, which names rus as the party at fault, stays in view.
    expect(seen.filter((a) => a.kind === 'heads_conflict').map((a) => a.party)).toEqual(['rus'])
  })
})
