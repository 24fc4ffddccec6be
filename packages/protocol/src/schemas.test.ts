import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { describe, expect, it } from 'vitest'
import { toBase64Url } from './bytes.ts'
import {
  bodySchemas,
  ChannelIdSchema,
  EVENT_TYPES,
  EventIdSchema,
  EventSchema,
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
