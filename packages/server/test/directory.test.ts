import type { DirectoryEntry } from '@parley/api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOfficer } from '../src/features/officers/officers.service.ts'
import { passwordHasher } from '../src/features/officers/password.ts'
import { reindex } from '../src/ledger/index.ts'
import { readModels } from '../src/read-models.ts'
import { Browser } from './support/auth-app.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'
import { PASSWORD } from './support/officers.ts'
import { cheapPasswordHash } from './support/password-hash.ts'

const alice = {
  kind: 'technical',
  name: 'Alice Example',
  position: 'Duty officer, CISA Central',
  institution: 'Cybersecurity and Infrastructure Security Agency',
  email: 'central@usa.example',
  phone: '+1 202 555 0100',
  languages: ['en'],
  hours: '24/7',
  timeZone: 'America/New_York',
} as const
const daniel = {
  kind: 'diplomatic',
  name: 'Daniel Example',
  position: 'Deputy Coordinator for Cyber Issues',
  institution: 'Department of State',
  email: 'cyber@state.usa.example',
  phone: '+1 202 555 0142',
  languages: ['en', 'ru'],
  hours: 'Mon–Fri 09:00–17:00',
  timeZone: 'America/New_York',
} as const

interface EntryReply {
  party: string
  current: DirectoryEntry | null
  history: DirectoryEntry[]
}

