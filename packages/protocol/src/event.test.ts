import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodeUtf8, utf8 } from './bytes.ts'
import { canonicalJson } from './canonical-json.ts'
import { generateKeyPair } from './crypto.ts'
import { isProtocolError, type ProtocolErrorCode } from './errors.ts'
import {
  createEvent,
  draftContentHash,
  type EventFields,
  eventSize,
  parseCanonicalSignedEvent,
  parseEvent,
  parseSignedEvent,
  prepareEvent,
  type Signer,
  signPreparedEvent,
} from './event.ts'
import { parseJson } from './json-text.ts'
import {
  type BodyOf,
  EVENT_TYPES,
  type EventType,
  MAX_EVENT_BYTES,
  type PartyKey,
} from './schemas.ts'
import { domains, eventId, verifyObject } from './signing.ts'
import { checkSignedEvent } from './validate.ts'

const CHANNEL = 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YZ'
const OTHER_CHANNEL = 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YA'
const ID_A = 'a'.repeat(64)
const ID_B = 'b'.repeat(64)
const T0 = 1_764_277_200_000

/** A realistic body for every v1 type. */
const samples: { [T in EventType]: BodyOf<T> } = {
  'channel.create': {
    title: 'USA–RUS cyber working group',
    members: ['usa', 'rus'],
    observers: ['osce'],
    policy: {
      languages: ['en', 'ru'],
      ackWithin: { routine: 86_400_000, priority: 3_600_000, flash: 600_000 },
      respondWithin: 259_200_000,
      rapporteur: 'osce',
      release: { twoPersonRule: ['notice.open', 'redline.declare'], flashExempt: true },
    },
  },
  'channel.join': { accepts: ID_A },
  'message.post': {
    text: 'Ping test, please acknowledge.',
    lang: 'en',
    urgency: 'routine',
    tlp: 'green',
    replyTo: ID_B,
    attachments: [{ sha256: ID_A, name: 'pcap.zip', size: 1024, mediaType: 'application/zip' }],
  },
  'message.translate': { of: ID_A, lang: 'ru', text: 'Проверка связи, подтвердите.' },
  'notice.open': {
    kind: 'incident',
    subject: 'Scanning of grid operators from AS64500',
    lang: 'en',
    urgency: 'priority',
    tlp: 'amber',
    summary: 'Sustained scanning of SCADA ports at three transmission operators.',
    sectors: ['energy'],
    severity: 3,
    observedActivity: { description: 'TCP/502 sweeps', from: T0 - 7_200_000, until: T0 },
    requestedAction: 'Investigate and stop the activity from your territory.',
    indicators: [{ type: 'asn', value: 'AS64500', tlp: 'green' }],
    pointsOfContact: [{ name: 'Duty officer', role: 'watch', languages: ['en'], hours: '24/7' }],
    ackWithin: 3_600_000,
    respondWithin: 86_400_000,
  },
  'notice.ack': { notice: ID_A },
  'notice.reply': { notice: ID_A, text: 'Investigating.', lang: 'en', tlp: 'amber', final: false },
  'notice.close': { notice: ID_A, resolution: 'Activity stopped on 2025-11-28.' },
  'redline.declare': {
    sectors: ['health', 'energy'],
    title: 'Hospitals',
    text: 'Disruptive operations against hospitals are unacceptable.',
    threshold: 'Any loss of availability of patient care systems.',
    tlp: 'clear',
    lang: 'en',
  },
  'redline.revise': {
    redline: ID_A,
    sectors: ['health'],
    title: 'Hospitals and clinics',
    text: 'Disruptive operations against healthcare are unacceptable.',
    threshold: 'Any loss of availability of patient care systems.',
    tlp: 'clear',
  },
  'redline.withdraw': { redline: ID_A, reason: 'Superseded by the joint statement.' },
  'draft.create': {
    title: 'Joint statement',
    lang: 'en',
    paragraphs: [
      { id: 'p1', alternatives: [{ id: 'p1.a', text: 'The Parties affirm…' }] },
      {
        id: 'p2',
        alternatives: [
          { id: 'p2.a', text: 'shall refrain from', proposedBy: 'usa' },
          { id: 'p2.b', text: 'should avoid', proposedBy: 'rus' },
        ],
      },
    ],
  },
  'draft.propose': {
    draft: ID_A,
    paragraphs: [{ id: 'p2', alternatives: [{ id: 'p2.c', text: 'undertake not to' }] }],
    note: 'Compromise wording.',
  },
  'draft.accept': { draft: ID_A, choices: [{ paragraph: 'p2', alternative: 'p2.c' }] },
  'draft.adopt': { draft: ID_A, contentHash: ID_B },
  'compliance.report': {
    agreement: ID_A,
    paragraph: 'p2',
    notice: ID_B,
    assessment: 'partially-compliant',
    text: 'Scanning decreased but continued.',
  },
  forward: { from: OTHER_CHANNEL, items: [], note: 'For your information.' },
  'directory.update': {
    version: 1,
    contacts: [
      {
        kind: 'technical',
        name: 'Alice Example',
        position: 'Duty officer',
        institution: 'CISA',
        email: 'alice@usa.example',
        phone: '+1 202 555 0100',
        languages: ['en'],
        hours: '24/7',
        timeZone: 'America/New_York',
      },
    ],
  },
}

