import { createEvent, type Event, type EventFields, generateKeyPair } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadNodeIdentity } from '../src/node-identity.ts'
import { type HttpSigningKey, signRequest } from '../src/signed-http/http-signatures.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

interface Reply {
  status: number
  body: {
    error?: { code: string }
    receipts?: { receipt: { events: string[]; by: string } }[]
    rejected?: { id: string | null; code: string }[]
    need?: { channel: string; author: string; fromSeq: number }[]
  }
}

/** Sends a federation request signed with `key`, as a peer (or an impostor) would. */
async function send(
  target: TestNode,
  path: string,
  key: HttpSigningKey | undefined,
  options: { body?: unknown; raw?: Uint8Array; now?: number; tamper?: boolean } = {},
): Promise<Reply & { replay(): Promise<Reply> }> {
  const url = `${target.url}${path}`
  const hasBody = options.body !== undefined || options.raw !== undefined
  const bytes = options.raw ?? new TextEncoder().encode(JSON.stringify(options.body))
  const method = hasBody ? 'POST' : 'GET'
  const headers: Record<string, string> = hasBody ? { 'content-type': 'application/json' } : {}
  if (key !== undefined) {
    const body = hasBody ? bytes : undefined
    Object.assign(
      headers,
      await signRequest({ method, url, headers, ...(body ? { body } : {}) }, key, {
        now: options.now ?? Date.now(),
      }),
    )
  }
  const sent = options.tamper ? new TextEncoder().encode(JSON.stringify({ events: [] })) : bytes
  const call = async (): Promise<Reply> => {
    const response = await fetch(url, {
      method,
      headers,
      ...(hasBody ? { body: sent as Uint8Array<ArrayBuffer> } : {}),
    })
    return { status: response.status, body: (await response.json()) as Reply['body'] }
  }
  return { ...(await call()), replay: call }
}

