import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type HostilePeer, hostilePeer } from './support/hostile-peer.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

// The hot paths' counters and histograms at /metrics: what an operator watching a node sees
// move as it commits, pushes, receives and fails.

const message = (text: string) => ({ text, lang: 'en', urgency: 'routine', tlp: 'green' })

/** The value of one sample (name and labels exactly as exposed), or 0 when absent. */
async function sample(node: TestNode, series: string): Promise<number> {
  const token = node.officers.get(node.config.parties[0]!.id)!.token
  const reply = await fetch(`${node.url}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
  })
  expect(reply.status).toBe(200)
  const line = (await reply.text()).split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

describe('hot-path metrics', () => {
  let usa: TestNode
  let rus: TestNode
  let hostile: HostilePeer
  let channel: string
  let close: () => Promise<void>

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      { backoff: () => 50 },
    )
    ;[usa, rus] = started.nodes as [TestNode, TestNode]
    close = started.close
    const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'Metered hotline',
      members: ['usa', 'rus'],
    })
    channel = created.body.channel.id
    await eventually(
      async () =>
        (await rus.admit(channel)) &&
        (await rus.api('POST', `/channels/${channel}/join`, {})).status === 201,
    )
    hostile = await hostilePeer(rus, 'rus', usa)
  })
  afterAll(async () => {
    hostile?.close()
    await close?.()
  })

  it('counts each local commit and its event, and the peer counts it received', async () => {
    const stored = await sample(usa, 'parley_events_stored_total{origin="local"}')
    const commits = await sample(usa, 'parley_commit_seconds_count{origin="local"}')
    const received = await sample(rus, 'parley_events_stored_total{origin="received"}')
    expect((await usa.api('POST', `/channels/${channel}/messages`, message('one'))).status).toBe(
      201,
    )
    expect(await sample(usa, 'parley_events_stored_total{origin="local"}')).toBe(stored + 1)
    expect(await sample(usa, 'parley_commit_seconds_count{origin="local"}')).toBe(commits + 1)
    await eventually(
      async () =>
        (await sample(rus, 'parley_events_stored_total{origin="received"}')) === received + 1,
    )
    // usa stored rus' signed receipt for it: one more push answered and timed.
    await eventually(
      async () => (await sample(usa, `parley_receipt_seconds_count{peer="${rus.url}"}`)) > 0,
    )
  })

  it('counts refused events by their stable code', async () => {
    const series = 'parley_events_refused_total{origin="received",code="EVENT_MALFORMED"}'
    const before = await sample(usa, series)
    const reply = await hostile.push([42, 43] as unknown as { event: unknown; sig: string }[])
    expect(reply.body.rejected.map((rejection) => rejection.code)).toEqual([
      'EVENT_MALFORMED',
      'EVENT_MALFORMED',
    ])
    expect(await sample(usa, series)).toBe(before + 2)
  })

  it('counts failed pushes per peer while the peer is down', async () => {
    const series = `parley_push_failures_total{peer="${rus.url}"}`
    const before = await sample(usa, series)
    await rus.stop()
    try {
      const posted = await usa.api('POST', `/channels/${channel}/messages`, message('unheard'))
      expect(posted.status).toBe(201)
      await eventually(async () => (await sample(usa, series)) >= before + 2)
    } finally {
      await rus.start()
    }
  })
})
