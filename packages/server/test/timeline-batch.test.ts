import { createEvent, type EventFields, generateKeyPair, type Signer } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AppendContext,
  appendEvents,
  EventVerifier,
  pinPartyKeys,
  readModels,
} from '../src/index.ts'
import type { Database } from '../src/store/database.ts'
import { testDatabase, testDialect } from './support/database.ts'

const T0 = 1_764_277_200_000
const post = (text: string) => ({ text, lang: 'en', urgency: 'routine', tlp: 'green' }) as const

type Wire = { event: unknown; sig: string }

/**
 * A batch (a pushed batch, a pulled page) must leave the same timeline order as its events
 * stored one at a time: its signatures are checked on worker threads and its order computed
 * for the whole batch at once, and neither may change what an officer's timeline shows.
 */
describe(`a batch's timeline order on ${testDialect}`, () => {
  const signers = new Map<string, Signer>()
  const chains = new Map<string, { seq: number; id: string; time: number }>()
  let one: Database
  let batched: Database
  const verifier = new EventVerifier({ workers: 2, minBatch: 1 })
  const ctx = (): AppendContext => ({
    now: T0 + 86_400_000,
    hosted: ['osce'],
    projections: readModels(),
    verifier,
  })

  let channel = ''
  async function next(
    author: string,
    fields: Partial<EventFields> & Pick<EventFields, 'type' | 'body'>,
    time: number,
  ): Promise<Wire & { id: string }> {
    const last = chains.get(`${channel}/${author}`)
    const { event, sig, id } = await createEvent(
      {
        channel,
        author,
        seq: (last?.seq ?? 0) + 1,
        prev: last?.id ?? null,
        heads: {},
        time,
        ...fields,
      } as EventFields,
      signers.get(author)!,
    )
    chains.set(`${channel}/${author}`, { seq: event.seq, id, time })
    return { event, sig, id }
  }
  const head = (party: string) => {
    const { seq, id } = chains.get(`${channel}/${party}`)!
    return { seq, id }
  }

  /** A channel of its own for each test: usa creates it, rus joins, osce (hosted) observes. */
  async function open(id: string) {
    channel = id
    const genesis = await next(
      'usa',
      {
        type: 'channel.create',
        body: { title: 'Hotline', members: ['usa', 'rus'], observers: ['osce'] },
      },
      T0,
    )
    const join = await next(
      'rus',
      { type: 'channel.join', body: { accepts: genesis.id }, heads: { usa: head('usa') } },
      T0 + 10,
    )
    return [genesis, join]
  }

  const order = async (database: Database) =>
    (
      await database.db
        .selectFrom('timeline_entries')
        .select(['event_id', 'order_time'])
        .where('channel', '=', channel)
        .orderBy('order_time')
        .orderBy('author')
        .orderBy('seq')
        .execute()
    ).map((row) => [row.event_id, Number(row.order_time)])
  const waits = async (database: Database) =>
    Number(
      (
        await database.db
          .selectFrom('timeline_waits')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('channel', '=', channel)
          .executeTakeFirstOrThrow()
      ).n,
    )

  beforeAll(async () => {
    one = await testDatabase()
    batched = await testDatabase()
    for (const id of ['usa', 'rus', 'osce']) {
      const { publicKey, privateKey } = await generateKeyPair()
      signers.set(id, { keyId: `${id}#1`, privateKey })
      for (const database of [one, batched]) {
        await pinPartyKeys(
          database.db,
          id,
          id.toUpperCase(),
          [{ id: `${id}#1`, publicKey, validFrom: 0, validUntil: null }],
          { now: T0, hosted: id === 'osce' },
        )
      }
    }
  })
  afterAll(async () => {
    await verifier.close()
    await one.close()
    await batched.close()
  })

  async function store(events: readonly (Wire & { id: string })[]) {
    const wire = events.map(({ event, sig }) => ({ event, sig }))
    for (const signed of wire) await appendEvents(one.db, [signed], ctx())
    const { results } = await appendEvents(batched.db, wire, ctx())
    return results.map((result) => result.status)
  }

  it('is the one-by-one order for a chain of two parties citing each other, skew included', async () => {
    const events = await open('ch_01HZX4N8Q7P2M5K9R3T6V0W8YC')
    for (let i = 0; i < 30; i++) {
      // rus's clock runs behind: each of its posts is raised past the usa post it cites.
      events.push(
        await next(
          'usa',
          { type: 'message.post', body: post(`usa ${i}`), heads: { rus: head('rus') } },
          T0 + 1000 * (i + 1),
        ),
      )
      events.push(
        await next(
          'rus',
          { type: 'message.post', body: post(`rus ${i}`), heads: { usa: head('usa') } },
          T0 + 1000 * (i + 1) - 300,
        ),
      )
    }
    expect(await store(events)).toEqual(events.map(() => 'stored'))
    const expected = await order(one)
    expect(expected).toHaveLength(62)
    expect(await order(batched)).toEqual(expected)
    // The skew shows: rus's last post follows the usa post it cites, 1 ms after it.
    const usaLast = expected.find(([id]) => id === events.at(-2)!.id)!
    expect(expected.find(([id]) => id === events.at(-1)!.id)![1]).toBe(Number(usaLast[1]) + 1)
  })

  it('is the one-by-one order when a batch cites events not held yet, and once they arrive', async () => {
    expect(await store(await open('ch_01HZX4N8Q7P2M5K9R3T6V0W8YD'))).toEqual(['stored', 'stored'])
    const ahead = [
      await next(
        'usa',
        { type: 'message.post', body: post('usa a'), heads: { rus: head('rus') } },
        T0 + 40_000,
      ),
      await next(
        'usa',
        { type: 'message.post', body: post('usa b'), heads: { rus: head('rus') } },
        T0 + 41_000,
      ),
    ]
    // rus cites usa's newest post, which neither node holds yet: their order waits for it.
    const citing = [
      await next(
        'rus',
        { type: 'message.post', body: post('rus a'), heads: { usa: head('usa') } },
        T0 + 30_000,
      ),
      await next(
        'rus',
        { type: 'message.post', body: post('rus b'), heads: { usa: head('usa') } },
        T0 + 30_500,
      ),
    ]
    expect(await store(citing)).toEqual(['stored', 'stored'])
    expect(await waits(one)).toBeGreaterThan(0)
    expect(await waits(batched)).toBe(await waits(one))
    expect(await order(batched)).toEqual(await order(one))
    expect(await store(ahead)).toEqual(['stored', 'stored'])
    expect(await order(one)).toHaveLength(6)
    expect(await waits(one)).toBe(0)
    expect(await waits(batched)).toBe(0)
    expect(await order(batched)).toEqual(await order(one))
  })
})