let usa: Signer
let keys: (party: string) => readonly PartyKey[]

beforeAll(async () => {
  const pair = await generateKeyPair()
  usa = { keyId: 'usa#1', privateKey: pair.privateKey }
  const pinned: Record<string, PartyKey[]> = {
    usa: [{ id: 'usa#1', publicKey: pair.publicKey, validFrom: 0, validUntil: null }],
  }
  keys = (party) => pinned[party] ?? []
  // A forward carries an original signed event from another channel, unchanged.
  const original = await createEvent(fieldsOf('message.post', { channel: OTHER_CHANNEL }), usa)
  samples.forward = { ...samples.forward, items: [{ event: original.event, sig: original.sig }] }
})

function fieldsOf<T extends EventType>(
  type: T,
  overrides: Partial<Record<string, unknown>> = {},
): EventFields {
  return {
    channel: CHANNEL,
    author: 'usa',
    seq: 2,
    prev: ID_A,
    heads: { rus: { seq: 1, id: ID_B } },
    time: T0,
    officer: 'o_3f9c0a1b',
    type,
    body: samples[type],
    ...overrides,
  } as EventFields
}

async function signed(type: EventType = 'message.post', overrides = {}) {
  const { event, sig } = await createEvent(fieldsOf(type, overrides), usa)
  return { event, sig } as Record<string, unknown> & { event: Record<string, unknown> }
}

function codeOf(run: () => unknown): ProtocolErrorCode | 'ok' {
  try {
    run()
    return 'ok'
  } catch (error) {
    if (isProtocolError(error)) return error.code
    throw error
  }
}

function reasonOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (isProtocolError(error)) return String(error.details.reason)
    throw error
  }
  throw new Error('expected a ProtocolError')
}

describe('createEvent', () => {
  it('signs every v1 type so that the signature verifies and the id is the event id', async () => {
    for (const type of EVENT_TYPES) {
      const { event, sig, id } = await createEvent(fieldsOf(type), usa)
      expect(event).toMatchObject({ v: 1, key: 'usa#1', type })
      expect(id).toBe(await eventId(event))
      const publicKey = keys('usa')[0]!.publicKey
      expect(await verifyObject(domains.event, event, sig, publicKey)).toBe(true)
      expect(parseSignedEvent(JSON.parse(JSON.stringify({ event, sig }))).event).toEqual(event)
    }
  })

  it('leaves out properties set to undefined, as JSON would', async () => {
    const { event } = await createEvent(
      fieldsOf('message.post', {
        officer: undefined,
        body: { ...samples['message.post'], replyTo: undefined },
      }),
      usa,
    )
    expect('officer' in event).toBe(false)
    expect('replyTo' in event.body).toBe(false)
  })

  it('refuses to sign with a key of another party', async () => {
    const rus = { keyId: 'rus#1', privateKey: usa.privateKey }
    await expect(createEvent(fieldsOf('message.post'), rus)).rejects.toMatchObject({
      code: 'KEY_UNKNOWN',
    })
  })

  it('refuses to sign an event that receivers would reject', async () => {
    await expect(
      createEvent(fieldsOf('message.post', { body: { text: '' } }), usa),
    ).rejects.toMatchObject({ code: 'EVENT_MALFORMED' })
  })
})

