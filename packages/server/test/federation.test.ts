import { verifyTranscript } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportTranscript, receiptsFor } from '../src/ledger/index.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

interface Delivery {
  node: string | null
  state: 'queued' | 'delivered' | 'failed-retrying' | 'rejected'
  receiptAt?: number
  since?: number
}
interface EventView {
  id: string
  event: { type: string; author: string; seq: number; body: Record<string, unknown> }
  delivery?: Delivery[]
}

const timeline = async (node: TestNode, channel: string) =>
  (await node.api<{ events: EventView[] }>('GET', `/channels/${channel}/timeline`)).body.events ??
  []
const ids = async (node: TestNode, channel: string) =>
  (await timeline(node, channel)).map((view) => view.id)

const post = async (node: TestNode, channel: string, text: string, urgency = 'routine') => {
  const reply = await node.api<{ event: EventView }>('POST', `/channels/${channel}/messages`, {
    text,
    lang: 'en',
    urgency,
    tlp: 'green',
  })
  expect(reply.status).toBe(201)
  return reply.body.event
}

/** Waits until every node shows the same timeline of `count` events; returns it. */
async function converged(nodes: readonly TestNode[], channel: string, count: number) {
  return eventually(
    async () => {
      const all = await Promise.all(nodes.map((node) => ids(node, channel)))
      const same = all.every((list) => JSON.stringify(list) === JSON.stringify(all[0]))
      return same && all[0]!.length === count ? all[0]! : undefined
    },
    20_000,
    `${count} identical events on ${nodes.map((node) => node.name).join(', ')}`,
  )
}