describe('a node facing a hostile peer', () => {
  let usa: TestNode
  let rus: TestNode
  let close: () => Promise<void>
  let channel: string
  let rusKey: HttpSigningKey
  let chain: { seq: number; prev: string; usaHead: { seq: number; id: string } }

  /** rus' next event in the channel, signed with rus' real key, as rus' node would. */
  async function nextRusEvent(text: string, seq = chain.seq + 1, prev = chain.prev) {
    const fields = {
      channel,
      author: 'rus',
      seq,
      prev,
      heads: { usa: chain.usaHead },
      time: Date.now(),
      type: 'message.post',
      body: { text, lang: 'ru', urgency: 'routine', tlp: 'clear' },
    } as EventFields
    return createEvent(fields, rusKey)
  }
  const usaEvents = async () =>
    (
      await usa.api<{ events: { id: string }[] }>('GET', `/channels/${channel}/timeline`)
    ).body.events.map((view) => view.id)

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
    const joined = await eventually(async () => {
      const events = (await usaEvents()).length
      return (
        events === 2 &&
        (
          await usa.api<{ events: { id: string; event: Event }[] }>(
            'GET',
            `/channels/${channel}/timeline`,
          )
        ).body.events
      )
    })
    const [genesis, join] = joined
    chain = { seq: 1, prev: join!.id, usaHead: { seq: 1, id: genesis!.id } }
    const party = (await loadNodeIdentity(rus.config)).parties.get('rus')!
    rusKey = { keyId: 'rus#1', privateKey: party.keys[0]!.privateKey }
    // From here on the test speaks for rus; its own node would only get in the way.
    await rus.stop()
  })
  afterAll(() => close())

  it('refuses unsigned, forged, unpinned, stale, tampered and replayed pushes, storing nothing', async () => {
    const event = await nextRusEvent('Only a genuine request may deliver this.')
    const body = { events: [{ event: event.event, sig: event.sig }] }
    const before = await usaEvents()
    const path = '/federation/v1/events'

    const unsigned = await send(usa, path, undefined, { body })
    expect([unsigned.status, unsigned.body.error?.code]).toEqual([401, 'HTTP_SIGNATURE_MISSING'])

    const impostor = await generateKeyPair()
    const forged = await send(
      usa,
      path,
      { keyId: 'rus#1', privateKey: impostor.privateKey },
      { body },
    )
    expect([forged.status, forged.body.error?.code]).toEqual([401, 'HTTP_SIGNATURE_INVALID'])

    const unpinned = await send(
      usa,
      path,
      { keyId: 'jpn#1', privateKey: impostor.privateKey },
      { body },
    )
    expect([unpinned.status, unpinned.body.error?.code]).toEqual([401, 'KEY_NOT_PINNED'])

    const stale = await send(usa, path, rusKey, { body, now: Date.now() - 10 * 60_000 })
    expect([stale.status, stale.body.error?.code]).toEqual([401, 'HTTP_SIGNATURE_EXPIRED'])

    const tampered = await send(usa, path, rusKey, { body, tamper: true })
    expect([tampered.status, tampered.body.error?.code]).toEqual([401, 'HTTP_SIGNATURE_INVALID'])

    expect(await usaEvents()).toEqual(before)

    const genuine = await send(usa, path, rusKey, { body })
    expect(genuine.status).toBe(200)
    expect(genuine.body.receipts?.[0]?.receipt).toMatchObject({ events: [event.id], by: 'usa' })
    const replayed = await genuine.replay()
    expect([replayed.status, replayed.body.error?.code]).toEqual([401, 'HTTP_SIGNATURE_REPLAY'])
    expect(await usaEvents()).toEqual([...before, event.id])
    chain = { ...chain, seq: chain.seq + 1, prev: event.id }
  })

  it('receipts an event pushed twice once stored, and stores it once', async () => {
    const event = await nextRusEvent('Idempotent.')
    const body = { events: [{ event: event.event, sig: event.sig }] }
    const first = await send(usa, '/federation/v1/events', rusKey, { body })
    const second = await send(usa, '/federation/v1/events', rusKey, { body })
    expect(first.body.receipts?.[0]?.receipt.events).toEqual([event.id])
    expect(second.body.receipts?.[0]?.receipt.events).toEqual([event.id])
    expect((await usaEvents()).filter((id) => id === event.id)).toHaveLength(1)
    chain = { ...chain, seq: chain.seq + 1, prev: event.id }
  })

  it('answers a gap with what it needs, and an equivocation with an alarm', async () => {
    const before = await usaEvents()
    const skipped = await nextRusEvent('Seq skipped ahead.', chain.seq + 2)
    const gap = await send(usa, '/federation/v1/events', rusKey, {
      body: { events: [{ event: skipped.event, sig: skipped.sig }] },
    })
    expect(gap.status).toBe(200)
    expect(gap.body.need).toEqual([{ channel, author: 'rus', fromSeq: chain.seq + 1 }])
    expect(gap.body.receipts).toEqual([])

    const fork = await nextRusEvent('A second event with an old seq.', chain.seq, undefined)
    const forked = await send(usa, '/federation/v1/events', rusKey, {
      body: { events: [{ event: { ...fork.event, prev: before.at(-2) }, sig: fork.sig }] },
    })
    // The signature covered a different prev, so this is no fork but a forgery.
    expect(forked.body.rejected?.[0]?.code).toBe('SIGNATURE_INVALID')

    const twin = await nextRusEvent('Same seq, different words.', chain.seq, before.at(-2))
    const equivocation = await send(usa, '/federation/v1/events', rusKey, {
      body: { events: [{ event: twin.event, sig: twin.sig }] },
    })
    expect(equivocation.body.rejected?.[0]?.code).toBe('EQUIVOCATION')
    const alarms = await usa.api<{ alarms: { kind: string; party: string }[] }>('GET', '/alarms')
    expect(alarms.body.alarms).toContainEqual(
      expect.objectContaining({ kind: 'equivocation', party: 'rus' }),
    )
    expect(await usaEvents()).toEqual(before)
  })

  it('refuses oversized batches and malformed bodies with their 4xx codes', async () => {
    const event = await nextRusEvent('One of too many.')
    const signed = { event: event.event, sig: event.sig }
    const many = await send(usa, '/federation/v1/events', rusKey, {
      body: { events: Array.from({ length: 501 }, () => signed) },
    })
    expect([many.status, many.body.error?.code]).toEqual([413, 'BATCH_TOO_LARGE'])

    const huge = await send(usa, '/federation/v1/events', rusKey, {
      raw: new TextEncoder().encode(
        JSON.stringify({ events: [], pad: 'x'.repeat(5 * 1024 * 1024) }),
      ),
    })
    expect([huge.status, huge.body.error?.code]).toEqual([413, 'BATCH_TOO_LARGE'])

    const notJson = await send(usa, '/federation/v1/events', rusKey, {
      raw: new TextEncoder().encode('{"events": ['),
    })
    expect([notJson.status, notJson.body.error?.code]).toEqual([400, 'REQUEST_INVALID'])

    const wrongShape = await send(usa, '/federation/v1/events', rusKey, { body: { events: 'all' } })
    expect([wrongShape.status, wrongShape.body.error?.code]).toEqual([400, 'REQUEST_INVALID'])

    const garbage = await send(usa, '/federation/v1/events', rusKey, {
      body: { events: [{ event: { v: 2 }, sig: 'x' }, 42] },
    })
    expect(garbage.status).toBe(200)
    expect(garbage.body.rejected?.map((r) => r.code)).toEqual([
      'EVENT_MALFORMED',
      'EVENT_MALFORMED',
    ])
  })

  it('refuses events and log reads from a party that is not in the channel', async () => {
    const other = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'US–Allies consultation',
      members: ['usa', 'est'],
      observers: [],
    })
    const allies = other.body.channel.id
    const log = await send(usa, `/federation/v1/channels/${allies}/log/usa?from=1`, rusKey)
    expect([log.status, log.body.error?.code]).toEqual([403, 'NOT_A_MEMBER'])
    const heads = await send(usa, `/federation/v1/channels/${allies}/heads`, rusKey)
    expect(heads.status).toBe(403)

    const intruder = await createEvent(
      {
        channel: allies,
        author: 'rus',
        seq: 1,
        prev: null,
        heads: {},
        time: Date.now(),
        type: 'message.post',
        body: { text: 'Let me in.', lang: 'en', urgency: 'routine', tlp: 'clear' },
      } as EventFields,
      rusKey,
    )
    const pushed = await send(usa, '/federation/v1/events', rusKey, {
      body: { events: [{ event: intruder.event, sig: intruder.sig }] },
    })
    expect(pushed.body.rejected?.[0]?.code).toBe('NOT_A_MEMBER')
    const timeline = await usa.api<{ events: unknown[] }>('GET', `/channels/${allies}/timeline`)
    expect(timeline.body.events).toHaveLength(1)

    const health = await fetch(`${usa.url}/healthz`)
    expect(health.status).toBe(200)
  })
})
