import {
  createEvent,
  type Event,
  type EventFields,
  generateKeyPair,
  type SignedEvent,
  type Signer,
  signReceipt,
  type TranscriptReport,
  verifyTranscript,
} from '@parley/protocol'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type AppendContext,
  appendEvent,
  appendLocalEvent,
  channelEquivocations,
  channelTimeline,
  exportTranscript,
  openAlarms,
  pinPartyKeys,
  readHeads,
  readLog,
  readModels,
  receiptsFor,
  storeReceipt,
} from '../src/index.ts'
import type { Database } from '../src/store/database.ts'
import { testDatabase, testDialect } from './support/database.ts'

const T0 = 1_764_277_200_000
const CHANNEL = 'ch_01HZX4N8Q7P2M5K9R3T6V0W8YB'
const OTHER_CHANNEL = 'ch_01HZX4N8Q7P2M5K9R3T6V0W8YC'

/** A party as its own node sees it: a signer and its chains. */
interface Party {
  readonly id: string
  readonly signer: Signer
  readonly publicKey: string
}

const parties = new Map<string, Party>()
async function party(id: string): Promise<Party> {
  let found = parties.get(id)
  if (found === undefined) {
    const { publicKey, privateKey } = await generateKeyPair()
    found = { id, publicKey, signer: { keyId: `${id}#1`, privateKey } }
    parties.set(id, found)
  }
  return found
}

type Signed = SignedEvent & { id: string }

/** Builds events the way an author's node would: seq and prev follow its own chain. */
class Author {
  readonly chains = new Map<string, Signed[]>()
  readonly party: Party
  constructor(party: Party) {
    this.party = party
  }

  async next(
    channel: string,
    type: Event['type'],
    body: unknown,
    options: { heads?: Record<string, Signed>; time?: number; seq?: number } = {},
  ): Promise<Signed> {
    const chain = this.chains.get(channel) ?? []
    const last = chain.at(-1)
    const heads: Record<string, { seq: number; id: string }> = {}
    for (const [p, head] of Object.entries(options.heads ?? {}))
      heads[p] = { seq: head.event.seq, id: head.id }
    const fields = {
      channel,
      author: this.party.id,
      seq: options.seq ?? (last?.event.seq ?? 0) + 1,
      prev: options.seq === undefined ? (last?.id ?? null) : (chain[options.seq - 2]?.id ?? null),
      heads,
      time: options.time ?? T0 + chain.length * 1000,
      type,
      body,
    } as EventFields
    const signed = await createEvent(fields, this.party.signer)
    if (options.seq === undefined) this.chains.set(channel, [...chain, signed])
    return signed
  }
}

/** What travels on the wire: `{ event, sig }`, without the id the sender computed. */
function deliver(db: Database['db'], signed: Signed | unknown, ctx: AppendContext) {
  const wire =
    typeof signed === 'object' && signed !== null && 'id' in signed
      ? { event: (signed as Signed).event, sig: (signed as Signed).sig }
      : signed
  return appendEvent(db, wire, ctx)
}

const post = (text: string) => ({ text, lang: 'en', urgency: 'routine', tlp: 'green' }) as const

