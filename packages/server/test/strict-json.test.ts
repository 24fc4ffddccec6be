import type { Event, EventFields } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type HostilePeer, hostilePeer, type PushReply } from './support/hostile-peer.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

// DESIGN §4.1: signed JSON is I-JSON (no member name twice in one object) and holds no U+0000.
// A peer and an officer each try both, on a real node over HTTP; PGlite or PostgreSQL.

interface Reply {
  readonly status: number
  readonly body: {
    error?: { code: string; message: string }
  } & Partial<PushReply>
}

describe('a node refusing ambiguous JSON and U+0000', () => {
  let usa: TestNode
  let rus: TestNode
  let close: () => Promise<void>
  let peer: HostilePeer
  let channel: string
  let chain: { seq: number; prev: string; usaHead: { seq: number; id: string } }

  const eventCount = async () => {
    const db = usa.database.db
    const row = await db
      .selectFrom('events')
      .select(db.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }
  const timeline = async () =>
    (
      await usa.api<{ events: { id: string; event: Event }[] }>(
        'GET',
        `/channels/${channel}/timeline`,
      )
    ).body.events

  /** rus' event at `seq` (default: its next), signed with its real key. */
  const rusEvent = (text: string, seq = chain.seq + 1) =>
    peer.event({
      channel,
      seq,
      prev: chain.prev,
      heads: { usa: chain.usaHead },
      time: Date.now(),
      type: 'message.post',
      body: { text, lang: 'ru', urgency: 'routine', tlp: 'clear' },
    } as Omit<EventFields, 'author'>)

  /** `{ event, sig }` text, validly signed over JCS of `event`, U+0000 and all. */
  const signedWithNul = async (event: unknown) => JSON.stringify(await peer.signWithNul(event))

  const push = async (text: string): Promise<Reply> => {
    const reply = await peer.send({
      path: '/federation/v1/events',
      raw: new TextEncoder().encode(text),
    })
    return { status: reply.status, body: reply.json as Reply['body'] }
  }

  /** The officer API with a body sent exactly as written. */
  const officer = async (method: string, path: string, text: string): Promise<Reply> => {
    const response = await fetch(`${usa.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${usa.officers.get('usa')!.token}`,
        'content-type': 'application/json',
      },
      body: text,
    })
    return { status: response.status, body: (await response.json()) as Reply['body'] }
  }

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      { backoff: () => 200 },
    )
    ;[usa, rus] = started.nodes as [TestNode, TestNode]
    close = started.close
    const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'Hotline',
      members: ['usa', 'rus'],
      observers: [],
    })
    channel = created.body.channel.id
    await eventually(
      async () =>
        (await rus.admit(channel)) &&
        (await rus.api('POST', `/channels/${channel}/join`, {})).status === 201,
    )
    const [genesis, joined] = await eventually(async () => {
      const events = await timeline()
      return events.length === 2 && events
    })
    peer = await hostilePeer(rus, 'rus', usa)
    // From here on only the test speaks for rus.
    await rus.stop()
    chain = { seq: 1, prev: joined!.id, usaHead: { seq: 1, id: genesis!.id } }
  })
  afterAll(async () => {
    peer?.close()
    await close?.()
  })

  it('rejects each pushed event holding U+0000 or a repeated name with its code, and stores the rest', async () => {
    const before = await eventCount()
    const first = await rusEvent('Первое.')
    chain = { ...chain, seq: 2, prev: first.id }
    const second = await rusEvent('agreed')
    // Ed25519 is deterministic: where there is no U+0000, signWithNul signs as the protocol does.
    expect((await peer.signWithNul(second.event)).sig).toBe(second.sig)
    const nulInText = await signedWithNul({
      ...second.event,
      body: { ...second.event.body, text: 'agreed\u0000 not' },
    })
    const nulInName = await signedWithNul({
      ...second.event,
      heads: { 'usa\u0000': chain.usaHead },
    })
    const signed = (s: { event: Event; sig: string }) =>
      JSON.stringify({ event: s.event, sig: s.sig })
    // The genuine second event, with a "text" before its own that JSON.parse would drop.
    const twice = signed(second).replace('"text":', '"text":"not agreed","text":')
    const reply = await push(
      `{"events":[${signed(first)},${nulInText},${twice},${nulInName},${signed(second)}]}`,
    )

    expect(reply.status).toBe(200)
    expect(reply.body.rejected).toEqual([
      {
        id: null,
        index: 1,
        code: 'STRING_HAS_NUL',
        message: expect.stringContaining('$.event.body.text'),
      },
      {
        id: null,
        index: 2,
        code: 'JSON_DUPLICATE_NAME',
        message: expect.stringContaining('"text"'),
      },
      { id: null, index: 3, code: 'STRING_HAS_NUL', message: expect.any(String) },
    ])
    expect(reply.body.receipts?.[0]?.receipt.events).toEqual([first.id, second.id])
    expect(reply.body.need).toEqual([])
    expect(await eventCount()).toBe(before + 2)
    const texts = (await timeline()).map((view) => (view.event.body as { text?: string }).text)
    expect(texts.slice(-2)).toEqual(['Первое.', 'agreed'])
    chain = { ...chain, seq: 3, prev: second.id }
  })

  it('refuses a whole push whose envelope repeats a name, storing nothing', async () => {
    const before = await eventCount()
    const next = await rusEvent('Третье.')
    const item = JSON.stringify({ event: next.event, sig: next.sig })
    for (const text of [`{"events":[${item}],"events":[]}`, `{"events":[],"events":[${item}]}`]) {
      const reply = await push(text)
      expect(reply.status).toBe(400)
      expect(reply.body.error).toMatchObject({
        code: 'JSON_DUPLICATE_NAME',
        message: 'The object at $ has the member name "events" more than once',
      })
    }
    expect(await eventCount()).toBe(before)
    // An item that repeats its own `sig` is that item's problem only.
    const sigTwice = item.replace('"sig":', `"sig":"${'A'.repeat(86)}","sig":`)
    const reply = await push(`{"events":[${sigTwice}]}`)
    expect(reply.status).toBe(200)
    expect(reply.body.rejected).toEqual([
      expect.objectContaining({ index: 0, code: 'JSON_DUPLICATE_NAME' }),
    ])
    expect(await eventCount()).toBe(before)
  })

  it('answers the officer API 400 with the code for a repeated name or U+0000 anywhere, storing nothing', async () => {
    const before = await eventCount()
    const channels = (await usa.api<{ channels: unknown[] }>('GET', '/channels')).body.channels
    const message = (text: string) =>
      `{"text":${text},"lang":"en","urgency":"routine","tlp":"clear"}`
    const cases: [string, string, string, string][] = [
      [
        `/channels/${channel}/messages`,
        message('"not agreed","text":"agreed"'),
        'JSON_DUPLICATE_NAME',
        '$',
      ],
      [`/channels/${channel}/messages`, message('"agreed\\u0000 not"'), 'STRING_HAS_NUL', '$.text'],
      [
        `/channels/${channel}/messages/batch`,
        `{"messages":[${message('"a"')},${message('"b\\u0000"')}]}`,
        'STRING_HAS_NUL',
        '$.messages[1].text',
      ],
      [
        `/channels/${channel}/messages/batch`,
        `{"messages":[${message('"a"').replace('"lang":"en"', '"lang":"en","lang":"ru"')}]}`,
        'JSON_DUPLICATE_NAME',
        '$.messages[0]',
      ],
      [
        '/channels',
        '{"title":"x","members":["usa","rus"],"observers":[],"policy":{"languages":["en"],"languages":["ru"]}}',
        'JSON_DUPLICATE_NAME',
        '$.policy',
      ],
      [
        '/channels',
        '{"title":"x","members":["usa","rus"],"observers":[],"\\u0000":1}',
        'STRING_HAS_NUL',
        '$["\\u0000"]',
      ],
      ['/auth/login', '{"username":"a","username":"b","password":"x"}', 'JSON_DUPLICATE_NAME', '$'],
    ]
    for (const [path, text, code, at] of cases) {
      const reply = await officer('POST', path, text)
      expect({ path, text, status: reply.status, code: reply.body.error?.code }).toEqual({
        path,
        text,
        status: 400,
        code,
      })
      expect(reply.body.error?.message).toContain(`at ${at} `)
    }
    // Nothing refused was stored: not a channel, not an event, not an unread count.
    expect(await eventCount()).toBe(before)
    expect((await usa.api<{ channels: unknown[] }>('GET', '/channels')).body.channels).toEqual(
      channels,
    )
    // An escaped backslash before "u0000" is no U+0000: that message is posted as written.
    const literal = await officer('POST', `/channels/${channel}/messages`, message('"\\\\u0000"'))
    expect(literal.status).toBe(201)
    expect(await eventCount()).toBe(before + 1)
  })
})
