import canonicalize from 'canonicalize'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { utf8 } from './bytes.ts'
import { canonicalJson } from './canonical-json.ts'
import { domainMessage, generateKeyPair, sign } from './crypto.ts'
import type { ProtocolErrorCode } from './errors.ts'
import { createEvent, type EventFields, type Signer } from './event.ts'
import type { BodyOf, EventType, PartyKey, SignedEvent } from './schemas.ts'
import { domains } from './signing.ts'
import {
  authenticateEvent,
  type ChainHead,
  type ChannelFacts,
  type Checked,
  channelFactsOf,
  checkPlacement,
  checkSignedEvent,
  MAX_CLOCK_SKEW_MS,
  type ReceiverView,
  type StoredEventFacts,
  type Validation,
  validateEvent,
} from './validate.ts'

const CH = 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YZ'
const ELSEWHERE = 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YA'
const T0 = 1_764_277_200_000
const HOUR = 3_600_000
const UNKNOWN_ID = 'f'.repeat(64)

const signers: Record<string, Signer> = {}
const pinned: Record<string, PartyKey[]> = {}

beforeAll(async () => {
  for (const party of ['usa', 'rus', 'osce', 'chn', 'fra']) {
    const pair = await generateKeyPair()
    signers[party] = { keyId: `${party}#1`, privateKey: pair.privateKey }
    pinned[party] = [
      { id: `${party}#1`, publicKey: pair.publicKey, validFrom: 0, validUntil: null },
    ]
  }
  // usa#2 is pinned but only valid from T0 + 1 h; rus#2 expired at T0.
  for (const [party, validFrom, validUntil] of [
    ['usa', T0 + HOUR, null],
    ['rus', 0, T0],
  ] as const) {
    const pair = await generateKeyPair()
    signers[`${party}#2`] = { keyId: `${party}#2`, privateKey: pair.privateKey }
    pinned[party]!.push({ id: `${party}#2`, publicKey: pair.publicKey, validFrom, validUntil })
  }
})

const createBody: BodyOf<'channel.create'> = {
  title: 'USA–RUS cyber working group',
  members: ['usa', 'rus'],
  observers: ['osce', 'chn'],
  policy: {
    languages: ['en', 'ru'],
    ackWithin: { routine: 86_400_000, priority: HOUR, flash: 600_000 },
    respondWithin: 3 * 86_400_000,
    rapporteur: 'osce',
    release: { twoPersonRule: ['notice.open'], flashExempt: true },
  },
}

const post = (text = 'Ping test.'): BodyOf<'message.post'> => ({
  text,
  lang: 'en',
  urgency: 'routine',
  tlp: 'green',
})

const notice: BodyOf<'notice.open'> = {
  kind: 'incident',
  subject: 'Scanning of grid operators',
  lang: 'en',
  urgency: 'priority',
  tlp: 'amber',
}

const draft: BodyOf<'draft.create'> = {
  title: 'Joint statement',
  lang: 'en',
  paragraphs: [{ id: 'p1', alternatives: [{ id: 'p1.a', text: 'The Parties affirm…' }] }],
}

/** An in-memory receiver: the smallest thing that answers a ReceiverView honestly. */
class Receiver {
  now = T0 + HOUR
  hosted: string[]
  channel: ChannelFacts | undefined
  logs = new Map<string, Checked[]>()
  byId = new Map<string, Checked>()
  withSeq = true

  constructor(hosted: string[]) {
    this.hosted = hosted
  }

  view(): ReceiverView {
    return {
      now: this.now,
      keys: (party) => pinned[party] ?? [],
      channel: this.channel,
      head: (author): ChainHead | undefined => {
        const last = this.logs.get(author)?.at(-1)
        return last && { seq: last.event.seq, id: last.id, time: last.event.time }
      },
      idAt: (author, seq) => this.logs.get(author)?.[seq - 1]?.id,
      event: (id): StoredEventFacts | undefined => {
        const found = this.byId.get(id)
        if (found === undefined) return undefined
        const { author, type, channel, body, seq } = found.event
        return this.withSeq ? { author, type, channel, body, seq } : { author, type, channel, body }
      },
      hosted: this.hosted,
    }
  }

  /** Signs the next event of `party` as an honest author holding what this receiver holds. */
  async next<T extends EventType>(
    party: string,
    type: T,
    body: BodyOf<T>,
    overrides: Partial<Record<keyof EventFields, unknown>> & { signer?: Signer } = {},
  ): Promise<SignedEvent> {
    const { signer = signers[party]!, ...fields } = overrides
    const last = this.logs.get(party)?.at(-1)
    const heads: Record<string, { seq: number; id: string }> = {}
    for (const [author, log] of this.logs) {
      if (author !== party && log.length > 0) {
        heads[author] = { seq: log.length, id: log.at(-1)!.id }
      }
    }
    const { event, sig } = await createEvent(
      {
        channel: CH,
        author: party,
        seq: (last?.event.seq ?? 0) + 1,
        prev: last?.id ?? null,
        heads,
        time: Math.max(T0, last?.event.time ?? 0),
        type,
        body,
        ...fields,
      } as EventFields,
      signer,
    )
    return { event, sig }
  }

  async validate(signed: unknown): Promise<Validation> {
    return validateEvent(signed, this.view())
  }

