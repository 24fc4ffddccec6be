import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthTestApp, startAuthApp } from './support/auth-app.ts'
import { type LoggedIn, loggedIn, message, openChannel } from './support/compartments.ts'
import { wholeTimeline } from './support/pages.ts'

const limitOf = (query: string) => Number(/limit=(\d+)/.exec(query)![1])

interface Page {
  events: { id: string; event: { time: number; author: string; seq: number } }[]
  cursors: { before: string | null; after: string | null }
}

describe('timeline pages (GET /channels/:channel/timeline)', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let desk: string
  let empty: string
  /** Every event of `desk`, in display order, as the whole-list walk reads it. */
  let all: string[]

  const get = (path: string) => alice.browser.request('GET', path)
  const page = async (channel: string, query: string): Promise<Page> => {
    const reply = await get(`/channels/${channel}/timeline${query}`)
    expect(reply.status, JSON.stringify(reply.body)).toBe(200)
    return reply.body
  }
  const post = async (channel: string, count: number, prefix: string) => {
    const messages = Array.from({ length: count }, (_, i) => message(`${prefix} ${i}`))
    const reply = await alice.browser.request('POST', `/channels/${channel}/messages/batch`, {
      messages,
    })
    expect(reply.status).toBe(201)
  }

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    alice = await loggedIn(t, 'alice', ['drafter'])
    desk = await openChannel(alice, { title: 'Duty desk', members: ['usa', 'rus'] })
    empty = await openChannel(alice, { title: 'Quiet', members: ['usa', 'rus'] })
    // 250 events of one millisecond (the test clock stands still), then 60 a second later:
    // every page boundary below falls between events of the same time.
    await post(desk, 249, 'first')
    t.clock.advance(1_000)
    await post(desk, 60, 'second')
    all = (await wholeTimeline<{ id: string }>(get, desk)).map((view) => view.id)
  })
  afterAll(() => t.close())

  it('holds every event once, in the deterministic order, the newest page first by default', async () => {
    expect(all).toHaveLength(310)
    expect(new Set(all).size).toBe(310)
    const newest = await page(desk, '')
    expect(newest.events.map((view) => view.id)).toEqual(all.slice(-100))
    expect(newest.cursors.before).not.toBeNull()
    // The newest page still says where it ends, to ask later for what came since.
    expect((await page(desk, `?after=${newest.cursors.after}`)).events).toEqual([])
    const times = newest.events.map((view) => view.event.time)
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })

  it('walks backwards from the newest page and forwards from the oldest, through pages of one time', async () => {
    const backwards: string[] = []
    let query = '?limit=7'
    for (;;) {
      const { events, cursors } = await page(desk, query)
      expect(events.length).toBeLessThanOrEqual(7)
      backwards.unshift(...events.map((view) => view.id))
      if (cursors.before === null) break
      query = `?limit=7&before=${cursors.before}`
    }
    expect(backwards).toEqual(all)

    const oldest = await page(desk, '?limit=7&from=oldest')
    expect(oldest.cursors.before).toBeNull()
    expect(oldest.events.map((view) => view.id)).toEqual(all.slice(0, 7))
    const next = await page(desk, `?limit=7&after=${oldest.cursors.after}`)
    expect(next.events.map((view) => view.id)).toEqual(all.slice(7, 14))
    // Back from the middle page is the page before it again.
    const back = await page(desk, `?limit=7&before=${next.cursors.before}`)
    expect(back.events.map((view) => view.id)).toEqual(all.slice(0, 7))
    expect(back.cursors.before).toBeNull()
  })

  it('answers an empty channel with an empty page and no cursors', async () => {
    const reply = await page(empty, '')
    // The channel's own genesis event is the only one.
    expect(reply.events.map((view) => view.event.seq)).toEqual([1])
    expect(reply.cursors.before).toBeNull()
    const after = await page(empty, `?after=${reply.cursors.after}`)
    expect(after.events).toEqual([])
    // An empty page keeps the position it was asked from, so polling goes on from there.
    expect(after.cursors.after).toBe(reply.cursors.after)
    const foreign = await get(
      `/channels/${empty}/timeline?after=${(await page(desk, '?limit=1')).cursors.before}`,
    )
    expect(foreign.body.error.code).toBe('PAGE_CURSOR_INVALID')
  })

  it('answers the last page, read forwards or backwards, with the position it ends at', async () => {
    const last = await page(desk, '?limit=1')
    const previous = await page(desk, `?limit=1&before=${last.cursors.before}`)
    expect(previous.events.map((view) => view.id)).toEqual([all.at(-2)])
    const again = await page(desk, `?limit=500&after=${previous.cursors.after}`)
    expect(again.events.map((view) => view.id)).toEqual([all.at(-1)])
    expect(again.cursors.after).toBe(last.cursors.after)
    const none = await page(desk, `?after=${again.cursors.after}`)
    expect(none.events).toEqual([])
  })

  it('bounds limit to 1..500', async () => {
    for (const limit of ['0', '501', '-1', 'many']) {
      const reply = await get(`/channels/${desk}/timeline?limit=${limit}`)
      expect(reply.status).toBe(400)
      expect(reply.body.error.code).toBe('REQUEST_INVALID')
    }
    expect((await page(desk, '?limit=1')).events).toHaveLength(1)
    expect((await page(desk, '?limit=500')).events).toHaveLength(310)
  })

  it('refuses both cursors at once with PAGE_CURSORS_CONFLICT', async () => {
    const { cursors } = await page(desk, '?limit=5')
    const reply = await get(
      `/channels/${desk}/timeline?before=${cursors.before}&after=${cursors.before}`,
    )
    expect(reply.status).toBe(400)
    expect(reply.body.error.code).toBe('PAGE_CURSORS_CONFLICT')
  })

  it('refuses a malformed, edited or foreign cursor with PAGE_CURSOR_INVALID, never a 500', async () => {
    const { cursors } = await page(desk, '?limit=5')
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const foreign = (await page(empty, '?limit=1&from=oldest')).cursors
    const otherChannel = forged([`timeline:${empty}`, 1, 'usa', 1])
    for (const cursor of [
      'AAAA',
      forged({ not: 'an array' }),
      forged([`timeline:${desk}`, 'x', 'usa', 1]),
      forged([`timeline:${desk}`, 1, 'usa']),
      forged([`timeline:${desk}`, 1e300, 'usa', 1]),
      otherChannel,
      forged(['audit', 1]),
    ]) {
      const reply = await get(`/channels/${desk}/timeline?before=${cursor}`)
      expect(reply.status, cursor).toBe(400)
      expect(reply.body.error.code).toBe('PAGE_CURSOR_INVALID')
    }
    expect(foreign.before).toBeNull()
    const bad = await get(`/channels/${desk}/timeline?after=not*base64`)
    expect(bad.body.error.code).toBe('REQUEST_INVALID')
    expect(cursors.before).toMatch(/^[A-Za-z0-9_-]+$/)
  })

  it('walks every page forwards with no duplicate or gap while events are appended', async () => {
    const channel = await openChannel(alice, { title: 'Busy', members: ['usa', 'rus'] })
    await post(channel, 30, 'seed')
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ limit: fc.integer({ min: 1, max: 9 }), append: fc.nat(4) }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.boolean(),
        async (steps, sameTime) => {
          const seen: string[] = []
          let query = `?limit=${steps[0]!.limit}&from=oldest`
          for (let i = 0; ; i++) {
            const step = steps[i % steps.length]!
            const { events, cursors } = await page(channel, query)
            seen.push(...events.map((view) => view.id))
            // A short page was the newest: the walk ends there, with nothing appended after it.
            if (events.length < limitOf(query)) break
            if (step.append > 0 && i < steps.length) {
              if (!sameTime) t.clock.advance(1)
              await post(channel, step.append, `during ${i}`)
            }
            query = `?limit=${step.limit}&after=${cursors.after}`
          }
          const whole = (await wholeTimeline<{ id: string }>(get, channel)).map((v) => v.id)
          expect(seen).toEqual(whole)
        },
      ),
      { numRuns: 15 },
    )
  })

  it('walks every page backwards to exactly the list as it stood, while newer events are appended', async () => {
    const channel = await openChannel(alice, { title: 'Busy backwards', members: ['usa', 'rus'] })
    await post(channel, 40, 'seed')
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }),
        async (limits) => {
          const before = (await wholeTimeline<{ id: string }>(get, channel)).map((v) => v.id)
          const seen: string[] = []
          let query = `?limit=${limits[0]}`
          for (let i = 0; ; i++) {
            const { events, cursors } = await page(channel, query)
            seen.unshift(...events.map((view) => view.id))
            t.clock.advance(1)
            await post(channel, 1, `during ${i}`)
            if (cursors.before === null) break
            query = `?limit=${limits[i % limits.length]}&before=${cursors.before}`
          }
          expect(seen).toEqual(before)
        },
      ),
      { numRuns: 8 },
    )
  })
})