describe('parseSignedEvent', () => {
  it('rejects a wire value that is not exactly { event, sig }', async () => {
    const good = await signed()
    expect(codeOf(() => parseSignedEvent('{"event":{}}'))).toBe('EVENT_MALFORMED')
    expect(codeOf(() => parseSignedEvent(null))).toBe('EVENT_MALFORMED')
    expect(reasonOf(() => parseSignedEvent({ event: good.event }))).toMatch(/sig/)
    expect(reasonOf(() => parseSignedEvent({ ...good, id: ID_A }))).toBe('/: unknown field "id"')
    expect(reasonOf(() => parseSignedEvent({ ...good, sig: 'AAAA' }))).toMatch(/^\/sig: /)
  })

  it('names the path of an unknown field in the envelope, the body or deep inside it', async () => {
    const good = await signed('notice.open')
    const event = good.event as { body: (typeof samples)['notice.open'] }
    expect(reasonOf(() => parseSignedEvent({ ...good, event: { ...good.event, extra: 1 } }))).toBe(
      '/event: unknown field "extra"',
    )
    const deep = structuredClone(good) as typeof good & { event: typeof event }
    ;(deep.event.body.indicators![0] as Record<string, unknown>).confidence = 'high'
    expect(reasonOf(() => parseSignedEvent(deep))).toBe(
      '/event/body/indicators/0: unknown field "confidence"',
    )
  })

  it('explains a wrong value by its path', async () => {
    const good = await signed()
    const body = { ...(good.event.body as object), urgency: 'urgent' }
    expect(reasonOf(() => parseSignedEvent({ ...good, event: { ...good.event, body } }))).toMatch(
      /^\/event\/body\/urgency: /,
    )
    expect(
      reasonOf(() => parseSignedEvent({ ...good, event: { ...good.event, prev: 'nope' } })),
    ).toMatch(/^\/event\/prev: .* or must be null$/)
  })

  it('rejects an unknown event type with TYPE_UNKNOWN', async () => {
    const good = await signed()
    const event = { ...good.event, type: 'message.delete' }
    const error = (() => {
      try {
        parseSignedEvent({ ...good, event })
      } catch (e) {
        return e
      }
    })()
    expect(error).toMatchObject({
      code: 'TYPE_UNKNOWN',
      message: 'Unknown event type message.delete',
    })
  })

  it('rejects a known type with the body of another type', async () => {
    const good = await signed()
    const event = { ...good.event, type: 'notice.ack' }
    expect(codeOf(() => parseSignedEvent({ ...good, event }))).toBe('EVENT_MALFORMED')
  })

  it('rejects a heads entry for the author itself', async () => {
    const good = await signed()
    const event = { ...good.event, heads: { usa: { seq: 1, id: ID_A } } }
    expect(reasonOf(() => parseSignedEvent({ ...good, event }))).toMatch(/^\/event\/heads\/usa: /)
  })

  it('rejects malformed identifiers', async () => {
    const good = await signed()
    for (const [field, value] of [
      ['channel', 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YI'], // I is not Crockford base32
      ['author', 'USA'],
      ['key', 'usa#0'],
      ['officer', 'o_short'],
      ['prev', ID_A.toUpperCase()],
      ['seq', 0],
      ['time', -1],
      ['v', 2],
    ] as const) {
      const event = { ...good.event, [field]: value }
      expect(reasonOf(() => parseSignedEvent({ ...good, event }))).toMatch(`/event/${field}: `)
    }
  })

  it('checks forwarded originals as strictly as the outer event, with their path', async () => {
    const good = await signed('forward')
    const item = (good.event.body as typeof samples.forward).items[0]!
    const inner = { ...item.event, body: { ...item.event.body, text: 1.5 } }
    const floaty = {
      ...good,
      event: { ...good.event, body: { ...samples.forward, items: [{ ...item, event: inner }] } },
    }
    expect(codeOf(() => parseSignedEvent(floaty))).toBe('NUMBER_NOT_INTEGER')
    const unknownType = { ...item.event, type: 'message.delete' }
    const bad = {
      ...good,
      event: {
        ...good.event,
        body: { ...samples.forward, items: [{ ...item, event: unknownType }] },
      },
    }
    expect(codeOf(() => parseSignedEvent(bad))).toBe('TYPE_UNKNOWN')
    const extra = { ...item.event, body: { ...item.event.body, x: 1 } }
    const nested = {
      ...good,
      event: { ...good.event, body: { ...samples.forward, items: [{ ...item, event: extra }] } },
    }
    expect(reasonOf(() => parseSignedEvent(nested))).toBe(
      '/event/body/items/0/event/body: unknown field "x"',
    )
  })

  it('rejects a float anywhere in a signed event with NUMBER_NOT_INTEGER', async () => {
    const events = await Promise.all(EVENT_TYPES.map((type) => signed(type)))
    fc.assert(
      fc.property(
        fc.constantFrom(...events),
        fc.nat(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
        fc.boolean(),
        (good, pick, float, replace) => {
          const copy = structuredClone(good)
          const slots = containers(copy)
          const [holder, key] = slots[pick % slots.length]!
          // Either replace an existing value (a number, a string, an object…) or add a member.
          if (replace || Array.isArray(holder)) (holder as Record<string, unknown>)[key] = float
          else (holder as Record<string, unknown>)[`x${key}`] = float
          expect(codeOf(() => parseSignedEvent(copy))).toBe('NUMBER_NOT_INTEGER')
        },
      ),
    )
  })

  it('rejects unsafe integers and non-JSON values', async () => {
    const good = await signed()
    const big = { ...good, event: { ...good.event, time: 2 ** 53 } }
    expect(codeOf(() => parseSignedEvent(big))).toBe('NUMBER_OUT_OF_RANGE')
    const undef = { ...good, event: { ...good.event, officer: undefined } }
    expect(codeOf(() => parseSignedEvent(undef))).toBe('EVENT_MALFORMED')
    const lone = {
      ...good,
      event: { ...good.event, body: { ...samples['message.post'], text: '\ud800' } },
    }
    expect(reasonOf(() => parseSignedEvent(lone))).toMatch(/lone surrogate/)
  })

  it('limits the canonical size to 64 KiB, counting UTF-8 bytes, not characters', async () => {
    const base = { ...samples['message.post'], text: 'x' }
    const overhead = eventSize({
      v: 1,
      key: 'usa#1',
      ...fieldsOf('message.post'),
      body: { ...base, text: '' },
    })
    const room = MAX_EVENT_BYTES - overhead
    // 4-byte emoji keep the text under its 20 000-character limit, so only the size rule bites.
    const exact = '😀'.repeat(Math.floor(room / 4)) + 'x'.repeat(room % 4)
    expect([...exact].length).toBeLessThan(20000)
    const good = await signed('message.post', { body: { ...base, text: exact } })
    expect(eventSize(good.event)).toBe(MAX_EVENT_BYTES)
    expect(codeOf(() => parseSignedEvent(good))).toBe('ok')
    const over = { ...good, event: { ...good.event, body: { ...base, text: `${exact}x` } } }
    try {
      parseSignedEvent(over)
      expect.unreachable()
    } catch (error) {
      expect(error).toMatchObject({
        code: 'EVENT_TOO_LARGE',
        details: { size: MAX_EVENT_BYTES + 1, limit: MAX_EVENT_BYTES },
      })
    }
  })

  it('never accepts a byte-flipped event as something its author did not sign', async () => {
    const originals = await Promise.all(
      (['channel.create', 'notice.open', 'draft.create', 'forward'] as const).map((type) =>
        signed(type),
      ),
    )
    const texts = originals.map((good) => canonicalJson(good))
    await fc.assert(
      fc.asyncProperty(
        fc.nat(originals.length - 1),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (which, at, mask) => {
          const bytes = utf8(texts[which]!)
          const index = at % bytes.length
          bytes[index]! ^= mask
          let accepted: unknown
          try {
            const checked = await checkSignedEvent(parseJson(decodeUtf8(bytes)), keys)
            accepted = checked.event
          } catch (error) {
            if (!isProtocolError(error)) throw error
            return
          }
          // Only a different spelling of the very same JSON value may pass (say \u001f → \u001F).
          expect(canonicalJson(accepted)).toBe(canonicalJson(originals[which]!.event))
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('canonical forms computed once', () => {
  // Any text a message may carry: quotes, escapes, controls, astral characters, no surrogates.
  const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 })

  it('gives the same stored text and signed bytes as canonicalizing the parts', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom(...EVENT_TYPES), async (chars, type) => {
        const body =
          type === 'message.post' ? { ...samples['message.post'], text: chars } : samples[type]
        const { event, sig } = await createEvent(fieldsOf(type, { body }), usa)
        const parsed = parseCanonicalSignedEvent(JSON.parse(JSON.stringify({ event, sig })))
        expect(parsed.raw).toBe(canonicalJson({ event, sig }))
        expect(decodeUtf8(parsed.bytes)).toBe(canonicalJson(event))
        expect(parsed.event).toEqual(event)
      }),
      { numRuns: 60 },
    )
  })

  it('prepares an event whose id, signature and stored text match createEvent', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (chars) => {
        const fields = fieldsOf('message.post', {
          body: { ...samples['message.post'], text: chars },
        })
        const prepared = await prepareEvent(fields, usa.keyId)
        const made = await signPreparedEvent(prepared, usa)
        const reference = await createEvent(fields, usa)
        expect(made.id).toBe(reference.id)
        expect(made.id).toBe(await eventId(made.event))
        expect(made.raw).toBe(canonicalJson({ event: made.event, sig: made.sig }))
        const publicKey = keys('usa')[0]!.publicKey
        expect(await verifyObject(domains.event, made.event, made.sig, publicKey)).toBe(true)
      }),
      { numRuns: 30 },
    )
  })

  it('refuses to sign a prepared event with a key other than the one it names', async () => {
    const prepared = await prepareEvent(fieldsOf('message.post'), 'usa#1')
    const other = { keyId: 'usa#2', privateKey: usa.privateKey }
    await expect(signPreparedEvent(prepared, other)).rejects.toMatchObject({ code: 'KEY_UNKNOWN' })
  })
})

describe('parseEvent', () => {
  it('checks an unsigned event and returns it typed', () => {
    const event = { v: 1, key: 'usa#1', ...fieldsOf('notice.ack') }
    expect(parseEvent(event).type).toBe('notice.ack')
    expect(codeOf(() => parseEvent({ ...event, key: undefined }))).toBe('EVENT_MALFORMED')
  })
})

describe('draftContentHash', () => {
  it('commits to the text and its order, not to how the caller spelled the objects', async () => {
    const text = [
      { paragraph: 'p1', text: 'The Parties affirm…' },
      { paragraph: 'p2', text: 'undertake not to' },
    ]
    const hash = await draftContentHash(text)
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(
      await draftContentHash(text.map(({ text: t, paragraph }) => ({ text: t, paragraph }))),
    ).toBe(hash)
    expect(await draftContentHash([...text].reverse())).not.toBe(hash)
    expect(
      await draftContentHash([{ ...text[0]!, text: 'The Parties affirm.' }, text[1]!]),
    ).not.toBe(hash)
  })

  it('commits to translations when a paragraph has some, and hashes without them as before', async () => {
    const text = [{ paragraph: 'p1', text: 'The Parties affirm.' }]
    const hash = await draftContentHash(text)
    expect(await draftContentHash([{ ...text[0]!, translations: {} }])).toBe(hash)
    const ru = await draftContentHash([{ ...text[0]!, translations: { ru: 'Стороны' } }])
    expect(ru).not.toBe(hash)
    expect(await draftContentHash([{ ...text[0]!, translations: { ru: 'Стороны!' } }])).not.toBe(ru)
  })
})

/** Every (container, key) slot in a JSON value, so a test can put something anywhere. */
function containers(value: unknown): [object, string | number][] {
  const out: [object, string | number][] = []
  const walk = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach((member, i) => {
        out.push([node, i])
        walk(member)
      })
    } else if (node !== null && typeof node === 'object') {
      for (const [key, member] of Object.entries(node)) {
        out.push([node, key])
        walk(member)
      }
    }
  }
  walk(value)
  return out
}