  /** Validates and stores; fails the test if the event is rejected. */
  async accept(signed: SignedEvent): Promise<Checked> {
    const result = await this.validate(signed)
    if (!result.ok) throw new Error(`rejected ${result.code}: ${result.message}`)
    const checked = { event: result.event, sig: result.sig, id: result.id }
    if (!result.duplicate) this.store(checked)
    return checked
  }

  store(checked: Checked): void {
    const log = this.logs.get(checked.event.author) ?? []
    log.push(checked)
    this.logs.set(checked.event.author, log)
    this.byId.set(checked.id, checked)
    if (checked.event.type === 'channel.create') this.channel = channelFactsOf(checked)
  }
}

/** A receiver (hosting rus) holding the channel, joined by rus and both observers. */
async function joined(hosted = ['rus']) {
  const node = new Receiver(hosted)
  const genesis = await node.accept(await node.next('usa', 'channel.create', createBody))
  for (const party of ['rus', 'osce', 'chn']) {
    await node.accept(await node.next(party, 'channel.join', { accepts: genesis.id }))
  }
  return { node, genesis }
}

function expectRejected(result: Validation, code: ProtocolErrorCode, message?: RegExp) {
  expect(result).toMatchObject({ ok: false, code })
  if (message && !result.ok) expect(result.message).toMatch(message)
}

function tampered(signed: SignedEvent): SignedEvent {
  return {
    ...signed,
    event: { ...signed.event, time: signed.event.time + 1 } as SignedEvent['event'],
  }
}

