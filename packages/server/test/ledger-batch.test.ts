import {
  createEvent,
  type Event,
  type EventFields,
  generateKeyPair,
  type SignedEvent,
  type Signer,
} from '@parley/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type AppendContext,
  appendEvents,
  appendLocalEvents,
  type LocalDraft,
  openAlarms,
  pinPartyKeys,
  readLog,
  readModels,
} from '../src/index.ts'
import { commitLocal } from '../src/node/commit.ts'
import { createNodeContext, type NodeContext } from '../src/node/context.ts'
import type { NodeIdentity } from '../src/node-identity.ts'
import type { Database } from '../src/store/database.ts'
import { testDatabase, testDialect } from './support/database.ts'

const T0 = 1_764_277_200_000
const CHANNEL = 'ch_01HZX4N8Q7P2M5K9R3T6V0W8YB'

type Signed = SignedEvent & { id: string }

interface Party {
  readonly id: string
  readonly signer: Signer
  readonly publicKey: string
}

/** Builds one author's chain the way its node would. */
class Author {
  readonly chain: Signed[] = []
  readonly party: Party
  constructor(party: Party) {
    this.party = party
  }

  async next(type: Event['type'], body: unknown, options: { seq?: number } = {}) {
    const last = this.chain.at(-1)
    const seq = options.seq ?? (last?.event.seq ?? 0) + 1
    const fields = {
      channel: CHANNEL,
      author: this.party.id,
      seq,
      prev: seq === 1 ? null : this.chain[seq - 2]!.id,
      heads: {},
      time: T0 + seq * 1000,
      type,
      body,
    } as EventFields
    const signed = await createEvent(fields, this.party.signer)
    if (options.seq === undefined) this.chain.push(signed)
    return signed
  }
}

const wire = ({ event, sig }: Signed) => ({ event, sig })
const post = (text: string) => ({ text, lang: 'en', urgency: 'routine', tlp: 'green' }) as const