describe('the points-of-contact directory on two nodes', () => {
  let usa: TestNode
  let rus: TestNode
  let close: () => Promise<void>
  let channel: string

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      {
        backoff: () => 100,
        configure: (config) => ({
          ...config,
          auth: { ...config.auth, requireSecondFactor: false },
        }),
      },
    )
    ;[usa, rus] = started.nodes as [TestNode, TestNode]
    close = started.close
  }, 60_000)
  afterAll(() => close())

  it('refuses an entry while the party has joined no channel to publish it in', async () => {
    const reply = await usa.api<{ error: { code: string } }>('PUT', '/directory/usa', {
      contacts: [alice],
    })
    expect([reply.status, reply.body.error.code]).toEqual([409, 'DIRECTORY_NO_CHANNEL'])
    expect((await usa.api('GET', '/directory/usa')).status).toBe(404)
  })

  it('federates each version: rus sees usa’s current entry and its whole history', async () => {
    const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'Hotline',
      members: ['usa', 'rus'],
      observers: [],
    })
    channel = created.body.channel.id
    // rus's admin puts its officer on the list once the invitation arrived; they join.
    await eventually(() => rus.admit(channel))
    expect((await rus.api('POST', `/channels/${channel}/join`, {})).status).toBe(201)

    const first = await usa.api<{ version: number; events: string[] }>('PUT', '/directory/usa', {
      contacts: [alice],
    })
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ version: 1, releases: [] })
    expect(first.body.events).toHaveLength(1)
    const second = await usa.api<{ version: number }>('PUT', '/directory/usa', {
      contacts: [alice, daniel],
    })
    expect(second.body.version).toBe(2)

    const seen = await eventually(async () => {
      const reply = await rus.api<EntryReply>('GET', '/directory/usa')
      return reply.body.current?.version === 2 ? reply.body : undefined
    }, 20_000)
    expect(seen.history.map((e) => [e.version, e.contacts.map((c) => c.name)])).toEqual([
      [1, ['Alice Example']],
      [2, ['Alice Example', 'Daniel Example']],
    ])
    expect(seen.current).toMatchObject({ party: 'usa', channel, contacts: [alice, daniel] })
    expect(seen).toEqual((await usa.api<EntryReply>('GET', '/directory/usa')).body)
    const listed = await rus.api<{ entries: DirectoryEntry[] }>('GET', '/directory')
    expect(listed.body.entries.map((e) => [e.party, e.version])).toEqual([['usa', 2]])
  })

  it('refuses bad changes, each with its own code, and stores nothing', async () => {
    const timeline = async () =>
      (await usa.api<{ events: unknown[] }>('GET', `/channels/${channel}/timeline`)).body.events
        .length
    const before = await timeline()
    const refused = async (reply: Promise<{ status: number; body: unknown }>) => {
      const { status, body } = await reply
      return [status, (body as { error: { code: string } }).error.code]
    }
    // A drafter of usa composing a directory change directly.
    const officers = {
      db: usa.database.db,
      now: Date.now,
      parties: ['usa'],
      passwords: passwordHasher(cheapPasswordHash),
    }
    const { officer } = await createOfficer(
      officers,
      { officer: null, party: null, via: 'cli' },
      {
        party: 'usa',
        username: 'drafter',
        displayName: 'Drafter',
        roles: ['drafter'],
        password: PASSWORD,
      },
    )
    expect((await usa.api('PUT', `/channels/${channel}/access/${officer.id}`)).status).toBe(200)
    const drafter = new Browser(usa.app)
    expect((await drafter.login('drafter', PASSWORD)).status).toBe(200)
    expect(
      await refused(
        drafter.request('POST', `/channels/${channel}/compose`, {
          type: 'directory.update',
          body: { version: 3, contacts: [alice] },
        }),
      ),
    ).toEqual([403, 'DIRECTORY_ADMIN_ONLY'])
    expect(await refused(drafter.request('PUT', '/directory/usa', { contacts: [alice] }))).toEqual([
      403,
      'FORBIDDEN_ROLE',
    ])
    // A version that is not the next one, even by the operator.
    for (const version of [1, 2, 4]) {
      expect(
        await refused(
          usa.api('POST', `/channels/${channel}/compose`, {
            type: 'directory.update',
            body: { version, contacts: [{ ...alice, name: 'Mallory' }] },
          }),
        ),
      ).toEqual([409, 'DIRECTORY_VERSION_CONFLICT'])
    }
    expect(
      await refused(
        usa.api('PUT', '/directory/usa', {
          contacts: [{ ...alice, timeZone: 'Mars/Olympus_Mons' }],
        }),
      ),
    ).toEqual([400, 'DIRECTORY_TIME_ZONE_UNKNOWN'])
    const { institution: _dropped, ...incomplete } = alice
    expect(await refused(usa.api('PUT', '/directory/usa', { contacts: [incomplete] }))).toEqual([
      400,
      'REQUEST_INVALID',
    ])
    expect(await refused(usa.api('PUT', '/directory/usa', { contacts: [] }))).toEqual([
      400,
      'REQUEST_INVALID',
    ])
    // rus's node cannot speak for usa: it holds no key of usa's, so nothing it signs is usa's.
    expect(
      await refused(
        rus.api('POST', `/channels/${channel}/compose`, {
          as: 'usa',
          type: 'directory.update',
          body: { version: 3, contacts: [{ ...alice, name: 'Mallory' }] },
        }),
      ),
      // rus's officer speaks for rus only (an API token too): naming usa is refused first.
    ).toEqual([403, 'PARTY_FORBIDDEN'])
    expect(await refused(usa.api('PUT', '/directory/rus', { contacts: [alice] }))).toEqual([
      403,
      'PARTY_NOT_HOSTED',
    ])
    expect(await timeline()).toBe(before)
    const entry = (await usa.api<EntryReply>('GET', '/directory/usa')).body
    expect(entry.history.map((e) => e.version)).toEqual([1, 2])
  })

  it('keeps a directory entry written by rus under rus, never under the party it names', async () => {
    const put = await rus.api('PUT', '/directory/rus', {
      contacts: [{ ...alice, name: 'Иван Пример', email: 'duty@rus.example' }],
    })
    expect(put.status).toBe(200)
    const seen = await eventually(async () => {
      const reply = await usa.api<{ entries: DirectoryEntry[] }>('GET', '/directory')
      return reply.body.entries.length === 2 ? reply.body.entries : undefined
    })
    expect(seen.map((e) => [e.party, e.version, e.contacts[0]!.name])).toEqual([
      ['rus', 1, 'Иван Пример'],
      ['usa', 2, 'Alice Example'],
    ])
  })

  it('is rebuilt by parley reindex as it was', async () => {
    const before = (await rus.api<EntryReply>('GET', '/directory/usa')).body
    await rus.stop()
    await rus.database.db.deleteFrom('directory_versions').execute()
    await reindex(rus.database.db, readModels(), { hosted: ['rus'] })
    await rus.start()
    expect((await rus.api<EntryReply>('GET', '/directory/usa')).body).toEqual(before)
  })
})
