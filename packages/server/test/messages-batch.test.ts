import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthTestApp, startAuthApp } from './support/auth-app.ts'
import {
  grant,
  type LoggedIn,
  loggedIn,
  message,
  openChannel,
  WORKING_GROUP_POLICY,
} from './support/compartments.ts'

describe('batch posting (POST /channels/:channel/messages/batch)', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let carla: LoggedIn
  let desk: string

  beforeAll(async () => {
    // A floor that lets flash items out at once, so that a channel may exempt them too.
    t = await startAuthApp({ auth: { requireSecondFactor: false }, release: { flashExempt: true } })
    alice = await loggedIn(t, 'alice', ['drafter'])
    carla = await loggedIn(t, 'carla', ['admin'])
    desk = await openChannel(alice, { title: 'Duty desk', members: ['usa', 'rus'] })
  })
  afterAll(() => t.close())

  const batch = (channel: string, messages: unknown[]) =>
    alice.browser.request('POST', `/channels/${channel}/messages/batch`, { messages })
  const timelineTexts = async (channel: string): Promise<string[]> =>
    (await alice.browser.request('GET', `/channels/${channel}/timeline`)).body.events
      .filter((view: { event: { type: string } }) => view.event.type === 'message.post')
      .map((view: { event: { body: { text: string } } }) => view.event.body.text)

  it('stores every message in order, signed by the officer’s party, and answers 201', async () => {
    const texts = Array.from({ length: 50 }, (_, i) => `batch ${i}`)
    const reply = await batch(
      desk,
      texts.map((text) => message(text)),
    )
    expect(reply.status).toBe(201)
    expect(reply.body.rejected).toEqual([])
    expect(
      reply.body.events.map((view: { event: { body: { text: string } } }) => view.event.body.text),
    ).toEqual(texts)
    for (const view of reply.body.events) {
      expect(view.event).toMatchObject({ type: 'message.post', author: 'usa', officer: alice.id })
    }
    const seqs = reply.body.events.map((view: { event: { seq: number } }) => view.event.seq)
    expect(seqs).toEqual(seqs.map((_: number, i: number) => seqs[0] + i))
    expect((await timelineTexts(desk)).slice(-50)).toEqual(texts)
  })

  it('takes a batch larger than the 256 KiB limit of single officer requests', async () => {
    const long = 'x'.repeat(3_000)
    const reply = await batch(
      desk,
      Array.from({ length: 100 }, (_, i) => message(`${i} ${long}`)),
    )
    expect(reply.status).toBe(201)
    expect(reply.body.events).toHaveLength(100)
  })

  it('commits a batch as one run of seqs even while single posts race it', async () => {
    const single = Array.from({ length: 20 }, (_, i) =>
      alice.browser.request('POST', `/channels/${desk}/messages`, message(`single ${i}`)),
    )
    const reply = await batch(
      desk,
      Array.from({ length: 100 }, (_, i) => message(`raced ${i}`)),
    )
    for (const posted of await Promise.all(single)) expect(posted.status).toBe(201)
    expect(reply.status).toBe(201)
    const seqs = reply.body.events.map((view: { event: { seq: number } }) => view.event.seq)
    expect(seqs).toEqual(seqs.map((_: number, i: number) => seqs[0] + i))
  })

  it('refuses the whole batch with BATCH_NEEDS_RELEASE when the policy holds message.post', async () => {
    const held = await openChannel(alice, {
      title: 'Working group',
      members: ['usa', 'rus'],
      policy: {
        ...WORKING_GROUP_POLICY,
        release: {
          ...WORKING_GROUP_POLICY.release,
          twoPersonRule: [...WORKING_GROUP_POLICY.release.twoPersonRule, 'message.post'],
          flashExempt: true,
        },
      },
    })
    // Flash messages are exempt: only the routine one (index 1) would be held.
    const reply = await batch(held, [message('flash', { urgency: 'flash' }), message('routine')])
    expect(reply.status).toBe(409)
    expect(reply.body.error).toMatchObject({
      code: 'BATCH_NEEDS_RELEASE',
      details: { index: 1, channel: held },
    })
    expect(await timelineTexts(held)).toEqual([])
    const queue = await alice.browser.request('GET', `/releases?channel=${held}`)
    expect(queue.body.releases ?? queue.body).toHaveLength(0)
  })

  it('refuses an empty batch, one over 500 messages, and an invalid message with 400', async () => {
    expect((await batch(desk, [])).body.error.code).toBe('REQUEST_INVALID')
    const big = Array.from({ length: 501 }, () => message('x'))
    expect((await batch(desk, big)).status).toBe(400)
    const bad = await batch(desk, [message('ok'), message('bad', { urgency: 'whenever' })])
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('REQUEST_INVALID')
    expect(await timelineTexts(desk)).not.toContain('ok')
  })

  it('is refused to an officer outside the channel’s compartment', async () => {
    const other = await loggedIn(t, 'dmitri', ['drafter'])
    const reply = await other.browser.request('POST', `/channels/${desk}/messages/batch`, {
      messages: [message('intruder')],
    })
    expect(reply.status).toBe(403)
    expect(reply.body.error.code).toBe('CHANNEL_FORBIDDEN')
    await grant(carla, desk, other)
    const allowed = await other.browser.request('POST', `/channels/${desk}/messages/batch`, {
      messages: [message('insider')],
    })
    expect(allowed.status).toBe(201)
  })
})
