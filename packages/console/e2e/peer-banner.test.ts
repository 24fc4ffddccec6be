import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOfficer } from '../../server/src/features/officers/officers.service.ts'
import { passwordHasher } from '../../server/src/features/officers/password.ts'
import {
  type NodeProcess,
  type NodeProcesses,
  startNodeProcesses,
} from '../../server/test/support/node-process.ts'
import { eventually } from '../../server/test/support/nodes.ts'
import { cheapPasswordHash } from '../../server/test/support/password-hash.ts'
import { en } from '../src/i18n/en.ts'
import { ru } from '../src/i18n/ru.ts'
import { formatUtc } from '../src/lib/datetime.ts'
import { launch, look, PASSWORD, page, signIn } from './support.ts'

// usa and rus as real `parley start` processes: rus is stopped with SIGTERM and started again
// on its own data, as an operator (or a power cut and a reboot) would.
let browser: Browser
let procs: NodeProcesses
let usa: NodeProcess
let rus: NodeProcess
let aliceId: string

beforeAll(async () => {
  browser = await launch()
  procs = await startNodeProcesses(
    [
      { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
      { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
    ],
    // A failed push is retried within half a second, so rus's return shows at once.
    { delivery: { retryBaseMs: 100, retryCapMs: 500 } },
  )
  usa = procs.node('usa')
  rus = procs.node('rus')
  // A person at a browser signs in with a password alone: made while usa's database is free.
  await usa.stop()
  const opened = await usa.openDatabase()
  const created = await createOfficer(
    {
      db: opened.db,
      now: Date.now,
      parties: ['usa'],
      passwords: passwordHasher(cheapPasswordHash),
    },
    { officer: null, party: null, via: 'cli' },
    {
      party: 'usa',
      username: 'alice',
      displayName: 'Alice',
      roles: ['drafter'],
      password: PASSWORD,
    },
  ).finally(() => opened.close())
  aliceId = created.officer.id
  const file = join(usa.dir, 'parley.json')
  const config = JSON.parse(await readFile(file, 'utf8'))
  config.auth = { ...config.auth, requireSecondFactor: false }
  await writeFile(file, `${JSON.stringify(config)}\n`, { mode: 0o600 })
  await usa.restart()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await procs?.close()
})

/** A usa–rus channel that rus joined, with Alice on usa's access list. */
async function channelWithRus(title: string): Promise<string> {
  const opened = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
    title,
    members: ['usa', 'rus'],
  })
  expect(opened.status).toBe(201)
  const channel = opened.body.channel.id
  await eventually(() => rus.admit(channel), 20_000, 'the channel on rus')
  expect((await rus.api('POST', `/channels/${channel}/join`, {})).status).toBe(201)
  expect((await usa.api('PUT', `/channels/${channel}/access/${aliceId}`)).status).toBe(200)
  return channel
}

interface PeerView {
  parties: string[]
  failingSince: number | null
}

describe('a peer node process going down and coming back, as the banner shows it', () => {
  it('says "rus node unreachable since <time> UTC" in English and Russian while rus is stopped, and takes it away once rus runs again', async () => {
    const title = 'Peer watch'
    const channel = await channelWithRus(title)
    const alice = await page(browser, usa.url, 'en')
    await signIn(alice.tab, 'alice')
    await alice.tab.getByRole('heading', { name: en.inbox.title }).waitFor()
    const banner = alice.tab.locator('.banner-peer')
    expect(await banner.count()).toBe(0)

    await rus.stop()
    // Something to deliver: usa's node finds rus gone on its first push.
    const posted = await usa.api('POST', `/channels/${channel}/messages`, {
      text: 'Are you there?',
      lang: 'en',
      urgency: 'routine',
      tlp: 'green',
    })
    expect(posted.status).toBe(201)
    await banner.waitFor({ timeout: 20_000 })
    const peer = await eventually(async () => {
      const node = await usa.api<{ peers: PeerView[] }>('GET', '/node')
      return node.body.peers.find((p) => p.parties.includes('rus') && p.failingSince !== null)
    })
    // The banner names the moment the node itself reports, to the minute, in UTC.
    const since = peer.failingSince!
    expect(await banner.textContent()).toMatch(
      new RegExp(`^rus node unreachable since ${formatUtc(since, 'en')}`),
    )
    expect(formatUtc(since, 'en')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/)
    await look(alice.tab, 'peer-process-1-unreachable-en')

    // The same banner in the Russian UI, with the date as Russian writes it.
    await alice.tab.getByRole('button', { name: 'Русский' }).click()
    await alice.tab.getByRole('heading', { name: ru.inbox.title }).waitFor()
    expect(await banner.textContent()).toMatch(
      new RegExp(`^Узел rus недоступен с ${formatUtc(since, 'ru')}`),
    )
    expect(formatUtc(since, 'ru')).toMatch(/^\d\d\.\d\d\.\d{4} \d\d:\d\d UTC$/)
    await alice.tab.getByRole('navigation').getByRole('link', { name: title }).click()
    await alice.tab.locator('.step-failed-retrying').first().waitFor({ timeout: 15_000 })
    await look(alice.tab, 'peer-process-2-unreachable-ru')

    await rus.restart()
    await banner.waitFor({ state: 'detached', timeout: 30_000 })
    await alice.tab.locator('.step-delivered').first().waitFor({ timeout: 15_000 })
    await look(alice.tab, 'peer-process-3-back-ru')
    // rus holds the message it missed, from its own database after the restart.
    const timeline = await rus.api<{ events: { event: { body: { text?: string } } }[] }>(
      'GET',
      `/channels/${channel}/timeline`,
    )
    expect(timeline.body.events.map((e) => e.event.body.text)).toContain('Are you there?')
    expect(alice.errors).toEqual([])
    expect(procs.nodes.flatMap((n) => n.crashes())).toEqual([])
    await alice.context.close()
  }, 180_000)
})