describe('validateEvent: the happy path', () => {
  it('accepts a channel, its joins, and conversation between members', async () => {
    const { node } = await joined()
    const usaPost = await node.accept(await node.next('usa', 'message.post', post()))
    const reply = await node.accept(
      await node.next('rus', 'message.post', { ...post('Received.'), replyTo: usaPost.id }),
    )
    expect(reply.event.seq).toBe(2)
    expect(reply.event.heads.usa).toEqual({ seq: 2, id: usaPost.id })
  })

  it('receipts an event it already holds again, without storing it twice', async () => {
    const { node } = await joined()
    const signed = await node.next('usa', 'message.post', post())
    await node.accept(signed)
    const again = await node.validate(signed)
    expect(again).toMatchObject({ ok: true, duplicate: true, behind: [] })
  })

  it('lists heads entries ahead of what the receiver holds, so the node can pull them', async () => {
    const { node } = await joined()
    const signed = await node.next('rus', 'message.post', post(), {
      heads: {
        usa: { seq: 5, id: UNKNOWN_ID },
        osce: { seq: 1, id: node.logs.get('osce')![0]!.id },
      },
    })
    expect(await node.validate(signed)).toMatchObject({
      ok: true,
      duplicate: false,
      behind: [{ author: 'usa', seq: 5 }],
    })
  })

  it('returns the id of a rejected event once it is well formed', async () => {
    const { node } = await joined()
    const signed = await node.next('fra', 'message.post', post(), { seq: 3 })
    const result = await node.validate(signed)
    expect(result).toMatchObject({ ok: false, code: 'CHAIN_GAP' })
    expect(!result.ok && result.id).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('validateEvent step 1: shape', () => {
  it('rejects a malformed event without throwing', async () => {
    const { node } = await joined()
    expectRejected(await node.validate({ event: { v: 1 }, sig: 'x' }), 'EVENT_MALFORMED')
    expectRejected(await node.validate('not an object'), 'EVENT_MALFORMED')
    const signed = await node.next('usa', 'message.post', post())
    const unknown = { ...signed, event: { ...signed.event, type: 'message.edit' } }
    expectRejected(await node.validate(unknown), 'TYPE_UNKNOWN')
    const float = { ...signed, event: { ...signed.event, time: T0 + 0.5 } }
    expectRejected(await node.validate(float), 'NUMBER_NOT_INTEGER')
    const unsafe = { ...signed, event: { ...signed.event, seq: 2 ** 53 } }
    expectRejected(await node.validate(unsafe), 'NUMBER_OUT_OF_RANGE')
    const large = { ...signed, event: { ...signed.event, body: post('😀'.repeat(17_000)) } }
    expectRejected(await node.validate(large), 'EVENT_TOO_LARGE')
  })

  it('rejects a validly signed event holding U+0000 as STRING_HAS_NUL, before its key', async () => {
    const { node } = await joined()
    const signed = await node.next('usa', 'message.post', post())
    // Signed as a careless implementation would: JCS writes U+0000 as \u0000 and signs it.
    const signRaw = async (event: object) => ({
      event,
      sig: await sign(
        signers.usa!.privateKey,
        domainMessage(domains.event, utf8(canonicalize(event) as string)),
      ),
    })
    const inText = await signRaw({ ...signed.event, body: post('agreed\u0000 not') })
    expectRejected(await node.validate(inText), 'STRING_HAS_NUL', /\$\.event\.body\.text/)
    const inName = await signRaw({
      ...signed.event,
      heads: { 'rus\u0000': signed.event.heads.rus },
    })
    expectRejected(await node.validate(inName), 'STRING_HAS_NUL')
    const stranger = await signRaw({ ...signed.event, key: 'usa#9', body: post('\u0000') })
    expectRejected(await node.validate(stranger), 'STRING_HAS_NUL')
    await expect(checkSignedEvent(inText, (party) => pinned[party] ?? [])).rejects.toMatchObject({
      code: 'STRING_HAS_NUL',
    })
  })

  it('checks the shape before the key: a malformed event from a stranger is EVENT_MALFORMED', async () => {
    const { node } = await joined()
    const signed = await node.next('fra', 'message.post', post())
    const bad = { ...signed, event: { ...signed.event, body: { text: 'hi' } } }
    expectRejected(await node.validate(bad), 'EVENT_MALFORMED')
  })
})

describe('validateEvent step 2: key', () => {
  it('rejects an event signed with a key that is not pinned for its author', async () => {
    const { node } = await joined()
    const signed = await node.next('usa', 'message.post', post(), {
      signer: { keyId: 'usa#7', privateKey: signers.usa!.privateKey },
    })
    expectRejected(await node.validate(signed), 'KEY_UNKNOWN', /usa#7 does not belong to usa/)
  })

  it('rejects an event whose key names another party, even one pinned here', async () => {
    const { node } = await joined()
    const signed = await node.next('usa', 'message.post', post())
    const forged = { ...signed, event: { ...signed.event, key: 'rus#1' } }
    expectRejected(await node.validate(forged), 'KEY_UNKNOWN')
  })

  it('rejects a key used before it became valid or after it expired', async () => {
    const { node } = await joined()
    const early = await node.next('usa', 'message.post', post(), { signer: signers['usa#2'] })
    expectRejected(await node.validate(early), 'KEY_NOT_VALID_AT_TIME')
    const late = await node.next('rus', 'message.post', post(), { signer: signers['rus#2'] })
    expectRejected(await node.validate(late), 'KEY_NOT_VALID_AT_TIME')
    const inTime = await node.next('usa', 'message.post', post(), {
      signer: signers['usa#2'],
      time: T0 + HOUR,
    })
    expect(await node.validate(inTime)).toMatchObject({ ok: true })
  })

  it('keeps a directory entry its signer’s: rus cannot state usa’s points of contact', async () => {
    const { node } = await joined()
    const entry = {
      version: 1,
      contacts: [
        {
          kind: 'technical' as const,
          name: 'Mallory',
          position: 'Duty officer',
          institution: 'CERT',
          email: 'duty@usa.example',
          phone: '+1 202 555 0100',
          languages: ['en'],
          hours: '24/7',
          timeZone: 'America/New_York',
        },
      ],
    }
    // rus's own signed entry relabelled as usa's, or signed with rus's key under usa's key id.
    const signed = await node.next('rus', 'directory.update', entry)
    const { usa: _own, ...heads } = signed.event.heads
    const relabelled = { ...signed, event: { ...signed.event, author: 'usa', heads } }
    expectRejected(await node.validate(relabelled), 'KEY_UNKNOWN')
    const underUsaKeyId = await node.next('usa', 'directory.update', entry, {
      signer: { keyId: 'usa#1', privateKey: signers.rus!.privateKey },
    })
    expectRejected(await node.validate(underUsaKeyId), 'SIGNATURE_INVALID')
    const own = await node.accept(await node.next('rus', 'directory.update', entry))
    expect(own.event.author).toBe('rus')
  })

  it('treats an event from a party whose keys are unknown here as KEY_UNKNOWN', async () => {
    const { node } = await joined()
    const signed = await node.next('usa', 'message.post', post())
    const stranger = { ...signed, event: { ...signed.event, author: 'gbr', key: 'gbr#1' } }
    expectRejected(await node.validate(stranger), 'KEY_UNKNOWN')
  })
})

describe('validateEvent step 3: signature', () => {
  it('rejects an event changed after signing', async () => {
    const { node } = await joined()
    const signed = await node.next('usa', 'message.post', post())
    const changed = { ...signed, event: { ...signed.event, body: post('Changed.') } }
    expectRejected(await node.validate(changed), 'SIGNATURE_INVALID')
  })

  it('rejects a signature made by another key', async () => {
    const { node } = await joined()
    const signed = await node.next('usa', 'message.post', post(), {
      signer: { keyId: 'usa#1', privateKey: signers.rus!.privateKey },
    })
    expectRejected(await node.validate(signed), 'SIGNATURE_INVALID')
  })

  it('checks the signature before the chain: a forged event that is also a gap is SIGNATURE_INVALID', async () => {
    const { node } = await joined()
    const gap = await node.next('usa', 'message.post', post(), { seq: 9 })
    expectRejected(await node.validate(gap), 'CHAIN_GAP')
    expectRejected(await node.validate(tampered(gap)), 'SIGNATURE_INVALID')
  })

  it('checks the signature before equivocation, so nobody can frame an author', async () => {
    const { node, genesis } = await joined()
    const reused = {
      event: { ...genesis.event, body: { ...createBody, title: 'Forged' } },
      sig: genesis.sig,
    }
    expectRejected(await node.validate(reused), 'SIGNATURE_INVALID')
  })
})

describe('validateEvent step 4: chain', () => {
  it('rejects a second, different event at a seq it holds, naming the stored one', async () => {
    const { node } = await joined()
    const first = await node.accept(await node.next('usa', 'message.post', post('One.')))
    const fork = await node.next('usa', 'message.post', post('Other.'), {
      seq: first.event.seq,
      prev: first.event.prev,
    })
    const result = await node.validate(fork)
    expectRejected(result, 'EQUIVOCATION', /usa signed two different events with seq 2/)
    expect(result).toMatchObject({ conflict: { id: first.id } })
  })

  it('asks for the missing events when a seq is skipped', async () => {
    const { node } = await joined()
    const ahead = await node.next('usa', 'message.post', post(), { seq: 4 })
    expect(await node.validate(ahead)).toMatchObject({
      ok: false,
      code: 'CHAIN_GAP',
      need: { channel: CH, author: 'usa', fromSeq: 2 },
    })
  })

  it('asks for a whole log when it has nothing from the author yet', async () => {
    const node = new Receiver(['rus'])
    const later = await node.next('usa', 'message.post', post(), { seq: 3, prev: UNKNOWN_ID })
    expect(await node.validate(later)).toMatchObject({
      code: 'CHAIN_GAP',
      need: { author: 'usa', fromSeq: 1 },
    })
  })

  it('rejects an event whose prev is not the id of the author’s previous event', async () => {
    const { node } = await joined()
    const wrong = await node.next('usa', 'message.post', post(), { prev: UNKNOWN_ID })
    expectRejected(await node.validate(wrong), 'CHAIN_PREV_MISMATCH')
    const missing = await node.next('usa', 'message.post', post(), { prev: null })
    expectRejected(await node.validate(missing), 'CHAIN_PREV_MISMATCH')
  })

  it('rejects a first event with a prev', async () => {
    const node = new Receiver(['rus'])
    const first = await node.next('usa', 'channel.create', createBody, { prev: UNKNOWN_ID })
    expectRejected(await node.validate(first), 'CHAIN_PREV_MISMATCH')
  })
})

describe('validateEvent step 5: time', () => {
  it('rejects an event earlier than the author’s previous one', async () => {
    const { node } = await joined()
    await node.accept(await node.next('usa', 'message.post', post(), { time: T0 + 1000 }))
    const back = await node.next('usa', 'message.post', post(), { time: T0 + 999 })
    expectRejected(await node.validate(back), 'TIME_INVALID', /earlier than usa’s previous event/)
    const same = await node.next('usa', 'message.post', post(), { time: T0 + 1000 })
    expect(await node.validate(same)).toMatchObject({ ok: true })
  })

  it('accepts up to 5 minutes of clock skew and no more', async () => {
    const { node } = await joined()
    const edge = await node.next('usa', 'message.post', post(), {
      time: node.now + MAX_CLOCK_SKEW_MS,
    })
    expect(await node.validate(edge)).toMatchObject({ ok: true })
    const ahead = await node.next('usa', 'message.post', post(), {
      time: node.now + MAX_CLOCK_SKEW_MS + 1,
    })
    expectRejected(await node.validate(ahead), 'TIME_INVALID', /ahead of the receiver’s clock/)
  })

  it('checks the chain before the time', async () => {
    const { node } = await joined()
    const both = await node.next('usa', 'message.post', post(), {
      seq: 5,
      time: node.now + 10 * HOUR,
    })
    expectRejected(await node.validate(both), 'CHAIN_GAP')
  })
})

describe('validateEvent step 6: channel.create', () => {
  it('opens a channel unknown to the receiver', async () => {
    const node = new Receiver(['rus'])
    const genesis = await node.next('usa', 'channel.create', createBody)
    expect(await node.validate(genesis)).toMatchObject({ ok: true, duplicate: false, behind: [] })
  })

  it.each([
    [
      { ...createBody, members: ['rus', 'chn'], observers: [] },
      /creator must be among the members/,
    ],
    [{ ...createBody, members: ['usa'] }, /at least 2 members/],
    [{ ...createBody, observers: ['rus'] }, /rus is listed as both member and observer/],
    [
      { ...createBody, policy: { ...createBody.policy!, rapporteur: 'fra' } },
      /rapporteur fra is neither a member nor an observer/,
    ],
  ])('rejects a channel.create with impossible membership (%#)', async (body, message) => {
    const node = new Receiver(['rus'])
    const genesis = await node.next('usa', 'channel.create', body)
    expectRejected(await node.validate(genesis), 'FORBIDDEN_FOR_TYPE', message)
  })

  it('rejects a channel.create that carries heads', async () => {
    const node = new Receiver(['rus'])
    const genesis = await node.next('usa', 'channel.create', createBody, {
      heads: { rus: { seq: 1, id: UNKNOWN_ID } },
    })
    expectRejected(await node.validate(genesis), 'FORBIDDEN_FOR_TYPE', /empty heads/)
  })

  it('rejects a channel.create that is not the creator’s first event', async () => {
    const { node } = await joined()
    const again = await node.next('usa', 'channel.create', createBody)
    expectRejected(await node.validate(again), 'FORBIDDEN_FOR_TYPE', /only its creator’s first/)
  })

  it('rejects a second creator for a channel that exists', async () => {
    const { node } = await joined()
    const rival = await node.next('fra', 'channel.create', {
      ...createBody,
      members: ['fra', 'rus'],
    })
    expectRejected(await node.validate(rival), 'FORBIDDEN_FOR_TYPE', /already created by usa/)
  })
})

describe('validateEvent step 6: joining', () => {
  it('asks for the channel when a join arrives before the channel.create', async () => {
    const genesisNode = new Receiver([])
    const genesis = await genesisNode.accept(
      await genesisNode.next('usa', 'channel.create', createBody),
    )
    const join = await genesisNode.next('rus', 'channel.join', { accepts: genesis.id })
    const fresh = new Receiver(['osce'])
    expect(await fresh.validate(join)).toMatchObject({
      ok: false,
      code: 'CHANNEL_UNKNOWN',
      need: { channel: CH, author: 'usa', fromSeq: 1 },
    })
  })

  it('rejects a join by a party that was not invited', async () => {
    const { node, genesis } = await joined()
    const join = await node.next('fra', 'channel.join', { accepts: genesis.id })
    expectRejected(await node.validate(join), 'NOT_A_MEMBER', /fra is not a member of channel/)
  })

  it('rejects a join that accepts another genesis', async () => {
    const node = new Receiver(['rus'])
    await node.accept(await node.next('usa', 'channel.create', createBody))
    const join = await node.next('rus', 'channel.join', { accepts: UNKNOWN_ID })
    expectRejected(await node.validate(join), 'FORBIDDEN_FOR_TYPE', /not the channel’s genesis/)
  })

  it('rejects a join without the creator’s head', async () => {
    const node = new Receiver(['rus'])
    const genesis = await node.accept(await node.next('usa', 'channel.create', createBody))
    const join = await node.next('rus', 'channel.join', { accepts: genesis.id }, { heads: {} })
    expectRejected(await node.validate(join), 'FORBIDDEN_FOR_TYPE', /creator’s \(usa\) head/)
  })

  it('rejects a join by the creator or a second join', async () => {
    const { node, genesis } = await joined()
    const creator = await node.next('usa', 'channel.join', { accepts: genesis.id })
    expectRejected(await node.validate(creator), 'FORBIDDEN_FOR_TYPE', /creator does not join/)
    const twice = await node.next('rus', 'channel.join', { accepts: genesis.id })
    expectRejected(await node.validate(twice), 'FORBIDDEN_FOR_TYPE', /joiner’s first event/)
  })

  it('rejects anything but a join as a member’s first event', async () => {
    const node = new Receiver(['rus'])
    await node.accept(await node.next('usa', 'channel.create', createBody))
    const early = await node.next('rus', 'message.post', post())
    expectRejected(await node.validate(early), 'FORBIDDEN_FOR_TYPE', /first event .* channel.join/)
  })
})

describe('validateEvent step 6: who may send what', () => {
  it('rejects a post by an outsider as NOT_A_MEMBER', async () => {
    const { node } = await joined()
    const intrusion = await node.next('fra', 'message.post', post())
    expectRejected(await node.validate(intrusion), 'NOT_A_MEMBER', /fra is not a member/)
  })

  it('lets observers only join', async () => {
    const { node } = await joined()
    const talk = await node.next('chn', 'message.post', post())
    expectRejected(await node.validate(talk), 'FORBIDDEN_FOR_TYPE', /observers only join/)
  })

  it('lets an observing rapporteur propose text and nothing else', async () => {
    const { node } = await joined()
    const created = await node.accept(await node.next('usa', 'draft.create', draft))
    const proposal = await node.next('osce', 'draft.propose', {
      draft: created.id,
      paragraphs: [{ id: 'p1', alternatives: [{ id: 'p1.b', text: 'The Parties recall…' }] }],
    })
    expect(await node.validate(proposal)).toMatchObject({ ok: true })
    const accept = await node.next('osce', 'draft.accept', {
      draft: created.id,
      choices: [{ paragraph: 'p1', alternative: 'p1.a' }],
    })
    expectRejected(
      await node.validate(accept),
      'FORBIDDEN_FOR_TYPE',
      /rapporteur may send draft.propose only/,
    )
    const adopt = await node.next('chn', 'draft.adopt', {
      draft: created.id,
      contentHash: UNKNOWN_ID,
    })
    expectRejected(await node.validate(adopt), 'FORBIDDEN_FOR_TYPE', /observers only join/)
  })

  it('lets members other than the opener acknowledge a notice, and only the opener close it', async () => {
    const { node } = await joined()
    const opened = await node.accept(await node.next('usa', 'notice.open', notice))
    const selfAck = await node.next('usa', 'notice.ack', { notice: opened.id })
    expectRejected(
      await node.validate(selfAck),
      'FORBIDDEN_FOR_TYPE',
      /opener does not acknowledge/,
    )
    await node.accept(await node.next('rus', 'notice.ack', { notice: opened.id }))
    await node.accept(
      await node.next('rus', 'notice.reply', {
        notice: opened.id,
        text: 'On it.',
        lang: 'en',
        tlp: 'amber',
      }),
    )
    const closeByOther = await node.next('rus', 'notice.close', {
      notice: opened.id,
      resolution: 'Done.',
    })
    expectRejected(
      await node.validate(closeByOther),
      'FORBIDDEN_FOR_TYPE',
      /only usa, who opened it/,
    )
    await node.accept(
      await node.next('usa', 'notice.close', { notice: opened.id, resolution: 'Done.' }),
    )
  })

  it('rejects an acknowledgment of something that is not a notice', async () => {
    const { node } = await joined()
    const message = await node.accept(await node.next('usa', 'message.post', post()))
    const ack = await node.next('rus', 'notice.ack', { notice: message.id })
    expectRejected(
      await node.validate(ack),
      'FORBIDDEN_FOR_TYPE',
      /is a message.post, not a notice.open/,
    )
  })

  it('waits for a referenced notice that the author’s heads show it holds', async () => {
    const { node } = await joined()
    const usaNode = new Receiver(['usa'])
    for (const log of node.logs.values()) for (const checked of log) usaNode.store(checked)
    const opened = await usaNode.accept(await usaNode.next('usa', 'notice.open', notice))
    const ack = await usaNode.next('rus', 'notice.ack', { notice: opened.id })
    // This receiver has not seen usa's notice yet; rus's heads say it exists.
    expect(await node.validate(ack)).toMatchObject({
      ok: false,
      code: 'EVENT_REFERENCE_UNKNOWN',
      need: { channel: CH, author: 'usa', fromSeq: opened.event.seq },
    })
  })

  it('rejects a reference to an event that nobody could hold', async () => {
    const { node } = await joined()
    const ack = await node.next('rus', 'notice.ack', { notice: UNKNOWN_ID })
    expectRejected(
      await node.validate(ack),
      'FORBIDDEN_FOR_TYPE',
      /is not an event of this channel/,
    )
  })

  it('rejects a reference the author’s own heads do not cover, so every node decides alike', async () => {
    const { node, genesis } = await joined()
    const opened = await node.accept(await node.next('usa', 'notice.open', notice))
    const ack = await node.next(
      'rus',
      'notice.ack',
      { notice: opened.id },
      {
        heads: { usa: { seq: 1, id: genesis.id } },
      },
    )
    expectRejected(await node.validate(ack), 'FORBIDDEN_FOR_TYPE', /not covered by its heads/)
    node.withSeq = false // a view that does not know seqs cannot tell, and lets it pass
    expect(await node.validate(ack)).toMatchObject({ ok: true })
  })

  it('rejects a reference to an event of another channel', async () => {
    const { node } = await joined()
    const elsewhere = await createEvent(
      {
        channel: ELSEWHERE,
        author: 'usa',
        seq: 1,
        prev: null,
        heads: {},
        time: T0,
        type: 'notice.open',
        body: notice,
      },
      signers.usa!,
    )
    node.byId.set(elsewhere.id, elsewhere)
    const ack = await node.next('rus', 'notice.ack', { notice: elsewhere.id })
    expectRejected(await node.validate(ack), 'FORBIDDEN_FOR_TYPE', /belongs to another channel/)
  })

  it('lets only the declaring party revise or withdraw its red line', async () => {
    const { node } = await joined()
    const line = {
      sectors: ['health'],
      title: 'Hospitals',
      text: 'No disruptive operations against hospitals.',
      threshold: 'Any loss of patient care.',
      tlp: 'clear' as const,
    }
    const declared = await node.accept(await node.next('usa', 'redline.declare', line))
    const hijack = await node.next('rus', 'redline.withdraw', { redline: declared.id })
    expectRejected(await node.validate(hijack), 'FORBIDDEN_FOR_TYPE', /only usa, who declared it/)
    await node.accept(
      await node.next('usa', 'redline.revise', {
        redline: declared.id,
        ...line,
        title: 'Healthcare',
      }),
    )
  })

  it('checks drafts, translations and compliance reports refer to the right kind of event', async () => {
    const { node } = await joined()
    const message = await node.accept(await node.next('usa', 'message.post', post()))
    const created = await node.accept(await node.next('usa', 'draft.create', draft))
    await node.accept(
      await node.next('rus', 'message.translate', {
        of: message.id,
        lang: 'ru',
        text: 'Проверка.',
      }),
    )
    await node.accept(
      await node.next('rus', 'draft.accept', {
        draft: created.id,
        choices: [{ paragraph: 'p1', alternative: 'p1.a' }],
      }),
    )
    const wrongDraft = await node.next('rus', 'draft.adopt', {
      draft: message.id,
      contentHash: UNKNOWN_ID,
    })
    expectRejected(await node.validate(wrongDraft), 'FORBIDDEN_FOR_TYPE', /not a draft.create/)
    const report = { agreement: created.id, paragraph: 'p1', assessment: 'compliant' as const }
    await node.accept(await node.next('rus', 'compliance.report', report))
    const badNotice = await node.next('rus', 'compliance.report', { ...report, notice: message.id })
    expectRejected(await node.validate(badNotice), 'FORBIDDEN_FOR_TYPE', /not a notice.open/)
  })
})

describe('validateEvent step 6: forwarding', () => {
  async function original(body: BodyOf<'message.post'>) {
    const { event, sig } = await createEvent(
      {
        channel: ELSEWHERE,
        author: 'chn',
        seq: 1,
        prev: null,
        heads: {},
        time: T0,
        type: 'message.post',
        body,
      },
      signers.chn!,
    )
    return { event, sig }
  }

  it('lets a member forward an original from another channel, unchanged', async () => {
    const { node } = await joined()
    const item = await original(post('Shared with allies.'))
    await node.accept(await node.next('usa', 'forward', { from: ELSEWHERE, items: [item] }))
  })

  it('never forwards TLP:RED or TLP:AMBER+STRICT, even in a nested marking', async () => {
    const { node } = await joined()
    const red = await original({ ...post(), tlp: 'red' })
    const forward = await node.next('usa', 'forward', { from: ELSEWHERE, items: [red] })
    expectRejected(await node.validate(forward), 'FORBIDDEN_FOR_TYPE', /TLP:RED/)
    const { event, sig } = await createEvent(
      {
        channel: ELSEWHERE,
        author: 'chn',
        seq: 2,
        prev: UNKNOWN_ID,
        heads: {},
        time: T0,
        type: 'notice.open',
        body: {
          ...notice,
          tlp: 'green',
          indicators: [{ type: 'ipv4', value: '192.0.2.1', tlp: 'amber+strict' }],
        },
      },
      signers.chn!,
    )
    const nested = await node.next('usa', 'forward', { from: ELSEWHERE, items: [{ event, sig }] })
    expectRejected(await node.validate(nested), 'FORBIDDEN_FOR_TYPE', /TLP:AMBER\+STRICT/)
  })

  it('rejects a forward whose items are not from the channel it names', async () => {
    const { node } = await joined()
    const item = await original(post())
    const same = await node.next('usa', 'forward', { from: CH, items: [item] })
    expectRejected(
      await node.validate(same),
      'FORBIDDEN_FOR_TYPE',
      /forwards from the channel it is sent to/,
    )
    const other = 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YB'
    const mislabelled = await node.next('usa', 'forward', { from: other, items: [item] })
    expectRejected(await node.validate(mislabelled), 'FORBIDDEN_FOR_TYPE', /item 0 is from channel/)
  })
})

describe('validateEvent step 7: heads', () => {
  it('rejects heads that contradict what the receiver holds, naming the stored id', async () => {
    const { node } = await joined()
    const held = await node.accept(await node.next('usa', 'message.post', post()))
    const lie = await node.next('rus', 'message.post', post(), {
      heads: { usa: { seq: held.event.seq, id: UNKNOWN_ID } },
    })
    const result = await node.validate(lie)
    expectRejected(result, 'HEADS_CONFLICT', /heads entry for usa \(seq 2\)/)
    expect(result).toMatchObject({ conflict: { id: held.id } })
  })

  it('treats a claim beyond a hosted party’s own log as a fork', async () => {
    const { node } = await joined(['rus'])
    const claim = await node.next('usa', 'message.post', post(), {
      heads: { rus: { seq: 7, id: UNKNOWN_ID } },
    })
    expectRejected(await node.validate(claim), 'HEADS_CONFLICT', /heads entry for rus \(seq 7\)/)
    const { node: other } = await joined(['chn'])
    const same = await other.next('usa', 'message.post', post(), {
      heads: { rus: { seq: 7, id: UNKNOWN_ID } },
    })
    expect(await other.validate(same)).toMatchObject({
      ok: true,
      behind: [{ author: 'rus', seq: 7 }],
    })
  })

  it('rejects a heads entry for a party outside the channel', async () => {
    const { node } = await joined()
    const signed = await node.next('usa', 'message.post', post(), {
      heads: { fra: { seq: 1, id: UNKNOWN_ID } },
    })
    expectRejected(await node.validate(signed), 'HEADS_INVALID', /fra is not allowed/)
  })

  it('checks authorization before heads', async () => {
    const { node } = await joined()
    const signed = await node.next('chn', 'message.post', post(), {
      heads: { usa: { seq: 1, id: UNKNOWN_ID } },
    })
    expectRejected(await node.validate(signed), 'FORBIDDEN_FOR_TYPE')
  })

  it('checks time before authorization', async () => {
    const { node } = await joined()
    const signed = await node.next('chn', 'message.post', post(), { time: node.now + HOUR })
    expectRejected(await node.validate(signed), 'TIME_INVALID')
  })
})

describe('checkSignedEvent and checkPlacement', () => {
  it('split validation into the crypto half and the synchronous half', async () => {
    const { node } = await joined()
    const signed = await node.next('usa', 'message.post', post())
    const checked = await checkSignedEvent(signed, (party) => pinned[party] ?? [])
    expect(checkPlacement(checked, node.view())).toEqual({ ok: true, duplicate: false, behind: [] })
    await expect(checkSignedEvent(tampered(signed), (p) => pinned[p] ?? [])).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    })
  })

  it('authenticates without throwing, giving the id and the canonical text to store', async () => {
    const { node } = await joined()
    const signed = await node.next('usa', 'message.post', post())
    const keysOf = (party: string) => pinned[party] ?? []
    const checked = await authenticateEvent(JSON.parse(JSON.stringify(signed)), keysOf)
    expect(checked).toMatchObject({ ok: true, id: (await checkSignedEvent(signed, keysOf)).id })
    expect(checked.ok && checked.raw).toBe(canonicalJson({ event: signed.event, sig: signed.sig }))
    const forged = await authenticateEvent(tampered(signed), keysOf)
    expect(forged).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' })
    expect(forged.ok === false && forged.id).toMatch(/^[0-9a-f]{64}$/)
    expect(await authenticateEvent({ event: {} }, keysOf)).toMatchObject({
      ok: false,
      code: 'EVENT_MALFORMED',
    })
  })
})

describe('validateEvent: coverage', () => {
  it('never throws for arbitrary input', async () => {
    const { node } = await joined()
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.anything()), async (value) => {
        const result = await validateEvent(value, node.view())
        expect(result.ok).toBe(false)
      }),
      { numRuns: 200 },
    )
  })

  // Self-contained, so it holds under -t, .only and a shuffled order: one event per code.
  it('reaches every validation code, the §4.4 ones and those this implementation adds', async () => {
    const { node, genesis } = await joined()
    const signed = await node.next('usa', 'message.post', post())
    const withEvent = (fields: object) => ({ ...signed, event: { ...signed.event, ...fields } })
    const held = await node.accept(await node.next('usa', 'message.post', post('Held.')))
    const usaNode = new Receiver(['usa'])
    for (const log of node.logs.values()) for (const checked of log) usaNode.store(checked)
    const opened = await usaNode.accept(await usaNode.next('usa', 'notice.open', notice))
    const genesisOnly = new Receiver([])
    genesisOnly.store(genesis)
    const cases: [ProtocolErrorCode, unknown][] = [
      ['EVENT_MALFORMED', { event: { v: 1 }, sig: 'x' }],
      ['TYPE_UNKNOWN', withEvent({ type: 'message.edit' })],
      ['EVENT_TOO_LARGE', withEvent({ body: post('😀'.repeat(17_000)) })],
      ['NUMBER_NOT_INTEGER', withEvent({ time: T0 + 0.5 })],
      ['NUMBER_OUT_OF_RANGE', withEvent({ seq: 2 ** 53 })],
      [
        'STRING_HAS_NUL',
        {
          event: { ...signed.event, body: post('\u0000') },
          sig: await sign(
            signers.usa!.privateKey,
            domainMessage(
              domains.event,
              utf8(canonicalize({ ...signed.event, body: post('\u0000') }) as string),
            ),
          ),
        },
      ],
      ['KEY_UNKNOWN', withEvent({ key: 'usa#7' })],
      [
        'KEY_NOT_VALID_AT_TIME',
        await node.next('usa', 'message.post', post(), { signer: signers['usa#2'] }),
      ],
      ['SIGNATURE_INVALID', tampered(await node.next('usa', 'message.post', post()))],
      ['CHAIN_GAP', await node.next('usa', 'message.post', post(), { seq: 9 })],
      ['CHAIN_PREV_MISMATCH', await node.next('usa', 'message.post', post(), { prev: null })],
      [
        'EQUIVOCATION',
        await node.next('usa', 'message.post', post('Other.'), {
          seq: held.event.seq,
          prev: held.event.prev,
        }),
      ],
      ['TIME_INVALID', await node.next('usa', 'message.post', post(), { time: T0 - 1 })],
      ['NOT_A_MEMBER', await node.next('fra', 'message.post', post())],
      ['FORBIDDEN_FOR_TYPE', await node.next('chn', 'message.post', post())],
      [
        'HEADS_CONFLICT',
        await node.next('rus', 'message.post', post(), {
          heads: { usa: { seq: held.event.seq, id: UNKNOWN_ID } },
        }),
      ],
      [
        'HEADS_INVALID',
        await node.next('usa', 'message.post', post(), {
          heads: { fra: { seq: 1, id: UNKNOWN_ID } },
        }),
      ],
      ['CHANNEL_UNKNOWN', await genesisOnly.next('rus', 'channel.join', { accepts: genesis.id })],
      ['EVENT_REFERENCE_UNKNOWN', await usaNode.next('rus', 'notice.ack', { notice: opened.id })],
    ]
    const expected: ProtocolErrorCode[] = [
      'EVENT_MALFORMED',
      'TYPE_UNKNOWN',
      'EVENT_TOO_LARGE',
      'NUMBER_NOT_INTEGER',
      'NUMBER_OUT_OF_RANGE',
      'STRING_HAS_NUL',
      'KEY_UNKNOWN',
      'KEY_NOT_VALID_AT_TIME',
      'SIGNATURE_INVALID',
      'CHAIN_GAP',
      'CHAIN_PREV_MISMATCH',
      'EQUIVOCATION',
      'TIME_INVALID',
      'NOT_A_MEMBER',
      'FORBIDDEN_FOR_TYPE',
      'HEADS_CONFLICT',
      'HEADS_INVALID',
      'CHANNEL_UNKNOWN',
      'EVENT_REFERENCE_UNKNOWN',
    ]
    const reached = new Set<ProtocolErrorCode>()
    for (const [code, event] of cases) {
      // The join comes from a node holding only the genesis; a receiver holding nothing gets it.
      const receiver = code === 'CHANNEL_UNKNOWN' ? new Receiver(['osce']) : node
      const result = await receiver.validate(event)
      expect(result, code).toMatchObject({ ok: false, code })
      if (!result.ok) reached.add(result.code)
    }
    expect([...reached].sort()).toEqual([...expected].sort())
  })
})
