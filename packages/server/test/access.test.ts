import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type WebSocket from 'ws'
import { listAudit } from '../src/features/audit/audit.service.ts'
import { raiseAlarm } from '../src/ledger/index.ts'
import { type AuthTestApp, startAuthApp } from './support/auth-app.ts'
import {
  grant,
  incidentNotice,
  type LoggedIn,
  loggedIn,
  message,
  openChannel,
  WORKING_GROUP_POLICY,
} from './support/compartments.ts'

// Scenario: usa's officers Alice (drafter), Ben (releaser), Carla (admin) work in the working
// group; Dan (viewer, law enforcement) must not see it. Kadri is an officer of est, another
// party hosted on the same node.
describe('compartments', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let ben: LoggedIn
  let carla: LoggedIn
  let dan: LoggedIn
  let erin: LoggedIn
  let kadri: LoggedIn
  let workingGroup: string
  let open: string

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    alice = await loggedIn(t, 'alice', ['drafter'])
    ben = await loggedIn(t, 'ben', ['releaser'])
    carla = await loggedIn(t, 'carla', ['admin'])
    dan = await loggedIn(t, 'dan', ['viewer'])
    erin = await loggedIn(t, 'erin', ['drafter'])
    kadri = await loggedIn(t, 'kadri', ['admin'], 'est')
    workingGroup = await openChannel(alice, {
      title: 'US–Russia ICT Security Working Group',
      members: ['usa', 'rus'],
      observers: ['osce'],
      policy: WORKING_GROUP_POLICY,
    })
    await grant(carla, workingGroup, ben)
    open = await openChannel(alice, { title: 'Duty desk', members: ['usa', 'rus'] })
    await grant(carla, open, dan, erin)
  })
  afterAll(() => t.close())

  const ids = (reply: { body: { channels: { id: string }[] } }) =>
    reply.body.channels.map((channel) => channel.id)

  it('hides the working group from Dan’s channel list and shows it to its members', async () => {
    expect(ids(await dan.browser.request('GET', '/channels'))).toEqual([open])
    expect(ids(await alice.browser.request('GET', '/channels'))).toEqual(
      expect.arrayContaining([workingGroup, open]),
    )
    expect(ids(await ben.browser.request('GET', '/channels'))).toEqual([workingGroup])
  })

  it('refuses Dan the channel, its timeline and its live stream with CHANNEL_FORBIDDEN', async () => {
    for (const path of [`/channels/${workingGroup}`, `/channels/${workingGroup}/timeline`]) {
      const reply = await dan.browser.request('GET', path)
      expect(reply.status, path).toBe(403)
      expect(reply.body.error.code).toBe('CHANNEL_FORBIDDEN')
    }
    await expect(
      t.app.injectWS(`/api/v1/stream?channel=${workingGroup}`, wsHeaders(dan)),
    ).rejects.toThrow('Unexpected server response: 403')
  })

  it('answers a channel that does not exist exactly like one outside the compartment', async () => {
    const missing = `ch_${'0'.repeat(26)}`
    const unknown = await dan.browser.request('GET', `/channels/${missing}/timeline`)
    const hidden = await dan.browser.request('GET', `/channels/${workingGroup}/timeline`)
    expect(unknown.status).toBe(hidden.status)
    expect(unknown.body.error.code).toBe(hidden.body.error.code)
    expect(unknown.body.error.message.replace(missing, 'X')).toBe(
      hidden.body.error.message.replace(workingGroup, 'X'),
    )
  })

  it('keeps a drafter outside the compartment from composing there', async () => {
    const reply = await erin.browser.request('POST', `/channels/${workingGroup}/compose`, {
      type: 'notice.open',
      body: incidentNotice(),
    })
    expect(reply.status).toBe(403)
    expect(reply.body.error.code).toBe('CHANNEL_FORBIDDEN')
  })

  it('streams to Dan only the events of his compartments', async () => {
    const socket = await t.app.injectWS('/api/v1/stream', wsHeaders(dan))
    const received = collect(socket)
    try {
      await alice.browser.request('POST', `/channels/${workingGroup}/messages`, message('WG only'))
      const visible = await alice.browser.request(
        'POST',
        `/channels/${open}/messages`,
        message('For the desk'),
      )
      await until(() => received.length >= 1)
      expect(received.map((event) => event.event.body.text)).toEqual(['For the desk'])
      expect(received[0]!.id).toBe(visible.body.event.id)
    } finally {
      socket.terminate()
    }
  })

  it('lets an admin add Dan and take him off again, on an open stream too, and audits both', async () => {
    const socket = await t.app.injectWS('/api/v1/stream', wsHeaders(dan))
    const received = collect(socket)
    try {
      const granted = await carla.browser.request('PUT', `/channels/${workingGroup}/access/dan`)
      expect(granted.status).toBe(200)
      expect(granted.body).toMatchObject({ officer: dan.id, username: 'dan', grantedBy: carla.id })
      expect(ids(await dan.browser.request('GET', '/channels'))).toContain(workingGroup)
      expect((await dan.browser.request('GET', `/channels/${workingGroup}/timeline`)).status).toBe(
        200,
      )
      await alice.browser.request('POST', `/channels/${workingGroup}/messages`, message('seen'))
      await until(() => received.length >= 1)

      const list = await carla.browser.request('GET', `/channels/${workingGroup}/access`)
      expect(list.body.officers.map((o: { username: string }) => o.username)).toEqual([
        'alice',
        'ben',
        'dan',
      ])

      const revoked = await carla.browser.request('DELETE', `/channels/${workingGroup}/access/dan`)
      expect(revoked.status).toBe(204)
      await alice.browser.request('POST', `/channels/${workingGroup}/messages`, message('unseen'))
      await alice.browser.request('POST', `/channels/${open}/messages`, message('desk again'))
      await until(() => received.length >= 2)
      expect(received.map((event) => event.event.body.text)).toEqual(['seen', 'desk again'])
      expect((await dan.browser.request('GET', `/channels/${workingGroup}`)).status).toBe(403)
    } finally {
      socket.terminate()
    }
    const entries = await listAudit(t.database.db, { limit: 500 })
    const about = entries.filter(
      (entry) => entry.details.channel === workingGroup && entry.details.target === dan.id,
    )
    expect(about.map((entry) => [entry.action, entry.officer])).toEqual([
      ['access.grant', carla.id],
      ['access.revoke', carla.id],
    ])
  })

  it('shows alarms of a channel only to its compartment, and node-wide alarms to all', async () => {
    const now = t.clock.now
    await raiseAlarm(t.database.db, {
      kind: 'equivocation',
      channel: workingGroup,
      party: 'rus',
      details: { seq: 7 },
      now,
    })
    await raiseAlarm(t.database.db, {
      kind: 'heads_conflict',
      channel: null,
      party: 'rus',
      details: { seq: 8 },
      now,
    })
    const kinds = async (who: LoggedIn) =>
      (await who.browser.request('GET', '/alarms')).body.alarms.map(
        (alarm: { channel: string | null }) => alarm.channel,
      )
    expect(await kinds(dan)).toEqual([null])
    expect(await kinds(alice)).toEqual([workingGroup, null])
  })

  it('counts no item of a hidden channel in the release queue', async () => {
    const queued = await alice.browser.request('POST', `/channels/${workingGroup}/compose`, {
      type: 'notice.open',
      body: incidentNotice(),
    })
    expect(queued.status).toBe(202)
    const mine = await alice.browser.request('GET', '/releases?status=pending')
    expect(mine.body.releases.map((r: { id: string }) => r.id)).toContain(queued.body.release.id)
    const hers = await erin.browser.request('GET', '/releases?status=pending')
    expect(hers.body.releases).toEqual([])
    const item = await erin.browser.request('GET', `/releases/${queued.body.release.id}`)
    expect(item.status).toBe(404)
    expect(item.body.error.code).toBe('RELEASE_NOT_FOUND')
  })

  it('gives the officer who opens a channel access to it, and nobody else', async () => {
    const channel = await openChannel(erin, { title: 'Erin’s', members: ['usa', 'rus'] })
    const list = await carla.browser.request('GET', `/channels/${channel}/access`)
    expect(list.body.officers).toEqual([
      expect.objectContaining({ officer: erin.id, grantedBy: null }),
    ])
    expect(ids(await alice.browser.request('GET', '/channels'))).not.toContain(channel)
  })

  it('lists every channel of the admin’s party with its access list, and no other party’s', async () => {
    const usa = await carla.browser.request('GET', '/access')
    const channels = usa.body.channels.map((c: { channel: string }) => c.channel)
    expect(channels).toEqual(expect.arrayContaining([workingGroup, open]))
    const est = await kadri.browser.request('GET', '/access')
    expect(est.body.channels.map((c: { channel: string }) => c.channel)).not.toContain(workingGroup)
  })

  it('keeps another party’s officers out: no list entry, no access, no acting as usa', async () => {
    expect(ids(await kadri.browser.request('GET', '/channels'))).not.toContain(workingGroup)
    const timeline = await kadri.browser.request('GET', `/channels/${workingGroup}/timeline`)
    expect(timeline.body.error.code).toBe('CHANNEL_FORBIDDEN')
    const manage = await kadri.browser.request('PUT', `/channels/${workingGroup}/access/kadri`)
    expect(manage.body.error.code).toBe('CHANNEL_FORBIDDEN')
    const as = await kadri.browser.request('POST', '/channels', {
      as: 'usa',
      title: 'Spoofed',
      members: ['usa', 'est'],
    })
    expect(as.status).toBe(403)
    expect(as.body.error.code).toBe('PARTY_FORBIDDEN')
    // An admin of usa cannot put an officer of est on a list: est's officers are not theirs.
    const foreign = await carla.browser.request('PUT', `/channels/${workingGroup}/access/kadri`)
    expect(foreign.status).toBe(404)
    expect(foreign.body.error.code).toBe('OFFICER_NOT_FOUND')
  })

  it('grants nothing to a disabled officer', async () => {
    await loggedIn(t, 'gone', ['viewer'])
    await carla.browser.request('POST', '/officers/gone/disable')
    const reply = await carla.browser.request('PUT', `/channels/${open}/access/gone`)
    expect(reply.status).toBe(409)
    expect(reply.body.error.code).toBe('ACCESS_GRANT_INVALID')
  })

  it('ends an open stream once its session ends, so nothing reaches it after logout', async () => {
    const fay = await loggedIn(t, 'fay', ['viewer'])
    await grant(carla, open, fay)
    const socket = await t.app.injectWS('/api/v1/stream', wsHeaders(fay))
    const received = collect(socket)
    const closed = new Promise<[number, string]>((resolve) =>
      socket.on('close', (code, reason) => resolve([code, String(reason)])),
    )
    await alice.browser.request('POST', `/channels/${open}/messages`, message('before logout'))
    await until(() => received.length >= 1)
    expect((await fay.browser.request('POST', '/auth/logout')).status).toBe(204)
    // Posted while the stream is still open, before its session check comes round.
    const after = await alice.browser.request(
      'POST',
      `/channels/${open}/messages`,
      message('after logout'),
    )
    expect(after.status).toBe(201)
    expect(await closed).toEqual([4401, 'AUTH_REQUIRED'])
    expect(received.map((frame) => frame.event.body.text)).toEqual(['before logout'])
  })
})

function wsHeaders(officer: LoggedIn) {
  return {
    headers: {
      cookie: `parley_session=${officer.browser.cookie}`,
      host: 'localhost',
      origin: 'http://localhost',
    },
  }
}

// biome-ignore lint/suspicious/noExplicitAny: stream frames are checked field by field
function collect(socket: WebSocket): any[] {
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const frames: any[] = []
  socket.on('message', (data) => frames.push(JSON.parse(String(data))))
  return frames
}

async function until(done: () => boolean, timeout = 5_000): Promise<void> {
  const start = Date.now()
  while (!done()) {
    if (Date.now() - start > timeout) throw new Error('timed out waiting for the stream')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