describe('three nodes federating a working group', () => {
  let usa: TestNode
  let rus: TestNode
  let osce: TestNode
  let close: () => Promise<void>

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
        { node: 'osce', parties: [{ id: 'osce', name: 'OSCE Secretariat' }] },
      ],
      { backoff: () => 100 },
    )
    ;[usa, rus, osce] = started.nodes as [TestNode, TestNode, TestNode]
    close = started.close
  })
  afterAll(() => close())

  /**
   * A channel of its own for each test, opened by usa and joined by rus, held alike by all
   * three nodes: every test passes alone and in any order.
   */
  const openChannel = async (title: string) => {
    const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title,
      members: ['usa', 'rus'],
      observers: ['osce'],
    })
    expect(created.status).toBe(201)
    const channel = created.body.channel.id

    // rus's and osce's admins put their officers on the access list once the invitation arrived.
    await eventually(() => rus.admit(channel))
    await eventually(() => osce.admit(channel))
    const invitation = await eventually(async () => {
      const listed = await rus.api<{ channels: { id: string; status: string }[] }>(
        'GET',
        '/channels',
      )
      return listed.body.channels.find((row) => row.id === channel)
    })
    expect(invitation.status).toBe('invited')
    const joined = await rus.api('POST', `/channels/${channel}/join`, {})
    expect(joined.status).toBe(201)
    await converged([usa, rus, osce], channel, 2)
    return channel
  }

  it('opens a channel, is joined, and every node holds the same timeline', async () => {
    const channel = await openChannel('US–Russia ICT Security Working Group')
    const flash = await post(usa, channel, 'Scanning of election infrastructure observed.', 'flash')
    await converged([usa, rus, osce], channel, 3)
    const reply = await post(rus, channel, 'Запрос получен, проверяем.')
    // An officer translates what their node shows: the reply must have arrived first.
    await eventually(async () => (await ids(usa, channel)).includes(reply.id))
    const translated = await usa.api('POST', `/channels/${channel}/translations`, {
      of: reply.id,
      lang: 'en',
      text: 'Request received, we are checking.',
    })
    expect(translated.status).toBe(201)
    const order = await converged([usa, rus, osce], channel, 5)
    expect(order).toContain(flash.id)

    const types = (await timeline(osce, channel)).map((view) => view.event.type)
    expect(types).toEqual([
      'channel.create',
      'channel.join',
      'message.post',
      'message.post',
      'message.translate',
    ])
  })

  it('stores one signed receipt per delivery and shows it per recipient node', async () => {
    const channel = await openChannel('Receipts')
    await post(usa, channel, 'Scanning of election infrastructure observed.', 'flash')
    await post(rus, channel, 'Запрос получен, проверяем.')
    await converged([usa, rus, osce], channel, 4)
    // usa's channel.create and post, receipted by rus and osce, stored on usa.
    const events = await eventually(async () => {
      const views = await timeline(usa, channel)
      const own = views.filter((view) => view.event.author === 'usa')
      return (
        own.length === 2 &&
        own.every((view) => view.delivery?.every((d) => d.state === 'delivered')) &&
        own
      )
    })
    for (const view of events) {
      expect(view.delivery!.map((d) => d.node).sort()).toEqual(['osce', 'rus'])
      for (const delivery of view.delivery!) expect(delivery.receiptAt).toBeGreaterThan(0)
      const receipts = await receiptsFor(usa.database.db, view.id)
      expect(receipts.map((r) => r.receipt.by).sort()).toEqual(['osce', 'rus'])
    }
    // rus' own join and reply are receipted by usa and osce, stored on rus.
    const rusEvents = (await timeline(rus, channel)).filter((view) => view.event.author === 'rus')
    expect(rusEvents.map((view) => view.event.type)).toEqual(['channel.join', 'message.post'])
    for (const view of rusEvents) {
      const receipts = await eventually(async () => {
        const found = await receiptsFor(rus.database.db, view.id)
        return found.length === 2 && found
      })
      expect(receipts.map((r) => r.receipt.by).sort()).toEqual(['osce', 'usa'])
    }
  })

  it('keeps in each channel’s transcript the receipt of a batch that spanned two channels', async () => {
    const channels = [await openChannel('Batch, first'), await openChannel('Batch, second')]
    // While rus is away, usa's events of both channels queue for it: one push on its return.
    await rus.stop()
    const sent = [
      await post(usa, channels[0]!, 'To the first while rus is down.'),
      await post(usa, channels[1]!, 'To the second while rus is down.'),
    ]
    await rus.start()
    await eventually(async () => {
      for (const [i, channel] of channels.entries()) {
        const view = (await timeline(usa, channel)).find((event) => event.id === sent[i]!.id)
        if (!view?.delivery?.every((d) => d.state === 'delivered')) return false
      }
      return true
    })
    for (const [i, channel] of channels.entries()) {
      let text = ''
      for await (const line of exportTranscript(usa.database.db, channel, 'usa', Date.now())) {
        text += line
      }
      const report = await verifyTranscript(text.split('\n'))
      expect(report.failures).toEqual([])
      const receipted = text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((line) => line.kind === 'receipt' && line.receipt.events.includes(sent[i]!.id))
        .map((line) => line.receipt.by)
      expect(receipted.sort(), channel).toEqual(['osce', 'rus'])
    }
  })

  it('keeps sending while a node is down, shows it unreachable, and catches it up in order', async () => {
    const channel = await openChannel('While rus is down')
    await rus.stop()
    const sent: string[] = []
    for (let i = 1; i <= 4; i++) sent.push((await post(usa, channel, `While rus is down, ${i}`)).id)

    const failing = await eventually(async () => {
      const views = await timeline(usa, channel)
      const last = views.find((view) => view.id === sent.at(-1))
      const toRus = last?.delivery?.find((d) => d.node === 'rus')
      return toRus?.state === 'failed-retrying' && toRus
    })
    expect(failing.since).toBeGreaterThan(0)
    const peers = await usa.api<{ peers: { node: string; failingSince: number | null }[] }>(
      'GET',
      '/node',
    )
    expect(peers.body.peers.find((peer) => peer.node === 'rus')?.failingSince).toBeGreaterThan(0)

    await rus.start()
    const order = await converged([usa, rus, osce], channel, 6)
    expect(order.slice(-4)).toEqual(sent)
    await eventually(async () => {
      const views = await timeline(usa, channel)
      return views
        .filter((view) => view.event.author === 'usa')
        .every((view) => view.delivery?.every((d) => d.state === 'delivered'))
    })
    const healed = await usa.api<{ peers: { node: string; failingSince: number | null }[] }>(
      'GET',
      '/node',
    )
    expect(healed.body.peers.find((peer) => peer.node === 'rus')?.failingSince).toBeNull()
  })

  it('lets a returning node pull what it missed from any participant (anti-entropy)', async () => {
    const channel = await openChannel('Anti-entropy')
    await osce.stop()
    const missed = await post(usa, channel, 'osce is away; rus will tell it.')
    await converged([usa, rus], channel, 3)
    // usa goes away too: osce can only learn usa's message from rus.
    await usa.stop()
    await osce.start()
    const order = await converged([rus, osce], channel, 3)
    expect(order.at(-1)).toBe(missed.id)
    await usa.start()
    await converged([usa, rus, osce], channel, 3)
  })
})
