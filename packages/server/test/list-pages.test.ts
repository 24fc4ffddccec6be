import { PAGE_MAX_LIMIT } from '@parley/api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthTestApp, startAuthApp } from './support/auth-app.ts'
import { grant, type LoggedIn, loggedIn, openChannel } from './support/compartments.ts'
import { addOfficer } from './support/officers.ts'
import { wholeList } from './support/pages.ts'

interface Page {
  cursors: { before: string | null; after: string | null }
  [key: string]: unknown
}

// usa's admin Carla opens channels; Dan (viewer) is on the access list of every third one;
// Kadri is an admin of est, hosted on the same node.
describe('list pages of channels, officers and access lists', () => {
  let t: AuthTestApp
  let carla: LoggedIn
  let dan: LoggedIn
  let kadri: LoggedIn
  const opened: string[] = []
  const dans: string[] = []

  const get = (who: LoggedIn) => (path: string) => who.browser.request('GET', path)
  const ids = (items: unknown[], key: 'id' | 'channel' | 'username' | 'officer') =>
    (items as Record<string, string>[]).map((item) => item[key]!)
  const open = async (title: string) => {
    t.clock.advance(1_000)
    const id = await openChannel(carla, { title, members: ['usa', 'rus'] })
    opened.push(id)
    return id
  }

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    carla = await loggedIn(t, 'carla', ['admin', 'drafter'])
    dan = await loggedIn(t, 'dan', ['viewer'])
    kadri = await loggedIn(t, 'kadri', ['admin', 'drafter'], 'est')
    for (let i = 0; i < 9; i++) {
      const id = await open(`Channel ${i}`)
      if (i % 3 === 0) {
        await grant(carla, id, dan)
        dans.push(id)
      }
    }
    await openChannel(kadri, { title: 'Estonia’s own', members: ['est', 'rus'] })
  })
  afterAll(() => t.close())

  describe('GET /channels', () => {
    it('walks every channel once, oldest first, while channels are opened between pages', async () => {
      const first = (await carla.browser.request('GET', '/channels?limit=4&from=oldest'))
        .body as Page
      expect(ids(first.channels as unknown[], 'id')).toEqual(opened.slice(0, 4))
      expect(first.cursors.before).toBeNull()
      const late = await open('Opened while paging')
      const seen = [...ids(first.channels as unknown[], 'id')]
      let after = first.cursors.after
      for (;;) {
        const page = (await carla.browser.request('GET', `/channels?limit=4&after=${after}`))
          .body as Page
        seen.push(...ids(page.channels as unknown[], 'id'))
        if ((page.channels as unknown[]).length < 4) break
        after = page.cursors.after
      }
      expect(seen).toEqual(opened)
      expect(seen.at(-1)).toBe(late)
    })

    it('answers the newest page by default and walks back with before', async () => {
      const newest = (await carla.browser.request('GET', '/channels?limit=4')).body as Page
      expect(ids(newest.channels as unknown[], 'id')).toEqual(opened.slice(-4))
      const older = (
        await carla.browser.request('GET', `/channels?limit=4&before=${newest.cursors.before}`)
      ).body as Page
      expect(ids(older.channels as unknown[], 'id')).toEqual(opened.slice(-8, -4))
      const all = await wholeList<{ id: string }>(get(carla), '/channels', 'channels', 3)
      expect(all.map((c) => c.id)).toEqual(opened)
    })

    it('fills each page with channels of the officer’s compartments only', async () => {
      const page = (await dan.browser.request('GET', '/channels?limit=2&from=oldest')).body as Page
      expect(ids(page.channels as unknown[], 'id')).toEqual(dans.slice(0, 2))
      const next = (
        await dan.browser.request('GET', `/channels?limit=2&after=${page.cursors.after}`)
      ).body as Page
      expect(ids(next.channels as unknown[], 'id')).toEqual(dans.slice(2))
      const kadris = await wholeList<{ title: string }>(get(kadri), '/channels', 'channels', 1)
      expect(kadris.map((c) => c.title)).toEqual(['Estonia’s own'])
    })

    it('keeps the unread count on a page', async () => {
      const page = (await dan.browser.request('GET', '/channels?limit=1')).body as {
        channels: { id: string; unread: number }[]
      }
      expect(page.channels).toEqual([expect.objectContaining({ id: dans.at(-1), unread: 1 })])
    })
  })

  describe('GET /officers', () => {
    it('walks a party’s officers once by username while officers are added', async () => {
      const first = (await carla.browser.request('GET', '/officers?limit=1&from=oldest'))
        .body as Page
      expect(ids(first.officers as unknown[], 'username')).toEqual(['carla'])
      await addOfficer(t, 'aaron', ['viewer'], 'usa')
      await addOfficer(t, 'zoe', ['viewer'], 'usa')
      const rest = (
        await carla.browser.request('GET', `/officers?limit=10&after=${first.cursors.after}`)
      ).body as Page
      // aaron sorts before the cursor: a page names a position, so he is on the page before.
      expect(ids(rest.officers as unknown[], 'username')).toEqual(['dan', 'zoe'])
      const all = await wholeList<{ username: string }>(get(carla), '/officers', 'officers', 2)
      expect(all.map((o) => o.username)).toEqual(['aaron', 'carla', 'dan', 'zoe'])
      const est = await wholeList<{ username: string }>(get(kadri), '/officers', 'officers', 2)
      expect(est.map((o) => o.username)).toEqual(['kadri'])
    })

    it('refuses a cursor of another party’s list', async () => {
      const theirs = (await kadri.browser.request('GET', '/officers?limit=1')).body as Page
      const reply = await carla.browser.request('GET', `/officers?after=${theirs.cursors.after}`)
      expect(reply.status).toBe(400)
      expect(reply.body.error.code).toBe('PAGE_CURSOR_INVALID')
    })
  })

  describe('GET /access', () => {
    it('walks the party’s channels, each with its whole access list', async () => {
      const all = await wholeList<{ channel: string; officers: { username: string }[] }>(
        get(carla),
        '/access',
        'channels',
        4,
      )
      expect(all.map((c) => c.channel)).toEqual(opened)
      expect(all[0]!.officers.map((o) => o.username)).toEqual(['carla', 'dan'])
      expect(all[1]!.officers.map((o) => o.username)).toEqual(['carla'])
      const est = await wholeList<{ title: string }>(get(kadri), '/access', 'channels', 4)
      expect(est.map((c) => c.title)).toEqual(['Estonia’s own'])
    })
  })

  describe('GET /channels/:channel/access', () => {
    it('walks the access list once by username while officers are granted it', async () => {
      const channel = opened[1]!
      const grantTo = async (name: string) => {
        const officer = await addOfficer(t, name, ['viewer'], 'usa')
        const reply = await carla.browser.request('PUT', `/channels/${channel}/access/${name}`)
        expect(reply.status).toBe(200)
        return officer.id
      }
      const mia = await grantTo('mia')
      const first = (
        await carla.browser.request('GET', `/channels/${channel}/access?limit=1&from=oldest`)
      ).body as Page
      expect(ids(first.officers as unknown[], 'username')).toEqual(['carla'])
      await grantTo('bob')
      const lena = await grantTo('lena')
      // bob sorts before the cursor: a cursor names a position, so he is on the page before it.
      const rest = (
        await carla.browser.request(
          'GET',
          `/channels/${channel}/access?limit=10&after=${first.cursors.after}`,
        )
      ).body as Page
      expect(ids(rest.officers as unknown[], 'officer')).toEqual([lena, mia])
      const all = await wholeList<{ username: string }>(
        get(carla),
        `/channels/${channel}/access`,
        'officers',
        2,
      )
      expect(all.map((o) => o.username)).toEqual(['bob', 'carla', 'lena', 'mia'])
      // Kadri's party takes no part in the channel: est's officers are never on its list.
      const theirs = await kadri.browser.request('GET', `/channels/${channel}/access`)
      expect([theirs.status, theirs.body.error.code]).toEqual([403, 'CHANNEL_FORBIDDEN'])
    })

    it('refuses a cursor of another channel’s list', async () => {
      const other = (await carla.browser.request('GET', `/channels/${opened[0]}/access?limit=1`))
        .body as Page
      const reply = await carla.browser.request(
        'GET',
        `/channels/${opened[1]}/access?after=${other.cursors.after}`,
      )
      expect(reply.status).toBe(400)
      expect(reply.body.error.code).toBe('PAGE_CURSOR_INVALID')
    })
  })

  const routes = () => ['/channels', '/officers', '/access', `/channels/${opened[0]}/access`]

  it('refuses a limit out of range on every list', async () => {
    for (const path of routes()) {
      for (const limit of [0, PAGE_MAX_LIMIT + 1]) {
        const reply = await carla.browser.request('GET', `${path}?limit=${limit}`)
        expect([path, limit, reply.status, reply.body.error.code]).toEqual([
          path,
          limit,
          400,
          'REQUEST_INVALID',
        ])
      }
      const most = await carla.browser.request('GET', `${path}?limit=${PAGE_MAX_LIMIT}`)
      expect([path, most.status]).toEqual([path, 200])
    }
  })

  it('refuses a malformed cursor, a cursor of another list, and both cursors at once', async () => {
    const timeline = (await carla.browser.request('GET', `/channels/${opened[0]}/timeline`))
      .body as Page
    const channels = (await carla.browser.request('GET', '/channels?limit=1')).body as Page
    for (const path of routes()) {
      const foreign = path === '/channels' ? timeline.cursors.after : channels.cursors.after
      for (const cursor of ['bm90LWEtY3Vyc29y', foreign]) {
        const reply = await carla.browser.request('GET', `${path}?after=${cursor}`)
        expect([path, reply.status, reply.body.error.code]).toEqual([
          path,
          400,
          'PAGE_CURSOR_INVALID',
        ])
      }
      const both = await carla.browser.request(
        'GET',
        `${path}?after=${channels.cursors.after}&before=${channels.cursors.after}`,
      )
      expect([path, both.status, both.body.error.code]).toEqual([
        path,
        400,
        'PAGE_CURSORS_CONFLICT',
      ])
    }
  })
})
