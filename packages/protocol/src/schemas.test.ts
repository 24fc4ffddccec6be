import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { describe, expect, it } from 'vitest'
import { toBase64Url } from './bytes.ts'
import {
  bodySchemas,
  ChannelIdSchema,
  EquivocationProofSchema,
  EVENT_TYPES,
  EventIdSchema,
  EventSchema,
  type EventType,
  KeyIdSchema,
  OfficerIdSchema,
  PartyIdSchema,
  PartyKeySchema,
  PublicKeySchema,
  ReceiptSchema,
  SignatureSchema,
  SignedEventSchema,
  TimeSchema,
} from './schemas.ts'

const accepts = (schema: TSchema, value: unknown) => Compile(schema).Check(value)

describe('identifiers', () => {
  it('follow DESIGN §4.1', () => {
    expect(accepts(PartyIdSchema, 'usa')).toBe(true)
    expect(accepts(PartyIdSchema, 'a-very-long-party-name-of-32-chr')).toBe(true)
    for (const bad of ['u', 'USA', '1usa', 'us_a', 'a-very-long-party-name-of-33-char']) {
      expect(accepts(PartyIdSchema, bad), bad).toBe(false)
    }
    expect(accepts(KeyIdSchema, 'usa#12')).toBe(true)
    for (const bad of ['usa', 'usa#0', 'usa#01', 'usa#-1', 'USA#1']) {
      expect(accepts(KeyIdSchema, bad), bad).toBe(false)
    }
    expect(accepts(ChannelIdSchema, 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YZ')).toBe(true)
    // Crockford base32 leaves out I, L, O and U; ids are upper case.
    for (const bad of [
      'ch_01JDX8Q7M2V9K4T6R3N5P8W2YI',
      'ch_01jdx8q7m2v9k4t6r3n5p8w2yz',
      'ch_01JDX',
    ]) {
      expect(accepts(ChannelIdSchema, bad), bad).toBe(false)
    }
    expect(accepts(EventIdSchema, '0'.repeat(64))).toBe(true)
    expect(accepts(EventIdSchema, 'A'.repeat(64))).toBe(false)
    expect(accepts(OfficerIdSchema, 'o_3f9c0a1b')).toBe(true)
    expect(accepts(OfficerIdSchema, 'o_3f9c')).toBe(false)
  })

  it('accept times from 0 to 2^53−1 and nothing fractional or beyond', () => {
    expect(accepts(TimeSchema, 0)).toBe(true)
    expect(accepts(TimeSchema, Number.MAX_SAFE_INTEGER)).toBe(true)
    for (const bad of [-1, 1.5, 2 ** 53, '1']) expect(accepts(TimeSchema, bad)).toBe(false)
  })

  it('accept exactly the canonical base64url of 32-byte keys and 64-byte signatures', () => {
    const key = new Uint8Array(32).fill(255)
    const sig = new Uint8Array(64).fill(255)
    expect(accepts(PublicKeySchema, toBase64Url(key))).toBe(true)
    expect(accepts(SignatureSchema, toBase64Url(sig))).toBe(true)
    // Same length, but non-zero trailing bits: a second spelling of other bytes.
    expect(accepts(PublicKeySchema, `${toBase64Url(key).slice(0, 42)}9`)).toBe(false)
    expect(accepts(SignatureSchema, `${toBase64Url(sig).slice(0, 85)}B`)).toBe(false)
    expect(accepts(SignatureSchema, toBase64Url(sig.subarray(1)))).toBe(false)
  })
})

describe('schemas', () => {
  it('have one body schema per v1 event type and nothing else', () => {
    expect(Object.keys(bodySchemas).sort()).toEqual([...EVENT_TYPES].sort())
    expect(EVENT_TYPES).toHaveLength(18)
  })

  it('close every object, so that unknown fields are rejected everywhere', () => {
    const open: string[] = []
    const walk = (node: unknown, path: string) => {
      if (Array.isArray(node)) {
        for (const [i, child] of node.entries()) walk(child, `${path}/${i}`)
        return
      }
      if (node === null || typeof node !== 'object') return
      const schema = node as Record<string, unknown>
      const isObject = schema.type === 'object'
      // The envelope's body is checked against the schema of its type, separately.
      const isDeferredBody =
        path.endsWith('/properties/body') && Object.keys(schema.properties as object).length === 0
      if (isObject && schema.additionalProperties !== false && !isDeferredBody) open.push(path)
      for (const [key, child] of Object.entries(schema)) walk(child, `${path}/${key}`)
    }
    for (const [name, schema] of Object.entries({
      EventSchema,
      SignedEventSchema,
      PartyKeySchema,
      ReceiptSchema,
    })) {
      walk(JSON.parse(JSON.stringify(schema)), name)
    }
    expect(open).toEqual([])
  })

  it('serialize to plain JSON Schema for the HTTP API and its documentation', () => {
    const json = JSON.parse(JSON.stringify(SignedEventSchema))
    expect(json.type).toBe('object')
    expect(json.properties.event.anyOf).toHaveLength(18)
  })
})

describe('negotiation bodies', () => {
  const draft = 'a'.repeat(64)
  const paragraph = { id: 'p1', alternatives: [{ id: 'p1.a', text: 'The Parties agree.' }] }

  it('still accept the draft and compliance bodies written before the optional fields', () => {
    expect(
      accepts(bodySchemas['draft.create'], { title: 'T', lang: 'en', paragraphs: [paragraph] }),
    ).toBe(true)
    expect(
      accepts(bodySchemas['draft.propose'], { draft, paragraphs: [paragraph], note: 'n' }),
    ).toBe(true)
    const choices = [{ paragraph: 'p1', alternative: 'p1.a' }]
    expect(accepts(bodySchemas['draft.accept'], { draft, choices })).toBe(true)
    expect(accepts(bodySchemas['draft.adopt'], { draft, contentHash: draft })).toBe(true)
    expect(
      accepts(bodySchemas['compliance.report'], {
        agreement: draft,
        paragraph: 'p1',
        assessment: 'unclear',
      }),
    ).toBe(true)
  })

  it('take insertions, deletions, amendments to amendments, translations, packages, withdrawals and versions', () => {
    expect(
      accepts(bodySchemas['draft.propose'], {
        draft,
        version: 2,
        paragraphs: [
          {
            id: 'p0',
            after: null,
            alternatives: [
              { id: 'p0.a', text: 'Recalling,', translations: { ru: 'Напоминая,' } },
              { id: 'p0.b', text: 'Noting,', alternativeTo: 'p0.a' },
              { id: 'p0.del', text: 'Delete p0.', deletes: true },
            ],
          },
        ],
        packages: [{ id: 'k1', paragraphs: ['p0', 'p1'] }],
      }),
    ).toBe(true)
    expect(accepts(bodySchemas['draft.propose'], { draft, withdraw: ['p1.b'] })).toBe(true)
    expect(
      accepts(bodySchemas['compliance.report'], {
        agreement: draft,
        paragraph: 'p1',
        replyTo: draft,
        assessment: 'compliant',
      }),
    ).toBe(true)
  })

  it('refuse what the fields do not allow', () => {
    const alternative = (extra: object) => ({
      draft,
      paragraphs: [{ id: 'p1', alternatives: [{ id: 'p1.b', text: 'x', ...extra }] }],
    })
    expect(accepts(bodySchemas['draft.propose'], alternative({ deletes: false }))).toBe(false)
    expect(
      accepts(bodySchemas['draft.propose'], alternative({ translations: { '1x': 'y' } })),
    ).toBe(false)
    expect(accepts(bodySchemas['draft.propose'], alternative({ translations: { ru: '' } }))).toBe(
      false,
    )
    expect(accepts(bodySchemas['draft.propose'], { draft, version: 0, withdraw: ['p1'] })).toBe(
      false,
    )
    expect(
      accepts(bodySchemas['draft.create'], {
        title: 'T',
        lang: 'en',
        paragraphs: [paragraph],
        packages: [{ id: 'k1', paragraphs: ['p1'] }],
      }),
    ).toBe(false)
  })
})

// The limits of DESIGN §5 as a receiving node enforces them: every other implementation and
// every officer's client relies on them being exactly these, at both sides of each boundary.
const ID = 'a'.repeat(64)
const CHANNEL = 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YZ'
const ENVELOPE = {
  v: 1,
  channel: CHANNEL,
  author: 'usa',
  seq: 1,
  prev: null,
  heads: {},
  time: 0,
  key: 'usa#1',
}
const INDICATOR = { type: 'ipv4', value: '192.0.2.1', tlp: 'amber' }
const FORWARDED = { event: { ...ENVELOPE, type: 'message.post', body: {} }, sig: 'A'.repeat(86) }
const ATTACHMENT = { sha256: ID, name: 'report.pdf', size: 1, mediaType: 'application/pdf' }
const PARAGRAPH = { id: 'p1', alternatives: [{ id: 'p1.a', text: 'Text.', proposedBy: 'usa' }] }
const RED_LINE = {
  sectors: ['energy'],
  title: 'Grid',
  text: 'No attacks on the grid.',
  threshold: 'Any outage.',
  tlp: 'amber',
  lang: 'en',
}

/** A body of each type with every optional field present. */
const FULL: Record<EventType, Record<string, unknown>> = {
  'channel.create': {
    title: 'Working group',
    members: ['usa', 'rus'],
    observers: ['osce'],
    policy: {
      languages: ['en', 'ru'],
      ackWithin: { routine: 86_400_000, priority: 3_600_000, flash: 900_000 },
      respondWithin: 259_200_000,
      rapporteur: 'osce',
      release: { twoPersonRule: ['notice.open'], flashExempt: true },
    },
  },
  'channel.join': { accepts: ID },
  'message.post': {
    text: 'Hello.',
    lang: 'en',
    urgency: 'routine',
    tlp: 'clear',
    replyTo: ID,
    attachments: [ATTACHMENT],
  },
  'message.translate': { of: ID, lang: 'ru', text: 'Привет.' },
  'notice.open': {
    kind: 'incident',
    subject: 'Scanning',
    lang: 'en',
    urgency: 'flash',
    tlp: 'amber',
    summary: 'Scanning observed.',
    sectors: ['energy'],
    severity: 3,
    observedActivity: { description: 'Port scans.', from: 0, until: 1 },
    requestedAction: 'Investigate.',
    indicators: [INDICATOR],
    pointsOfContact: [
      {
        name: 'Desk',
        role: 'CERT',
        party: 'usa',
        email: 'desk@example.org',
        phone: '+1 555 0100',
        languages: ['en'],
        hours: '24/7',
      },
    ],
    ackWithin: 1,
    respondWithin: 1,
    attachments: [ATTACHMENT],
  },
  'notice.ack': { notice: ID },
  'notice.reply': {
    notice: ID,
    text: 'Checking.',
    lang: 'en',
    tlp: 'green',
    final: false,
    attachments: [ATTACHMENT],
  },
  'notice.close': { notice: ID, resolution: 'Resolved.' },
  'redline.declare': RED_LINE,
  'redline.revise': { redline: ID, ...RED_LINE },
  'redline.withdraw': { redline: ID, reason: 'Superseded.' },
  'draft.create': { title: 'Agreement', lang: 'en', paragraphs: [PARAGRAPH] },
  'draft.propose': { draft: ID, paragraphs: [PARAGRAPH], note: 'A new paragraph.' },
  'draft.accept': { draft: ID, choices: [{ paragraph: 'p1', alternative: 'p1.a' }] },
  'draft.adopt': { draft: ID, contentHash: ID },
  'compliance.report': {
    agreement: ID,
    paragraph: 'p1',
    notice: ID,
    assessment: 'compliant',
    text: 'Complied.',
    lang: 'en',
  },
  'directory.update': {
    version: 1,
    contacts: [
      {
        kind: 'technical',
        name: 'Desk',
        position: 'Duty officer',
        institution: 'CERT',
        email: 'desk@example.org',
        phone: '+1 555 0100',
        languages: ['en'],
        hours: '24/7',
        timeZone: 'Europe/Vienna',
      },
    ],
  },
  forward: {
    from: CHANNEL,
    items: [FORWARDED],
    note: 'For your information.',
  },
}

/** `body` with the value at a dotted path (numbers index arrays) replaced. */
function withValue(body: Record<string, unknown>, path: string, value: unknown) {
  const copy = structuredClone(body)
  const keys = path.split('.')
  let node = copy as Record<string, unknown>
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>
  node[keys.at(-1)!] = value
  return copy
}

const bodyAccepted = (type: EventType, body: unknown) => accepts(bodySchemas[type], body)

describe('event bodies at their limits', () => {
  it('accept a body of every type with every optional field, and as an event of its type', () => {
    for (const type of EVENT_TYPES) {
      expect(bodyAccepted(type, FULL[type]), type).toBe(true)
      const event = { ...ENVELOPE, type, body: FULL[type] }
      expect(accepts(EventSchema, event), type).toBe(true)
      expect(accepts(SignedEventSchema, { event, sig: 'A'.repeat(86) }), type).toBe(true)
      // The body is held to its own type's schema: an empty one, or another type's, is refused.
      expect(accepts(EventSchema, { ...ENVELOPE, type, body: {} }), type).toBe(false)
      const other = type === 'notice.ack' ? 'channel.join' : 'notice.ack'
      expect(accepts(EventSchema, { ...ENVELOPE, type, body: FULL[other] }), type).toBe(false)
    }
  })

  it.each([
    ['channel.create', 'title', 200],
    ['message.post', 'text', 20_000],
    ['message.post', 'attachments.0.name', 255],
    ['message.translate', 'text', 20_000],
    ['notice.open', 'subject', 200],
    ['notice.open', 'summary', 20_000],
    ['notice.open', 'observedActivity.description', 20_000],
    ['notice.open', 'requestedAction', 5_000],
    ['notice.open', 'indicators.0.value', 2_000],
    ['notice.open', 'pointsOfContact.0.name', 200],
    ['notice.open', 'pointsOfContact.0.role', 200],
    ['notice.open', 'pointsOfContact.0.email', 254],
    ['notice.open', 'pointsOfContact.0.phone', 64],
    ['notice.open', 'pointsOfContact.0.hours', 200],
    ['notice.reply', 'text', 20_000],
    ['notice.close', 'resolution', 5_000],
    ['redline.declare', 'title', 200],
    ['redline.declare', 'text', 20_000],
    ['redline.revise', 'threshold', 5_000],
    ['redline.withdraw', 'reason', 5_000],
    ['draft.create', 'title', 200],
    ['draft.create', 'paragraphs.0.alternatives.0.text', 20_000],
    ['draft.propose', 'note', 5_000],
    ['compliance.report', 'text', 20_000],
    ['forward', 'note', 5_000],
  ] as const)('%s: %s holds 1 to %i characters', (type, path, max) => {
    expect(bodyAccepted(type, withValue(FULL[type], path, 'x'.repeat(max)))).toBe(true)
    expect(bodyAccepted(type, withValue(FULL[type], path, 'x'.repeat(max + 1)))).toBe(false)
    expect(bodyAccepted(type, withValue(FULL[type], path, ''))).toBe(false)
  })

  const party = (i: number) => `p${i}`
  const lang = (i: number) =>
    `l${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`
  const sector = (i: number) => `s${i}`
  const paragraph = (i: number) => ({ id: `p${i}`, alternatives: [{ id: `p${i}.a`, text: 'T.' }] })
  it.each([
    // type, path, fewest, most, one item, whether a repeated item is refused
    ['channel.create', 'members', 0, 64, party, true],
    ['channel.create', 'observers', 0, 64, party, true],
    ['channel.create', 'policy.languages', 1, 16, lang, true],
    ['message.post', 'attachments', 0, 32, () => ATTACHMENT, false],
    ['notice.open', 'sectors', 0, 32, sector, true],
    ['notice.open', 'indicators', 0, 200, () => INDICATOR, false],
    ['notice.open', 'pointsOfContact', 0, 16, () => ({ name: 'Desk' }), false],
    ['notice.open', 'pointsOfContact.0.languages', 1, 16, lang, true],
    ['redline.declare', 'sectors', 1, 32, sector, true],
    ['draft.create', 'paragraphs', 1, 500, paragraph, false],
    ['draft.propose', 'paragraphs', 1, 500, paragraph, false],
    [
      'draft.create',
      'paragraphs.0.alternatives',
      1,
      16,
      (i: number) => ({ id: `a${i}`, text: 'T.' }),
      false,
    ],
    [
      'draft.accept',
      'choices',
      1,
      500,
      (i: number) => ({ paragraph: `p${i}`, alternative: 'a' }),
      false,
    ],
    ['forward', 'items', 1, 16, () => FORWARDED, false],
  ] as const)('%s: %s holds %i to %i items', (type, path, fewest, most, item, unique) => {
    const items = (n: number) =>
      Array.from({ length: n }, (_, i) => (item as (i: number) => unknown)(i))
    expect(bodyAccepted(type, withValue(FULL[type], path, items(most)))).toBe(true)
    expect(bodyAccepted(type, withValue(FULL[type], path, items(most + 1)))).toBe(false)
    expect(bodyAccepted(type, withValue(FULL[type], path, items(fewest)))).toBe(true)
    if (fewest > 0) {
      expect(bodyAccepted(type, withValue(FULL[type], path, items(fewest - 1)))).toBe(false)
    }
    const twice = [items(1)[0], items(1)[0]]
    expect(bodyAccepted(type, withValue(FULL[type], path, twice))).toBe(!unique)
  })

  it('names each two-person-rule type at most once', () => {
    const policy = (rule: unknown[]) =>
      withValue(FULL['channel.create'], 'policy.release.twoPersonRule', rule)
    expect(bodyAccepted('channel.create', policy([...EVENT_TYPES]))).toBe(true)
    expect(bodyAccepted('channel.create', policy(['forward', 'forward']))).toBe(false)
    expect(bodyAccepted('channel.create', policy(['message.edit']))).toBe(false)
  })

  it.each([
    [
      'notice.open',
      'kind',
      ['incident', 'assistance', 'information', 'clarification', 'advance-notice', 'ping'],
    ],
    [
      'notice.open',
      'indicators.0.type',
      [
        'ipv4',
        'ipv6',
        'cidr',
        'domain',
        'url',
        'email',
        'asn',
        'md5',
        'sha1',
        'sha256',
        'file-name',
        'cve',
        'other',
      ],
    ],
    ['notice.open', 'urgency', ['routine', 'priority', 'flash']],
    ['notice.reply', 'tlp', ['clear', 'green', 'amber', 'amber+strict', 'red']],
    [
      'compliance.report',
      'assessment',
      ['compliant', 'partially-compliant', 'non-compliant', 'unclear'],
    ],
  ] as const)('%s: %s is one of its values', (type, path, values) => {
    for (const value of values) {
      expect(bodyAccepted(type, withValue(FULL[type], path, value)), value).toBe(true)
    }
    for (const value of ['', 'unknown', values[0].toUpperCase()]) {
      expect(bodyAccepted(type, withValue(FULL[type], path, value)), value).toBe(false)
    }
  })

  it.each([
    ['draft.adopt', 'contentHash', [ID], ['A'.repeat(64), 'a'.repeat(63), 'g'.repeat(64)]],
    [
      'message.post',
      'lang',
      ['en', 'zh-Hant-TW', 'abcdefgh'],
      ['e', 'en-', 'abcdefghi', 'en_US', `en${'-abcdefgh'.repeat(4)}`],
    ],
    [
      'notice.open',
      'sectors.0',
      ['energy', 'x', `e${'a'.repeat(63)}`],
      ['Energy', '1x', '-x', `e${'a'.repeat(64)}`],
    ],
    [
      'draft.accept',
      'choices.0.paragraph',
      ['p1', '1', 'p3.b_c-d'],
      ['P1', '.p', '', `p${'a'.repeat(64)}`],
    ],
    [
      'message.post',
      'attachments.0.mediaType',
      ['text/plain', 'application/vnd.api+json'],
      ['pdf', '/pdf', 'text/', 'text/plain; charset=utf-8'],
    ],
    [
      'forward',
      'items.0.event.type',
      ['message.post', 'x', 'a1.b-2'],
      ['Message.post', 'message.', '.post', `a${'b'.repeat(64)}`],
    ],
    ['notice.open', 'severity', [1, 5], [0, 6, 2.5]],
    ['notice.open', 'ackWithin', [1, Number.MAX_SAFE_INTEGER], [0, -1, 1.5]],
    ['channel.create', 'policy.respondWithin', [1], [0]],
    ['message.post', 'attachments.0.size', [0, Number.MAX_SAFE_INTEGER], [-1, 0.5, 2 ** 53]],
  ] as const)('%s: %s takes only well-formed values', (type, path, good, bad) => {
    for (const value of good) {
      expect(bodyAccepted(type, withValue(FULL[type], path, value)), String(value)).toBe(true)
    }
    for (const value of bad) {
      expect(bodyAccepted(type, withValue(FULL[type], path, value)), String(value)).toBe(false)
    }
  })

  it('accepts an equivocation proof only as two signed events', () => {
    const signed = {
      event: { ...ENVELOPE, type: 'channel.join', body: { accepts: ID } },
      sig: 'A'.repeat(86),
    }
    expect(accepts(EquivocationProofSchema, { a: signed, b: signed })).toBe(true)
    expect(accepts(EquivocationProofSchema, { a: signed })).toBe(false)
    expect(accepts(EquivocationProofSchema, { a: signed, b: { event: signed.event } })).toBe(false)
  })
})