describe(`ledger on ${testDialect}`, () => {
  let database: Database
  let usa: Author
  let rus: Author
  let chn: Author
  // The receiving node hosts rus unless a test says otherwise.
  const ctx: AppendContext = { now: T0 + 600_000, hosted: ['rus'], projections: readModels() }

  beforeEach(async () => {
    database = await testDatabase()
    usa = new Author(await party('usa'))
    rus = new Author(await party('rus'))
    chn = new Author(await party('chn'))
    for (const author of [usa, rus, chn]) {
      const { id, publicKey } = author.party
      await pinPartyKeys(
        database.db,
        id,
        id.toUpperCase(),
        [{ id: `${id}#1`, publicKey, validFrom: 0, validUntil: null }],
        { now: T0, hosted: id === 'rus' },
      )
    }
  })
  afterEach(async () => {
    await database.close()
  })

  const create = (members = ['usa', 'rus'], observers: string[] = []) =>
    usa.next(CHANNEL, 'channel.create', { title: 'Hotline', members, observers })
  const count = async (table: 'events' | 'pending_events' | 'equivocations' | 'alarms') =>
    Number(
      (
        await database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )

  it('stores a new channel as an invitation to the hosted member, once', async () => {
    const genesis = await create()
    const first = await deliver(database.db, genesis, ctx)
    expect(first).toMatchObject({ status: 'stored', id: genesis.id, applied: [] })
    expect(await deliver(database.db, genesis, ctx)).toEqual({
      status: 'duplicate',
      id: genesis.id,
    })
    expect(await count('events')).toBe(1)
    expect(await readLog(database.db, CHANNEL, 'usa', 1)).toEqual([
      { event: genesis.event, sig: genesis.sig },
    ])
    const channel = await database.db.selectFrom('channels').selectAll().executeTakeFirstOrThrow()
    expect(channel).toMatchObject({ creator: 'usa', genesis_id: genesis.id, status: 'invited' })
    expect(await readHeads(database.db, CHANNEL)).toEqual({ usa: { seq: 1, id: genesis.id } })
  })

  it('activates the invitation when the hosted member joins', async () => {
    const genesis = await create()
    await deliver(database.db, genesis, ctx)
    const join = await rus.next(
      CHANNEL,
      'channel.join',
      { accepts: genesis.id },
      {
        heads: { usa: genesis },
      },
    )
    expect(await deliver(database.db, join, ctx)).toMatchObject({ status: 'stored' })
    const channel = await database.db.selectFrom('channels').select('status').executeTakeFirst()
    expect(channel?.status).toBe('active')
    const members = await database.db
      .selectFrom('channel_members')
      .select(['party', 'role', 'joined_seq'])
      .orderBy('party')
      .execute()
    expect(members).toEqual([
      { party: 'rus', role: 'member', joined_seq: 1 },
      { party: 'usa', role: 'member', joined_seq: 1 },
    ])
  })

  it('rejects a channel in which no hosted party takes part', async () => {
    const genesis = await usa.next(CHANNEL, 'channel.create', {
      title: 'Not ours',
      members: ['usa', 'chn'],
      observers: [],
    })
    expect(await deliver(database.db, genesis, ctx)).toMatchObject({
      status: 'rejected',
      code: 'CHANNEL_NOT_HOSTED',
    })
    expect(await count('events')).toBe(0)
  })

  it('keeps an event after a gap pending and applies the chain in seq order once it fills', async () => {
    const events = [await create()]
    for (let i = 2; i <= 5; i++) events.push(await usa.next(CHANNEL, 'message.post', post(`m${i}`)))
    await deliver(database.db, events[0], ctx)

    expect(await deliver(database.db, events[4]!, ctx)).toEqual({
      status: 'pending',
      id: events[4]!.id,
      need: { channel: CHANNEL, author: 'usa', fromSeq: 2 },
    })
    expect(await deliver(database.db, events[2]!, ctx)).toMatchObject({ status: 'pending' })
    expect(await deliver(database.db, events[3]!, ctx)).toMatchObject({ status: 'pending' })
    expect(await count('pending_events')).toBe(3)
    expect(await readHeads(database.db, CHANNEL)).toEqual({ usa: { seq: 1, id: events[0]!.id } })

    const filled = await deliver(database.db, events[1]!, ctx)
    expect(filled.status).toBe('stored')
    expect(filled.status === 'stored' && filled.applied.map((e) => e.event.seq)).toEqual([3, 4, 5])
    expect(await count('pending_events')).toBe(0)
    const rows = await database.db
      .selectFrom('events')
      .select(['seq'])
      .orderBy('position')
      .execute()
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3, 4, 5])
  })

  it('waits with an event of a channel it does not know yet until the channel.create arrives', async () => {
    const hostsChn = { ...ctx, hosted: ['chn'] }
    const genesis = await create(['usa', 'rus', 'chn'])
    const join = await rus.next(
      CHANNEL,
      'channel.join',
      { accepts: genesis.id },
      {
        heads: { usa: genesis },
      },
    )
    expect(await deliver(database.db, join, hostsChn)).toMatchObject({
      status: 'pending',
      need: { channel: CHANNEL, author: 'usa', fromSeq: 1 },
    })
    const created = await deliver(database.db, genesis, hostsChn)
    expect(created.status === 'stored' && created.applied.map((e) => e.id)).toEqual([join.id])
    expect(await readHeads(database.db, CHANNEL)).toEqual({
      usa: { seq: 1, id: genesis.id },
      rus: { seq: 1, id: join.id },
    })
  })

  it('keeps both signed events of a fork as proof, raises one alarm, and stores neither twice', async () => {
    const genesis = await create()
    const honest = await usa.next(CHANNEL, 'message.post', post('we agree'))
    const fork = await usa.next(CHANNEL, 'message.post', post('we never agreed'), { seq: 2 })
    await deliver(database.db, genesis, ctx)
    await deliver(database.db, honest, ctx)

    const result = await deliver(database.db, fork, ctx)
    expect(result).toMatchObject({ status: 'rejected', code: 'EQUIVOCATION', id: fork.id })
    expect(await deliver(database.db, fork, ctx)).toMatchObject({ code: 'EQUIVOCATION' })

    const proofs = await channelEquivocations(database.db, CHANNEL)
    expect(proofs).toHaveLength(1)
    const pair = [proofs[0]!.proof.a, proofs[0]!.proof.b]
    expect(pair).toContainEqual({ event: honest.event, sig: honest.sig })
    expect(pair).toContainEqual({ event: fork.event, sig: fork.sig })
    const alarms = await openAlarms(database.db)
    expect(alarms).toMatchObject([{ kind: 'equivocation', channel: CHANNEL, party: 'usa' }])
    expect(await readLog(database.db, CHANNEL, 'usa', 1)).toHaveLength(2)
  })

  it('raises an alarm when a peer claims a different log for a hosted party', async () => {
    const genesis = await create()
    await deliver(database.db, genesis, ctx)
    const join = await rus.next(
      CHANNEL,
      'channel.join',
      { accepts: genesis.id },
      {
        heads: { usa: genesis },
      },
    )
    await deliver(database.db, join, ctx)
    const forged = { ...join, id: 'f'.repeat(64) }
    const claim = await usa.next(CHANNEL, 'message.post', post('you said yes'), {
      heads: { rus: forged },
    })
    expect(await deliver(database.db, claim, ctx)).toMatchObject({
      status: 'rejected',
      code: 'HEADS_CONFLICT',
    })
    expect(await openAlarms(database.db)).toMatchObject([{ kind: 'heads_conflict', party: 'usa' }])
    expect(await count('events')).toBe(2)
  })

  it('rejects an event from a non-member and writes nothing at all', async () => {
    const genesis = await create()
    await deliver(database.db, genesis, ctx)
    const intruder = await chn.next(CHANNEL, 'message.post', post('let me in'), {
      heads: { usa: genesis },
    })
    expect(await deliver(database.db, intruder, ctx)).toMatchObject({
      status: 'rejected',
      code: 'NOT_A_MEMBER',
      id: intruder.id,
    })
    expect(await count('events')).toBe(1)
    expect(await count('pending_events')).toBe(0)
    expect(await count('alarms')).toBe(0)
  })

  it('rejects malformed input with a code instead of throwing', async () => {
    for (const [junk, code] of [
      [null, 'EVENT_MALFORMED'],
      ['text', 'EVENT_MALFORMED'],
      [{ event: {}, sig: 'x' }, 'EVENT_MALFORMED'],
      [{ event: { seq: 1.5 } }, 'NUMBER_NOT_INTEGER'],
    ] as const) {
      expect(await deliver(database.db, junk, ctx), JSON.stringify(junk)).toMatchObject({
        status: 'rejected',
        code,
      })
    }
    expect(await count('events')).toBe(0)
  })

  it('rolls the event back when work in its transaction fails', async () => {
    const genesis = await create()
    const failing: AppendContext = {
      ...ctx,
      onStored: async () => {
        throw new Error('outbox unavailable')
      },
    }
    await expect(deliver(database.db, genesis, failing)).rejects.toThrow('outbox unavailable')
    expect(await count('events')).toBe(0)
    expect(await database.db.selectFrom('channels').selectAll().execute()).toEqual([])
  })

  it('stores each event of a chain exactly once when many appends race', async () => {
    const events = [await create()]
    for (let i = 2; i <= 24; i++)
      events.push(await usa.next(CHANNEL, 'message.post', post(`m${i}`)))
    // Every event three times, in a scrambled order, all at once.
    const deliveries = [...events, ...events, ...events].sort((a, b) => a.sig.localeCompare(b.sig))
    const results = await Promise.all(deliveries.map((e) => deliver(database.db, e, ctx)))
    // Each event is reported stored exactly once: by its own call, or by the call that
    // filled the gap it waited behind.
    const stored = results.flatMap((result) => [
      ...(result.status === 'stored' ? [result.id] : []),
      ...('applied' in result ? (result.applied ?? []).map((e) => e.id) : []),
    ])
    expect(stored.sort()).toEqual(events.map((e) => e.id).sort())
    expect(results.every((result) => result.status !== 'rejected')).toBe(true)
    const log = await readLog(database.db, CHANNEL, 'usa', 1)
    expect(log.map((e) => e.sig)).toEqual(events.map((e) => e.sig))
    expect(await count('pending_events')).toBe(0)
  })

  it('lets exactly one of two racing forks in, and keeps the other as proof', async () => {
    const events = [await create()]
    for (let i = 2; i <= 4; i++) events.push(await usa.next(CHANNEL, 'message.post', post(`m${i}`)))
    const rival = await usa.next(CHANNEL, 'message.post', post('rival'), { seq: 4 })
    for (const e of events.slice(0, 3)) await deliver(database.db, e, ctx)
    const results = await Promise.all(
      [events[3]!, rival, events[3]!, rival].map((e) => deliver(database.db, e, ctx)),
    )
    const codes = results.map((r) => (r.status === 'rejected' ? r.code : r.status)).sort()
    expect(codes).toEqual(['EQUIVOCATION', 'EQUIVOCATION', 'duplicate', 'stored'])
    expect(await count('events')).toBe(4)
    expect(await count('equivocations')).toBe(1)
    expect(await openAlarms(database.db)).toHaveLength(1)
  })

  it('serializes concurrent local posts of one party into one chain', async () => {
    const genesis = await create()
    await deliver(database.db, genesis, ctx)
    const joined = await appendLocalEvent(
      database.db,
      { channel: CHANNEL, author: 'rus', type: 'channel.join', body: { accepts: genesis.id } },
      rus.party.signer,
      ctx,
    )
    expect(joined).toMatchObject({ status: 'stored' })
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        appendLocalEvent(
          database.db,
          { channel: CHANNEL, author: 'rus', type: 'message.post', body: post(`r${i}`) },
          rus.party.signer,
          ctx,
        ),
      ),
    )
    expect(results.every((result) => result.status === 'stored')).toBe(true)
    const log = await readLog(database.db, CHANNEL, 'rus', 1)
    expect(log.map((e) => e.event.seq)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1))
    for (let i = 1; i < log.length; i++) {
      expect(log[i]!.event.heads).toEqual({ usa: { seq: 1, id: genesis.id } })
    }
    expect(await count('equivocations')).toBe(0)
  })

  it('refuses a local draft the protocol would refuse, storing nothing', async () => {
    const genesis = await create()
    await deliver(database.db, genesis, ctx)
    const result = await appendLocalEvent(
      database.db,
      { channel: CHANNEL, author: 'rus', type: 'message.post', body: { text: '' } as never },
      rus.party.signer,
      ctx,
    )
    expect(result).toMatchObject({ status: 'rejected', code: 'EVENT_MALFORMED' })
    expect(await count('events')).toBe(1)
  })

  it('moves an event after what it cites when the cited event arrives later, its successors too', async () => {
    const genesis = await create()
    const join = await rus.next(
      CHANNEL,
      'channel.join',
      { accepts: genesis.id },
      {
        heads: { usa: genesis },
        time: T0 + 5000,
      },
    )
    const usa2 = await usa.next(CHANNEL, 'message.post', post('anyone?'), { time: T0 + 9000 })
    // rus's clock runs behind: it answers usa2 at 7 s, and posts again at 7.5 s.
    const rus2 = await rus.next(CHANNEL, 'message.post', post('here'), {
      heads: { usa: usa2 },
      time: T0 + 7000,
    })
    const rus3 = await rus.next(CHANNEL, 'message.post', post('still here'), { time: T0 + 7500 })
    const usa3 = await usa.next(CHANNEL, 'message.post', post('in between'), { time: T0 + 9000 })
    // rus's answers arrive before the post they answer.
    for (const e of [genesis, join, rus2, rus3, usa2, usa3]) await deliver(database.db, e, ctx)
    const order = (await channelTimeline(database.db, CHANNEL)).map((e) => e.id)
    expect(order).toEqual([genesis.id, join.id, usa2.id, usa3.id, rus2.id, rus3.id])
  })

  it('orders a timeline the same on nodes that received events in different orders', async () => {
    const genesis = await create()
    const join = await rus.next(
      CHANNEL,
      'channel.join',
      { accepts: genesis.id },
      {
        heads: { usa: genesis },
        time: T0 + 5000,
      },
    )
    // usa posts later by the clock but without having seen rus's join; rus answers it.
    const usa2 = await usa.next(CHANNEL, 'message.post', post('anyone?'), { time: T0 + 9000 })
    const rus2 = await rus.next(CHANNEL, 'message.post', post('here'), {
      heads: { usa: usa2 },
      time: T0 + 7000,
    })
    const other = await testDatabase()
    try {
      await pinAll(other)
      for (const e of [genesis, join, usa2, rus2]) await deliver(database.db, e, ctx)
      for (const e of [genesis, usa2, join, rus2]) await deliver(other.db, e, ctx)
      const a = (await channelTimeline(database.db, CHANNEL)).map((e) => e.id)
      const b = (await channelTimeline(other.db, CHANNEL)).map((e) => e.id)
      expect(a).toEqual(b)
      // rus2 (7 s) cites usa2 (9 s), so causality puts it after usa2 despite its time.
      expect(a).toEqual([genesis.id, join.id, usa2.id, rus2.id])
    } finally {
      await other.close()
    }

    async function pinAll(target: Database) {
      for (const author of [usa, rus, chn]) {
        const { id, publicKey } = author.party
        await pinPartyKeys(
          target.db,
          id,
          id,
          [{ id: `${id}#1`, publicKey, validFrom: 0, validUntil: null }],
          {
            now: T0,
          },
        )
      }
    }
  })

  it('stores a verified receipt with each event it covers, and refuses a forged one', async () => {
    const genesis = await create()
    await deliver(database.db, genesis, ctx)
    const receipt = await signReceipt(
      { events: [genesis.id], by: 'rus', receivedAt: T0 + 1000 },
      rus.party.signer,
    )
    const first = await storeReceipt(database.db, receipt, { ...ctx, now: T0 + 2000 })
    expect(first).toMatchObject({ ok: true, duplicate: false })
    expect(await storeReceipt(database.db, receipt, { ...ctx, now: T0 + 3000 })).toMatchObject({
      ok: true,
      duplicate: true,
    })
    expect(await receiptsFor(database.db, genesis.id)).toEqual([receipt])

    const forged = { ...receipt, receipt: { ...receipt.receipt, receivedAt: T0 + 1 } }
    expect(await storeReceipt(database.db, forged, { ...ctx, now: T0 })).toMatchObject({
      ok: false,
      code: 'RECEIPT_INVALID',
    })
    const byUsa = { ...receipt, receipt: { ...receipt.receipt, by: 'usa', key: 'rus#1' } }
    expect(await storeReceipt(database.db, byUsa, { ...ctx, now: T0 })).toMatchObject({ ok: false })
  })

  it('refuses to re-pin a key id with another public key', async () => {
    const { publicKey } = await generateKeyPair()
    await expect(
      pinPartyKeys(
        database.db,
        'usa',
        'USA',
        [{ id: 'usa#1', publicKey, validFrom: 0, validUntil: null }],
        {
          now: T0,
        },
      ),
    ).rejects.toMatchObject({ code: 'KEY_PIN_CONFLICT' })
  })

  it('keeps the log append-only for stored events', async () => {
    const genesis = await create()
    await deliver(database.db, genesis, ctx)
    await expect(
      database.db.updateTable('events').set({ raw: '{}' }).where('id', '=', genesis.id).execute(),
    ).rejects.toThrow(/append-only/)
    await expect(sql`delete from events`.execute(database.db)).rejects.toThrow(/append-only/)
    expect(await readLog(database.db, CHANNEL, 'usa', 1)).toHaveLength(1)
  })

  it('reads a log page from a seq with a limit', async () => {
    const events = [await create()]
    for (let i = 2; i <= 6; i++) events.push(await usa.next(CHANNEL, 'message.post', post(`m${i}`)))
    for (const e of events) await deliver(database.db, e, ctx)
    const page = await readLog(database.db, CHANNEL, 'usa', 3, 2)
    expect(page.map((e) => e.event.seq)).toEqual([3, 4])
    expect(await readLog(database.db, OTHER_CHANNEL, 'usa', 1)).toEqual([])
  })
  /** A conversation as the rus node holds it: usa's channel, rus's join, talk both ways. */
  async function conversation() {
    const genesis = await create()
    await deliver(database.db, genesis, ctx)
    const say = async (draft: { type: Event['type']; body: unknown }) => {
      const result = await appendLocalEvent(
        database.db,
        { channel: CHANNEL, author: 'rus', ...draft } as never,
        rus.party.signer,
        ctx,
      )
      if (result.status !== 'stored') throw new Error(JSON.stringify(result))
      return result
    }
    const join = await say({ type: 'channel.join', body: { accepts: genesis.id } })
    const ask = await say({ type: 'message.post', body: post('Do you confirm the exercise?') })
    const [joinEvent, askEvent] = await Promise.all(
      [join, ask].map(async (r) => ({
        ...(await readLog(database.db, CHANNEL, 'rus', r.event.seq, 1))[0]!,
        id: r.id,
      })),
    )
    const answer = await usa.next(CHANNEL, 'message.post', post('we agree'), {
      heads: { rus: askEvent! },
      time: T0 + 300_000,
    })
    expect(await deliver(database.db, answer, ctx)).toMatchObject({ status: 'stored' })
    // usa's node acknowledges rus's events with one receipt for the batch.
    const receipt = await signReceipt(
      { events: [joinEvent!.id, askEvent!.id], by: 'usa', receivedAt: T0 + 301_000 },
      usa.party.signer,
    )
    expect(await storeReceipt(database.db, receipt, { ...ctx, now: T0 + 302_000 })).toMatchObject({
      ok: true,
    })
    return { genesis, answer }
  }

  async function exportText(): Promise<string> {
    let text = ''
    for await (const line of exportTranscript(database.db, CHANNEL, 'rus', T0 + 900_000))
      text += line
    return text
  }

  const verify = (text: string): Promise<TranscriptReport> => verifyTranscript(text.split('\n'))

  it('exports a transcript that an offline verifier accepts', async () => {
    const { answer } = await conversation()
    const text = await exportText()
    const lines = text.trimEnd().split('\n')
    expect(JSON.parse(lines[0]!)).toMatchObject({
      format: 'parley-transcript/1',
      channel: CHANNEL,
      exportedBy: 'rus',
      parties: { usa: { keys: [{ id: 'usa#1' }] }, rus: { keys: [{ id: 'rus#1' }] } },
    })
    expect(lines.map((line) => JSON.parse(line).kind)).toEqual([
      undefined,
      'event',
      'event',
      'event',
      'event',
      'receipt',
    ])
    const report = await verify(text)
    expect(report.failures).toEqual([])
    expect(report).toMatchObject({ ok: true, events: 4, receipts: 1, equivocations: 0 })
    expect(report.parties.usa?.head).toEqual({ seq: 2, id: answer.id })
    // Exports are reproducible byte for byte.
    expect(await exportText()).toBe(text)
  })

  it('leaves out of a transcript a receipt that also covers another channel', async () => {
    const joins: string[] = []
    for (const channel of [CHANNEL, OTHER_CHANNEL]) {
      const genesis = await usa.next(channel, 'channel.create', {
        title: channel,
        members: ['usa', 'rus'],
        observers: [],
      })
      await deliver(database.db, genesis, ctx)
      const join = await appendLocalEvent(
        database.db,
        { channel, author: 'rus', type: 'channel.join', body: { accepts: genesis.id } },
        rus.party.signer,
        ctx,
      )
      joins.push(join.status === 'stored' ? join.id : '')
    }
    const batch = await signReceipt(
      { events: joins, by: 'usa', receivedAt: T0 + 1000 },
      usa.party.signer,
    )
    expect(await storeReceipt(database.db, batch, { ...ctx, now: T0 + 2000 })).toMatchObject({
      ok: true,
    })
    const text = await exportText()
    expect(text).not.toContain('"kind":"receipt"')
    expect(await verify(text)).toMatchObject({ ok: true, events: 2 })
  })

  it('exports fork proofs, which the verifier reports', async () => {
    const genesis = await create()
    const honest = await usa.next(CHANNEL, 'message.post', post('we agree'))
    const fork = await usa.next(CHANNEL, 'message.post', post('we never agreed'), { seq: 2 })
    for (const e of [genesis, honest, fork]) await deliver(database.db, e, ctx)
    const report = await verify(await exportText())
    expect(report.equivocations).toBe(1)
    expect(report.failures.map((failure) => failure.code)).toEqual(['EQUIVOCATION'])
  })

  it('reveals an event altered by a superuser who bypassed the trigger', async () => {
    const { answer } = await conversation()
    await database.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx)
      await sql`update events set raw = replace(raw, 'we agree', 'we refuse') where id = ${answer.id}`.execute(
        trx,
      )
    })
    const stored = await readLog(database.db, CHANNEL, 'usa', 2)
    expect(stored[0]?.event.body).toMatchObject({ text: 'we refuse' })

    const report = await verify(await exportText())
    expect(report.ok).toBe(false)
    expect(report.failures.map((failure) => failure.code)).toContain('SIGNATURE_INVALID')
  })

  it('reveals an event deleted by a superuser who disabled the trigger', async () => {
    await conversation()
    await sql`alter table events disable trigger events_append_only`.execute(database.db)
    try {
      await database.db
        .deleteFrom('events')
        .where('channel', '=', CHANNEL)
        .where('author', '=', 'rus')
        .where('seq', '=', 1)
        .execute()
    } finally {
      await sql`alter table events enable trigger events_append_only`.execute(database.db)
    }
    const report = await verify(await exportText())
    expect(report.ok).toBe(false)
    // rus's chain now starts at seq 2, and usa's receipt names an event the export lacks.
    expect(report.failures.map((failure) => failure.code).sort()).toEqual([
      'CHAIN_GAP',
      'RECEIPT_EVENT_MISSING',
    ])
  })
})
