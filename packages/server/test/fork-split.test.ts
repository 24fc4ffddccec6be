import { createEvent, type EventFields, type SignedEvent, verifyTranscript } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportTranscript } from '../src/ledger/index.ts'
import { loadNodeIdentity } from '../src/node-identity.ts'
import { signRequest } from '../src/signed-http/http-signatures.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

// A party that equivocates tells each node a different story: rus signs two events with the
// same seq and sends one to usa and the other to osce. Neither node ever receives both; each
// sees the fork only when the other cites its version in `heads`. Each must then fetch the
// cited version from the node that cited it, and keep the two signed events as proof.

/** Waits of the set-up: long enough to outlast one 10 s backoff after a transient failure. */
const SETUP_MS = 30_000

interface TimelineEntry {
  id: string
  event: { author: string; seq: number }
}

describe('a fork split across two nodes', () => {
  let usa: TestNode
  let osce: TestNode
  let close: () => Promise<void>
  let channel: string
  let rusKey: { keyId: string; privateKey: CryptoKey }
  const told: Record<string, SignedEvent & { id: string }> = {}

  const timeline = async (node: TestNode) =>
    (await node.api<{ events: TimelineEntry[] }>('GET', `/channels/${channel}/timeline`)).body
      .events
  const head = (events: TimelineEntry[], author: string) => {
    const own = events.filter((view) => view.event.author === author)
    const last = own.at(-1)!
    return { seq: last.event.seq, id: last.id }
  }

  /** Pushes events to a node as rus' node would: a signed request from rus. */
  async function pushAsRus(target: TestNode, events: readonly SignedEvent[]) {
    const url = `${target.url}/federation/v1/events`
    const body = new TextEncoder().encode(JSON.stringify({ events }))
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    Object.assign(
      headers,
      await signRequest({ method: 'POST', url, headers, body }, rusKey, { now: Date.now() }),
    )
    const response = await fetch(url, { method: 'POST', headers, body })
    return { status: response.status, body: (await response.json()) as { receipts: unknown[] } }
  }

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
        { node: 'osce', parties: [{ id: 'osce', name: 'OSCE' }] },
      ],
      // A long, fixed backoff: a push worker that waits on a stuck chain shows up as a stall.
      { backoff: () => 10_000 },
    )
    const [usaNode, rus, osceNode] = started.nodes as [TestNode, TestNode, TestNode]
    ;[usa, osce] = [usaNode, osceNode]
    close = started.close
    const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'Working group',
      members: ['usa', 'rus', 'osce'],
      observers: [],
    })
    channel = created.body.channel.id
    for (const node of [rus, osce]) {
      await eventually(
        async () =>
          (await node.admit(channel)) &&
          (await node.api('POST', `/channels/${channel}/join`, {})).status === 201,
        SETUP_MS,
      )
    }
    await eventually(
      async () =>
        (await Promise.all([usa, osce].map(timeline))).every((events) => events.length === 3),
      SETUP_MS,
    )
    const party = (await loadNodeIdentity(rus.config)).parties.get('rus')!
    rusKey = { keyId: 'rus#1', privateKey: party.keys[0]!.privateKey }
    // From here on the test speaks for rus, a party that lies; its own node is not needed.
    await rus.stop()

    const events = await timeline(usa)
    const rusHead = head(events, 'rus')
    for (const [node, text] of [
      ['usa', 'We accept the proposal.'],
      ['osce', 'We reject the proposal.'],
    ] as const) {
      const fields = {
        channel,
        author: 'rus',
        seq: rusHead.seq + 1,
        prev: rusHead.id,
        heads: { usa: head(events, 'usa'), osce: head(events, 'osce') },
        time: Date.now(),
        type: 'message.post',
        body: { text, lang: 'en', urgency: 'routine', tlp: 'clear' },
      } as EventFields
      told[node] = await createEvent(fields, rusKey)
    }
    expect(told.usa!.id).not.toBe(told.osce!.id)
    for (const [node, target] of [
      ['usa', usa],
      ['osce', osce],
    ] as const) {
      const { event, sig } = told[node]!
      const pushed = await pushAsRus(target, [{ event, sig }])
      expect([pushed.status, pushed.body.receipts]).toEqual([200, [expect.anything()]])
    }
  })
  afterAll(() => close())

  it('is proven on both nodes once each cites its version to the other', async () => {
    // Each honest node posts; its event cites the version of rus' seq it was told.
    expect((await usa.api('POST', `/channels/${channel}/messages`, post('usa'))).status).toBe(201)
    expect((await osce.api('POST', `/channels/${channel}/messages`, post('osce'))).status).toBe(201)
    for (const node of [usa, osce]) {
      const alarms = await eventually(async () => {
        const { body } = await node.api<{ alarms: { kind: string; party: string }[] }>(
          'GET',
          '/alarms',
        )
        return body.alarms.some((alarm) => alarm.kind === 'equivocation') && body.alarms
      }, SETUP_MS)
      expect(alarms).toContainEqual(expect.objectContaining({ kind: 'equivocation', party: 'rus' }))
      // The proof holds both signed versions, and anyone can check it from the export alone.
      let text = ''
      for await (const line of exportTranscript(node.database.db, channel, node.name, Date.now())) {
        text += line
      }
      const proof = text
        .split('\n')
        .map((line) =>
          line === '' ? {} : (JSON.parse(line) as { kind?: string; a?: unknown; b?: unknown }),
        )
        .find((line) => line.kind === 'equivocation')
      expect(proof).toBeDefined()
      const sigs = [proof!.a, proof!.b].map((signed) => (signed as SignedEvent).sig).sort()
      expect(sigs).toEqual([told.usa!.sig, told.osce!.sig].sort())
      const report = await verifyTranscript(text.split('\n'))
      expect(report.equivocations).toBe(1)
      expect(report.failures).toContainEqual(expect.objectContaining({ code: 'EQUIVOCATION' }))
    }
  })

  it('keeps every other channel between the two nodes flowing', async () => {
    const created = await osce.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'Bilateral',
      members: ['osce', 'usa'],
      observers: [],
    })
    const other = created.body.channel.id
    await eventually(
      async () =>
        (await usa.admit(other)) &&
        (await usa.api('POST', `/channels/${other}/join`, {})).status === 201,
      SETUP_MS,
    )
    await eventually(async () => {
      const { body } = await osce.api<{ events: unknown[] }>('GET', `/channels/${other}/timeline`)
      return body.events.length === 2
    }, SETUP_MS)
    // osce's next event in the forked channel chains on the one usa refused: usa can never
    // store it, and keeps it waiting for that gap.
    const stuck = await osce.api('POST', `/channels/${channel}/messages`, post('osce'))
    expect(stuck.status).toBe(201)
    // usa holds it, waiting for the gap: osce's worker has pushed that chain and set it aside.
    await eventually(async () => {
      const held = await usa.database.db
        .selectFrom('pending_events')
        .select('id')
        .where('channel', '=', channel)
        .where('author', '=', 'osce')
        .execute()
      return held.length > 0
    }, SETUP_MS)
    const sent = Date.now()
    const text = 'A routine message in another channel.'
    const message = { ...post('osce'), text }
    expect((await osce.api('POST', `/channels/${other}/messages`, message)).status).toBe(201)
    await eventually(async () => {
      const { body } = await usa.api<{ events: { event: { body: { text?: string } } }[] }>(
        'GET',
        `/channels/${other}/timeline`,
      )
      return body.events.some((view) => view.event.body.text === text)
    })
    // Well within the 10 s a worker waiting on the stuck chain would sleep.
    expect(Date.now() - sent).toBeLessThan(5000)
  })
})

function post(party: string) {
  return {
    text: `${party} asks rus to confirm its position.`,
    lang: 'en',
    urgency: 'routine',
    tlp: 'clear',
  }
}
