import { eventId } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

// Issue 9, delivery without polling: usa pushes to rus with several batches in flight. Every
// push usa sends to rus goes through a watch on the fetch both nodes use, which sees what is
// in flight at once and, when a test asks, loses a push on its way out or its answer on the
// way back (after rus committed it).

const PUSH = '/federation/v1/events'
const WINDOW = 4

interface Pushed {
  readonly chains: readonly string[]
  readonly events: readonly string[]
}
interface Answer {
  readonly receipts: { receipt: { events: string[]; by: string } }[]
  readonly rejected: unknown[]
  readonly need: unknown[]
}
type Fault = 'lose-push' | 'lose-answer'

interface EventView {
  id: string
  event: { author: string; seq: number }
  delivery?: { node: string | null; state: string; receiptAt?: number }[]
}

describe('pushes pipelined to a peer node', () => {
  let usa: TestNode
  let rus: TestNode
  let close: () => Promise<void>
  const original = globalThis.fetch
  /** Pushes to rus in flight now, each with the chains it carries. */
  const flying = new Set<Pushed>()
  let mostInFlight = 0
  let chainsInFlightTwice = 0
  const answers: { pushed: Pushed; answer: Answer }[] = []
  /** Faults for the next pushes to rus, in order; a push finding none passes. */
  let faults: (Fault | 'pass')[] = []
  let failed = 0
  /** While set, pushes to rus wait for it before they leave. */
  let gate: Promise<void> | undefined

  beforeAll(async () => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const url = String(input instanceof Request ? input.url : input)
      if (!url.startsWith(`${rus?.url}${PUSH}`)) return original(input, init)
      const body = JSON.parse(new TextDecoder().decode(init?.body as Uint8Array)) as {
        events: { event: { channel: string; author: string; seq: number }; sig: string }[]
      }
      const events = await Promise.all(body.events.map((signed) => eventId(signed.event)))
      const chains = [
        ...new Set(body.events.map(({ event }) => `${event.channel}/${event.author}`)),
      ]
      const pushed: Pushed = { chains, events }
      for (const other of flying) {
        if (other.chains.some((chain) => chains.includes(chain))) chainsInFlightTwice++
      }
      flying.add(pushed)
      mostInFlight = Math.max(mostInFlight, flying.size)
      const fault = faults.shift() ?? 'pass'
      try {
        await gate
        if (fault === 'lose-push') {
          failed++
          throw new TypeError('fetch failed')
        }
        const response = await original(input, init)
        if (fault === 'lose-answer') {
          failed++
          await response.arrayBuffer()
          throw new TypeError('fetch failed')
        }
        answers.push({ pushed, answer: (await response.clone().json()) as Answer })
        return response
      } finally {
        flying.delete(pushed)
      }
    })
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      {
        backoff: () => 20,
        configure: (config) => ({ ...config, delivery: { ...config.delivery, window: WINDOW } }),
      },
    )
    ;[usa, rus] = started.nodes as [TestNode, TestNode]
    close = started.close
  })
  afterAll(async () => {
    await close()
    vi.restoreAllMocks()
  })

  const timeline = async (node: TestNode, channel: string) =>
    (await node.api<{ events: EventView[] }>('GET', `/channels/${channel}/timeline`)).body.events ??
    []

  const openChannel = async (title: string) => {
    const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title,
      members: ['usa', 'rus'],
    })
    expect(created.status).toBe(201)
    const channel = created.body.channel.id
    await eventually(() => rus.admit(channel))
    await eventually(async () => {
      const listed = await rus.api<{ channels: { id: string }[] }>('GET', '/channels')
      return listed.body.channels.some((row) => row.id === channel)
    })
    expect((await rus.api('POST', `/channels/${channel}/join`, {})).status).toBe(201)
    return channel
  }

  /** Fires `perChannel` single posts into each channel at once, as a busy desk would. */
  const burst = async (channels: readonly string[], perChannel: number) => {
    const replies = await Promise.all(
      channels.flatMap((channel) =>
        Array.from({ length: perChannel }, (_, i) =>
          usa.api('POST', `/channels/${channel}/messages`, {
            text: `Burst message ${i} in ${channel}.`,
            lang: 'en',
            urgency: 'routine',
            tlp: 'green',
          }),
        ),
      ),
    )
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 201))
  }

  /**
   * Waits until rus holds usa's whole chain in each channel and usa holds rus' receipt for
   * each of its events; then checks rus stored each chain once, in seq order, with no gap.
   */
  const deliveredInOrder = async (channels: readonly string[]) => {
    for (const channel of channels) {
      const own = await eventually(
        async () => {
          const views = (await timeline(usa, channel)).filter((v) => v.event.author === 'usa')
          const done = views.every((v) =>
            v.delivery?.every((d) => d.state === 'delivered' && (d.receiptAt ?? 0) > 0),
          )
          return done && views
        },
        30_000,
        `usa's events in ${channel} receipted by rus`,
      )
      const stored = await rus.database.db
        .selectFrom('events')
        .select(['id', 'seq'])
        .where('channel', '=', channel)
        .where('author', '=', 'usa')
        .orderBy('position')
        .execute()
      // In the order rus stored them: usa's seq 1, 2, 3… each once, the same events usa holds.
      expect(stored.map((row) => Number(row.seq))).toEqual(own.map((_, i) => i + 1))
      expect(stored.map((row) => row.id)).toEqual(
        [...own].sort((a, b) => a.event.seq - b.event.seq).map((v) => v.id),
      )
    }
    const pending = await rus.database.db
      .selectFrom('pending_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(pending.n)).toBe(0)
  }

  it('keeps up to its window of pushes in flight, one per chain, and a chain waits for its answer', async () => {
    const channels = await Promise.all(
      ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo'].map(openChannel),
    )
    await deliveredInOrder(channels)
    mostInFlight = 0
    answers.length = 0
    let open = () => {}
    gate = new Promise((resolve) => (open = resolve))
    // While the pushes hang on the link, each post in a new channel gets a push of its own,
    // until the window is full; later posts in Alpha wait for Alpha's answer.
    const post = (channel: string, text: string) =>
      usa.api('POST', `/channels/${channel}/messages`, {
        text,
        lang: 'en',
        urgency: 'routine',
        tlp: 'green',
      })
    try {
      for (const [n, channel] of channels.slice(0, WINDOW).entries()) {
        expect((await post(channel, 'First of a busy hour.')).status).toBe(201)
        await eventually(async () => flying.size > n, 10_000, `${n + 1} pushes in flight`)
      }
      expect((await post(channels[0]!, 'Alpha again, behind its first.')).status).toBe(201)
      expect((await post(channels[WINDOW]!, 'Echo, beyond the window.')).status).toBe(201)
      expect(flying.size).toBe(WINDOW)
    } finally {
      gate = undefined
      open()
    }
    await deliveredInOrder(channels)
    expect(mostInFlight).toBe(WINDOW)
    expect(chainsInFlightTwice).toBe(0)
    // Alpha's second post went in a push of its own, after its first was answered (above: no
    // chain was ever in two pushes at once); Echo's, which waited for room, in one after.
    const carrying = (chain: string) =>
      answers.filter(({ pushed }) => pushed.chains.includes(`${chain}/usa`))
    expect(carrying(channels[0]!).map(({ pushed }) => pushed.events.length > 0)).toEqual([
      true,
      true,
    ])
    expect(carrying(channels[0]!)[0]!.pushed.chains).toEqual([`${channels[0]}/usa`])
    expect(carrying(channels[WINDOW]!)).toHaveLength(1)
  })

  it('delivers a burst of single posts in order per chain, each push receipted once per channel', async () => {
    const channels = await Promise.all(['India', 'Juliett', 'Kilo'].map(openChannel))
    await deliveredInOrder(channels)
    answers.length = 0
    await burst(channels, 12)
    await deliveredInOrder(channels)
    expect(mostInFlight).toBeLessThanOrEqual(WINDOW)
    expect(chainsInFlightTwice).toBe(0)
    // rus never saw an event before its predecessor: nothing was ever held waiting or refused.
    expect(answers.flatMap(({ answer }) => answer.need)).toEqual([])
    expect(answers.flatMap(({ answer }) => answer.rejected)).toEqual([])
    // One signed receipt per push per channel, covering what that push carried there.
    for (const { pushed, answer } of answers) {
      const channelsOf = new Set(pushed.chains.map((chain) => chain.split('/')[0]))
      expect(answer.receipts).toHaveLength(channelsOf.size)
      expect(answer.receipts.flatMap((r) => r.receipt.events).sort()).toEqual(
        [...pushed.events].sort(),
      )
    }
    expect(answers.flatMap(({ pushed }) => pushed.events)).toHaveLength(36)
  })

  it('loses, duplicates and reorders nothing when pushes and answers are lost mid-window', async () => {
    const channels = await Promise.all(['Foxtrot', 'Golf', 'Hotel'].map(openChannel))
    await deliveredInOrder(channels)
    answers.length = 0
    failed = 0
    // Pushes lost on their way and answers lost after rus committed them, while other pushes
    // of the window are in flight around them. Each leaves its events undelivered, so each
    // forces one more push: all four faults are met, however the posts were batched.
    faults = ['lose-push', 'lose-answer', 'lose-push', 'lose-answer']
    await burst(channels, 10)
    await deliveredInOrder(channels)
    expect(failed).toBe(4)
    expect(faults).toEqual([])
    expect(chainsInFlightTwice).toBe(0)
    expect(answers.flatMap(({ answer }) => answer.need)).toEqual([])
    expect(answers.flatMap(({ answer }) => answer.rejected)).toEqual([])
    // Each event is on rus once, and usa's outbox shows each delivered under a receipt of rus.
    for (const channel of channels) {
      const onRus = await rus.database.db
        .selectFrom('events')
        .select('id')
        .where('channel', '=', channel)
        .execute()
      expect(new Set(onRus.map((row) => row.id)).size).toBe(onRus.length)
      expect(onRus).toHaveLength(12)
    }
    const undelivered = await usa.database.db
      .selectFrom('outbox')
      .select('event_id')
      .where((eb) => eb.or([eb('delivered_at', 'is', null), eb('receipt_id', 'is', null)]))
      .execute()
    expect(undelivered).toEqual([])
  })
})