describe(`batch appends on ${testDialect}`, () => {
  let database: Database
  let usa: Author
  let rus: Party
  const ctx: AppendContext = { now: T0 + 600_000, hosted: ['rus'], projections: readModels() }

  beforeEach(async () => {
    database = await testDatabase()
    const parties: Party[] = []
    for (const id of ['usa', 'rus']) {
      const { publicKey, privateKey } = await generateKeyPair()
      parties.push({ id, publicKey, signer: { keyId: `${id}#1`, privateKey } })
      await pinPartyKeys(
        database.db,
        id,
        id.toUpperCase(),
        [{ id: `${id}#1`, publicKey, validFrom: 0, validUntil: null }],
        { now: T0, hosted: id === 'rus' },
      )
    }
    usa = new Author(parties[0]!)
    rus = parties[1]!
  })
  afterEach(async () => {
    await database.close()
  })

  const count = async (table: 'events' | 'pending_events' | 'equivocations') =>
    Number(
      (
        await database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  const create = () =>
    usa.next('channel.create', { title: 'Hotline', members: ['usa', 'rus'], observers: [] })

  it('stores a whole chain pushed at once, a new channel included, in order', async () => {
    const events = [await create()]
    for (let i = 2; i <= 40; i++) events.push(await usa.next('message.post', post(`m${i}`)))
    const { results, applied } = await appendEvents(database.db, events.map(wire), ctx)
    expect(results.map((result) => result.status)).toEqual(events.map(() => 'stored'))
    expect(applied).toEqual([])
    const positions = results.map((result) => (result.status === 'stored' ? result.position : 0))
    expect(positions).toEqual([...positions].sort((a, b) => a - b))
    const log = await readLog(database.db, CHANNEL, 'usa', 1)
    expect(log.map((signed) => signed.sig)).toEqual(events.map((e) => e.sig))
  })

  it('stores an event that arrived before its predecessor in the same batch', async () => {
    const genesis = await create()
    const second = await usa.next('message.post', post('second'))
    const third = await usa.next('message.post', post('third'))
    await appendEvents(database.db, [wire(genesis)], ctx)
    const { results } = await appendEvents(database.db, [wire(third), wire(second)], ctx)
    expect(results.map((result) => [result.status, result.id])).toEqual([
      ['stored', third.id],
      ['stored', second.id],
    ])
    expect(await count('pending_events')).toBe(0)
    const log = await readLog(database.db, CHANNEL, 'usa', 1)
    expect(log.map((signed) => signed.event.seq)).toEqual([1, 2, 3])
  })

  it('answers a repeat as duplicate and a fork as proof within one batch', async () => {
    const genesis = await create()
    const second = await usa.next('message.post', post('second'))
    const fork = await usa.next('message.post', post('fork'), { seq: 2 })
    const { results } = await appendEvents(
      database.db,
      [wire(genesis), wire(second), wire(second), wire(fork), { event: {}, sig: 'x' }],
      ctx,
    )
    expect(results.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual([
      'stored',
      'stored',
      'duplicate',
      'EQUIVOCATION',
      'EVENT_MALFORMED',
    ])
    expect(await count('events')).toBe(2)
    expect(await count('equivocations')).toBe(1)
    expect(await openAlarms(database.db)).toHaveLength(1)
  })

  it('keeps the events after a gap pending and reports what they need', async () => {
    const genesis = await create()
    const events = [genesis]
    for (let i = 2; i <= 5; i++) events.push(await usa.next('message.post', post(`m${i}`)))
    const { results } = await appendEvents(
      database.db,
      [wire(genesis), wire(events[3]!), wire(events[4]!)],
      ctx,
    )
    expect(results.map((r) => r.status)).toEqual(['stored', 'pending', 'pending'])
    expect(results[1]).toMatchObject({ need: { channel: CHANNEL, author: 'usa', fromSeq: 2 } })
    const filled = await appendEvents(database.db, [wire(events[1]!), wire(events[2]!)], ctx)
    expect(filled.results.map((r) => r.status)).toEqual(['stored', 'stored'])
    expect(filled.applied.map((e) => e.id)).toEqual([events[3]!.id, events[4]!.id])
    expect(await count('pending_events')).toBe(0)
  })

  it('stores nothing of a batch whose transaction fails', async () => {
    const events = [await create(), await usa.next('message.post', post('m2'))]
    const failing: AppendContext = {
      ...ctx,
      onStoredBatch: async () => {
        throw new Error('outbox unavailable')
      },
    }
    await expect(appendEvents(database.db, events.map(wire), failing)).rejects.toThrow(
      'outbox unavailable',
    )
    expect(await count('events')).toBe(0)
  })

  it('chains local drafts of one transaction, a refused draft taking no seq', async () => {
    const genesis = await create()
    await appendEvents(database.db, [wire(genesis)], ctx)
    const draft = (body: unknown): LocalDraft => ({
      channel: CHANNEL,
      author: 'rus',
      type: 'channel.join',
      body: body as never,
    })
    const message = (text: string): LocalDraft => ({
      channel: CHANNEL,
      author: 'rus',
      type: 'message.post',
      body: post(text) as never,
    })
    const { results } = await appendLocalEvents(
      database.db,
      [
        { draft: draft({ accepts: genesis.id }), signer: rus.signer },
        { draft: message(''), signer: rus.signer },
        { draft: message('first words'), signer: rus.signer },
      ],
      ctx,
    )
    expect(results.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual([
      'stored',
      'EVENT_MALFORMED',
      'stored',
    ])
    const log = await readLog(database.db, CHANNEL, 'rus', 1)
    expect(log.map((signed) => signed.event.seq)).toEqual([1, 2])
    expect(log[1]!.event.prev).toBe(results[0]!.id)
    expect(log[1]!.event.heads).toEqual({ usa: { seq: 1, id: genesis.id } })
  })

  describe('group commit of local posts', () => {
    const nodeOf = (party: Party): NodeContext => {
      const identity: NodeIdentity = {
        node: 'rus',
        federationUrl: 'http://127.0.0.1:1',
        parties: new Map([
          [
            party.id,
            {
              id: party.id,
              name: 'RUS',
              keys: [
                {
                  id: party.signer.keyId,
                  publicKey: party.publicKey,
                  privateKey: party.signer.privateKey,
                  validFrom: 0,
                  validUntil: null,
                },
              ],
            },
          ],
        ]),
      }
      return createNodeContext({
        db: database.db,
        identity,
        now: () => T0 + 600_000,
        log: { warn() {}, info() {}, error() {} } as never,
        wake: () => {},
        projections: readModels(),
      })
    }

    it('answers each concurrent post with its own committed event, in one unforked chain', async () => {
      const genesis = await create()
      await appendEvents(database.db, [wire(genesis)], ctx)
      const node = nodeOf(rus)
      const heard: string[] = []
      node.hub.subscribe(({ id }) => heard.push(id))
      await commitLocal(node, {
        channel: CHANNEL,
        author: 'rus',
        type: 'channel.join',
        body: { accepts: genesis.id },
      })
      const posts = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          commitLocal(node, {
            channel: CHANNEL,
            author: 'rus',
            type: 'message.post',
            body: post(`r${i}`),
          }),
        ),
      )
      const log = await readLog(database.db, CHANNEL, 'rus', 1)
      expect(log.map((signed) => signed.event.seq)).toEqual(
        Array.from({ length: 51 }, (_, i) => i + 1),
      )
      expect(new Set(posts.map((stored) => stored.id)).size).toBe(50)
      for (const stored of posts) {
        expect(log[stored.event.seq - 1]!.sig).toBe(stored.sig)
      }
      expect(heard).toHaveLength(51)
      await expect(
        commitLocal(node, {
          channel: CHANNEL,
          author: 'usa',
          type: 'message.post',
          body: post(''),
        }),
      ).rejects.toMatchObject({ code: 'PARTY_NOT_HOSTED' })
    })

    it('rolls back only the event whose own transaction work failed', async () => {
      const genesis = await create()
      await appendEvents(database.db, [wire(genesis)], ctx)
      const node = nodeOf(rus)
      const join = { channel: CHANNEL, author: 'rus', type: 'channel.join' } as const
      await commitLocal(node, { ...join, body: { accepts: genesis.id } })
      const message = (text: string) =>
        ({ channel: CHANNEL, author: 'rus', type: 'message.post', body: post(text) }) as const
      const outcomes = await Promise.allSettled([
        commitLocal(node, message('before')),
        commitLocal(node, message('doomed'), {
          onStored: async () => {
            throw new Error('release already decided')
          },
        }),
        commitLocal(node, message('after')),
      ])
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
      ])
      const texts = (await readLog(database.db, CHANNEL, 'rus', 2)).map(
        (signed) => (signed.event.body as { text: string }).text,
      )
      expect(texts).toEqual(['before', 'after'])
    })
  })
})
