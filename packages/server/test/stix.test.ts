import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { INCIDENT_CORE_EXTENSION, noticeToStix, type StixObject } from '@parley/api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stixProblems } from '../../api/src/stix/stix-schemas.fixture.ts'
import { exportTranscript } from '../src/ledger/index.ts'
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

// The officer route of the STIX export, on an in-process node (PGlite or PostgreSQL).

const RED_URL = 'https://c2.example/red-only'
const incident = incidentNotice({
  kind: 'incident',
  indicators: [
    { type: 'asn', value: 'AS64500', tlp: 'amber' },
    { type: 'ipv4', value: '203.0.113.7', tlp: 'green' },
    { type: 'url', value: RED_URL, tlp: 'red' },
    { type: 'cve', value: 'CVE-2024-3400', tlp: 'amber' },
  ],
})

describe('GET /api/v1/channels/:channel/notices/:notice/stix', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let ben: LoggedIn
  let viewer: LoggedIn
  let outsider: LoggedIn
  let channel: string
  let other: string
  let notice: { id: string; event: Parameters<typeof noticeToStix>[0]['event'] }
  let clarification: string
  let posted: string
  let elsewhere: string

  /** Composes an item as Alice and has Ben release it; returns the stored event. */
  async function released(where: string, type: string, body: object) {
    const queued = await alice.browser.request('POST', `/channels/${where}/compose`, { type, body })
    expect(queued.status).toBe(202)
    const approved = await ben.browser.request(
      'POST',
      `/releases/${queued.body.release.id}/approve`,
    )
    expect(approved.status).toBe(200)
    return approved.body.event as { id: string; event: typeof notice.event }
  }

  const get = (who: LoggedIn, where: string, id: string) =>
    who.browser.request('GET', `/channels/${where}/notices/${id}/stix`)

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    alice = await loggedIn(t, 'alice', ['drafter'])
    ben = await loggedIn(t, 'ben', ['releaser'])
    viewer = await loggedIn(t, 'viewer', ['viewer'])
    outsider = await loggedIn(t, 'outsider', ['viewer'])
    const admin = await loggedIn(t, 'admin', ['admin'])
    const policy = WORKING_GROUP_POLICY
    channel = await openChannel(alice, { title: 'Working group', members: ['usa', 'rus'], policy })
    other = await openChannel(alice, { title: 'Elsewhere', members: ['usa', 'rus'], policy })
    await grant(admin, channel, ben, viewer)
    await grant(admin, other, ben)
    notice = await released(channel, 'notice.open', incident)
    clarification = (await released(channel, 'notice.open', incidentNotice())).id
    elsewhere = (await released(other, 'notice.open', incident)).id
    const reply = await alice.browser.request('POST', `/channels/${channel}/messages`, message('x'))
    posted = reply.body.event.id
  }, 120_000)
  afterAll(() => t.close())

  it('gives an officer who sees the channel the notice’s bundle, valid, without its TLP:RED indicator', async () => {
    const reply = await get(viewer, channel, notice.id)
    expect(reply.status).toBe(200)
    expect(reply.body.notice).toBe(notice.id)
    expect(reply.body.withheld).toEqual({ tlpRed: 1, unsupported: 0 })
    expect(stixProblems(reply.body.bundle)).toEqual([])
    expect(JSON.stringify(reply.body)).not.toContain(RED_URL)
    const types = (reply.body.bundle.objects as StixObject[]).map((object) => object.type)
    expect(types.filter((type) => type === 'indicator')).toHaveLength(2)
    expect(types).toContain('vulnerability')
    // What the node answers is what the builder makes of the signed event, the channel's title
    // included: the CLI, from a transcript, gets the same bundle.
    expect(reply.body.bundle).toEqual(
      noticeToStix({ id: notice.id, event: notice.event, channelTitle: 'Working group' }).bundle,
    )
    const again = await get(viewer, channel, notice.id)
    expect(JSON.stringify(again.body)).toBe(JSON.stringify(reply.body))
  })

  it('answers an officer off the channel, and a channel that does not exist, the same', async () => {
    const hidden = await get(outsider, channel, notice.id)
    const missing = await get(viewer, 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YA', notice.id)
    expect([hidden.status, hidden.body.error.code]).toEqual([403, 'CHANNEL_FORBIDDEN'])
    expect([missing.status, missing.body.error.code]).toEqual([403, 'CHANNEL_FORBIDDEN'])
    expect(JSON.stringify(hidden.body)).not.toContain('Scanning')
  })

  it('answers an id that names no notice of the channel with STIX_NOTICE_NOT_FOUND', async () => {
    for (const id of [posted, elsewhere, 'f'.repeat(64)]) {
      const reply = await get(viewer, channel, id)
      expect([reply.status, reply.body.error.code], id).toEqual([404, 'STIX_NOTICE_NOT_FOUND'])
    }
    // The notice of the other channel is exported there, to those who see that channel.
    expect((await get(ben, other, elsewhere)).status).toBe(200)
    const bad = await get(viewer, channel, 'not-an-event-id')
    expect([bad.status, bad.body.error.code]).toEqual([400, 'REQUEST_INVALID'])
  })

  it('refuses a notice that is not an incident with STIX_NOT_AN_INCIDENT', async () => {
    const reply = await get(viewer, channel, clarification)
    expect([reply.status, reply.body.error.code]).toEqual([422, 'STIX_NOT_AN_INCIDENT'])
    expect(reply.body.error.details).toMatchObject({ kind: 'clarification' })
  })

  it('exports a closed notice as a closed incident, modified at the signed close', async () => {
    const close = await released(channel, 'notice.close', {
      notice: notice.id,
      resolution: 'Activity stopped.',
    })
    const reply = await get(viewer, channel, notice.id)
    expect(reply.status).toBe(200)
    expect(stixProblems(reply.body.bundle)).toEqual([])
    const [object] = (reply.body.bundle.objects as StixObject[]).filter(
      (o) => o.type === 'incident',
    )
    const core = (object!.extensions as Record<string, Record<string, unknown>>)[
      INCIDENT_CORE_EXTENSION
    ]!
    expect(core.investigation_status).toBe('closed')
    expect(object!.modified).toBe(
      new Date(Math.max(close.event.time, notice.event.time)).toISOString(),
    )
  })

  it('gives the same bundle as `parley stix` does offline from the exported transcript', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-stix-'))
    try {
      const file = join(dir, 'channel.parley')
      let text = ''
      for await (const line of exportTranscript(t.database.db, channel, 'usa', t.clock.now)) {
        text += line
      }
      writeFileSync(file, text)
      const main = new URL('../../cli/src/main.ts', import.meta.url).pathname
      const out = join(dir, 'bundle.json')
      const run = spawnSync(process.execPath, [main, 'stix', file, notice.id, '--out', out], {
        encoding: 'utf8',
      })
      expect(run.stderr).toContain('withheld 1 TLP:RED indicator(s)')
      expect(run.status).toBe(0)
      const reply = await get(viewer, channel, notice.id)
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(reply.body.bundle)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
