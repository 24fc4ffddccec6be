import {
  type EventOf,
  eventSchemas,
  IndicatorSchema,
  TlpSchema,
  UrgencySchema,
} from '@parley/protocol'
import fc from 'fast-check'
import { Value } from 'typebox/value'
import { describe, expect, it } from 'vitest'
import {
  INCIDENT_CORE_EXTENSION,
  isIncidentNotice,
  type NoticeForStix,
  noticeToStix,
  patternOf,
  type StixObject,
  stixString,
  TLP_MARKING_IDS,
  tlpMarking,
} from './bundle.ts'
import { PUBLISHED_TLP_MARKINGS, stixProblems } from './stix-schemas.fixture.ts'

type NoticeOpen = EventOf<'notice.open'>
type Tlp = NoticeOpen['body']['tlp']
type IndicatorType = NonNullable<NoticeOpen['body']['indicators']>[number]['type']

const enumOf = <T extends string>(schema: unknown) => (schema as { enum: T[] }).enum
const TLPS = enumOf<Tlp>(TlpSchema)
const INDICATOR_TYPES = enumOf<IndicatorType>(IndicatorSchema.properties.type)
const EVENT_ID = 'a3f1c2d4e5b60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a'
const T0 = Date.UTC(2026, 11, 7, 2, 20, 0, 125)

function openEvent(body: NoticeOpen['body'], time = T0): NoticeOpen {
  return {
    v: 1,
    channel: 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YZ',
    author: 'usa',
    seq: 7,
    prev: '0'.repeat(64),
    heads: {},
    time,
    officer: 'o_alice001',
    key: 'usa#1',
    type: 'notice.open',
    body,
  }
}

const byType = (objects: readonly StixObject[], type: string) =>
  objects.filter((object) => object.type === type)

describe('STIX 2.1 export of an incident notice', () => {
  const notice: NoticeForStix = {
    id: EVENT_ID,
    channelTitle: 'US–Russia ICT Security Working Group',
    event: openEvent({
      kind: 'incident',
      subject: 'Scanning of election infrastructure',
      lang: 'en',
      urgency: 'priority',
      tlp: 'amber',
      summary: 'Scanning of state election systems from AS64500.',
      sectors: ['government-facilities', 'election-infrastructure'],
      severity: 3,
      observedActivity: {
        description: 'TCP SYN scans of ports 443 and 8443.',
        from: Date.UTC(2026, 11, 7, 1, 0),
        until: Date.UTC(2026, 11, 7, 2, 14),
      },
      requestedAction: 'Identify and stop the activity, or clarify its nature.',
      indicators: [
        { type: 'ipv4', value: '203.0.113.7', tlp: 'amber' },
        { type: 'domain', value: "scan'er.example", tlp: 'green' },
        { type: 'url', value: 'https://c2.example/beacon', tlp: 'red' },
        { type: 'sha256', value: 'ab'.repeat(32), tlp: 'clear' },
        { type: 'cve', value: 'cve-2024-3400', tlp: 'amber' },
        { type: 'asn', value: 'AS64500', tlp: 'green' },
        { type: 'other', value: 'User-Agent: masscan/1.3', tlp: 'green' },
      ],
      pointsOfContact: [
        {
          name: 'Alice Carter',
          role: 'Duty officer, US CERT',
          email: 'alice@cert.example',
          phone: '+1 202 555 0100',
          languages: ['en', 'ru'],
          hours: '24/7',
        },
      ],
      attachments: [
        { sha256: 'cd'.repeat(32), name: 'pcap.zip', size: 2048, mediaType: 'application/zip' },
      ],
    }),
  }

  it('builds the incident, its indicators, a vulnerability, identities and markings, field by field', () => {
    const { bundle, withheldRed, unsupported } = noticeToStix(notice)
    expect(stixProblems(bundle)).toEqual([])
    expect(withheldRed).toBe(1)
    expect(unsupported).toBe(1)
    expect(bundle.id).toMatch(/^bundle--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab]/)
    const created = '2026-12-07T02:20:00.125Z'
    const [author] = byType(bundle.objects, 'identity')
    expect(author).toEqual({
      type: 'identity',
      id: author!.id,
      spec_version: '2.1',
      created,
      modified: created,
      name: 'usa',
      description: 'Parley party usa, author of the notice',
      identity_class: 'organization',
    })
    const [incident] = byType(bundle.objects, 'incident')
    expect(incident).toEqual({
      type: 'incident',
      id: incident!.id,
      spec_version: '2.1',
      created,
      modified: created,
      created_by_ref: author!.id,
      object_marking_refs: [TLP_MARKING_IDS.amber],
      name: 'Scanning of election infrastructure',
      description:
        'Scanning of state election systems from AS64500.\n\n' +
        'Action requested: Identify and stop the activity, or clarify its nature.',
      lang: 'en',
      labels: [
        'urgency:priority',
        'sector:government-facilities',
        'sector:election-infrastructure',
      ],
      external_references: [
        {
          source_name: 'parley',
          external_id: EVENT_ID,
          description: `notice.open ${EVENT_ID} in channel ch_01JDX8Q7M2V9K4T6R3N5P8W2YZ (US–Russia ICT Security Working Group)`,
        },
        {
          source_name: 'parley-attachment',
          description: 'pcap.zip (application/zip, 2048 bytes)',
          hashes: { 'SHA-256': 'cd'.repeat(32) },
        },
      ],
      extensions: {
        [INCIDENT_CORE_EXTENSION]: {
          extension_type: 'property-extension',
          determination: 'suspected',
          investigation_status: 'open',
          criticality: 60,
          scores: [
            {
              name: 'NCISS level',
              value: 3,
              description:
                'High: Likely to result in a demonstrable impact to public health or safety, national security, economic security, foreign relations, civil liberties, or public confidence.',
            },
          ],
          attacker_activities: [
            {
              type: 'observed',
              description: 'TCP SYN scans of ports 443 and 8443.',
              start_time: '2026-12-07T01:00:00.000Z',
              end_time: '2026-12-07T02:14:00.000Z',
            },
          ],
        },
      },
    })
    const indicators = byType(bundle.objects, 'indicator')
    expect(
      indicators.map(({ pattern, object_marking_refs, valid_from }) => ({
        pattern,
        object_marking_refs,
        valid_from,
      })),
    ).toEqual([
      {
        pattern: "[ipv4-addr:value = '203.0.113.7']",
        object_marking_refs: [TLP_MARKING_IDS.amber],
        valid_from: created,
      },
      {
        pattern: "[domain-name:value = 'scan\\'er.example']",
        object_marking_refs: [TLP_MARKING_IDS.green],
        valid_from: created,
      },
      {
        pattern: `[file:hashes.'SHA-256' = '${'ab'.repeat(32)}']`,
        object_marking_refs: [TLP_MARKING_IDS.clear],
        valid_from: created,
      },
      {
        pattern: '[autonomous-system:number = 64500]',
        object_marking_refs: [TLP_MARKING_IDS.green],
        valid_from: created,
      },
    ])
    const [vulnerability] = byType(bundle.objects, 'vulnerability')
    expect(vulnerability).toMatchObject({
      name: 'cve-2024-3400',
      external_references: [{ source_name: 'cve', external_id: 'CVE-2024-3400' }],
      object_marking_refs: [TLP_MARKING_IDS.amber],
    })
    const [, contact] = byType(bundle.objects, 'identity')
    expect(contact).toMatchObject({
      name: 'Alice Carter',
      identity_class: 'individual',
      roles: ['Duty officer, US CERT'],
      contact_information:
        'e-mail: alice@cert.example; phone: +1 202 555 0100; hours: 24/7; languages: en, ru',
      object_marking_refs: [TLP_MARKING_IDS.amber],
    })
    const links = byType(bundle.objects, 'relationship').map((r) => [
      r.relationship_type,
      bundle.objects.find((o) => o.id === r.source_ref)?.type,
      bundle.objects.find((o) => o.id === r.target_ref)?.type,
      r.object_marking_refs,
    ])
    expect(links).toEqual([
      ['related-to', 'incident', 'identity', [TLP_MARKING_IDS.amber]],
      ['indicates', 'indicator', 'incident', [TLP_MARKING_IDS.amber]],
      // The link from an amber incident to a green indicator is as strict as the incident.
      ['indicates', 'indicator', 'incident', [TLP_MARKING_IDS.amber]],
      ['indicates', 'indicator', 'incident', [TLP_MARKING_IDS.amber]],
      ['related-to', 'incident', 'vulnerability', [TLP_MARKING_IDS.amber]],
      ['indicates', 'indicator', 'incident', [TLP_MARKING_IDS.amber]],
    ])
    // The markings the objects use, as published; the withheld indicator's TLP:RED is not one.
    expect(byType(bundle.objects, 'marking-definition')).toEqual(
      PUBLISHED_TLP_MARKINGS.filter((m) =>
        [TLP_MARKING_IDS.clear, TLP_MARKING_IDS.green, TLP_MARKING_IDS.amber].includes(m.id),
      ),
    )
    expect(JSON.stringify(bundle)).not.toContain('c2.example')
  })

  it('marks the incident closed, modified at the close, once the notice is closed', () => {
    const closedAt = T0 + 3_600_000
    const { bundle } = noticeToStix({ ...notice, closedAt })
    const [incident] = byType(bundle.objects, 'incident')
    expect(incident!.modified).toBe('2026-12-07T03:20:00.125Z')
    expect(incident!.created).toBe('2026-12-07T02:20:00.125Z')
    expect(
      (incident!.extensions as Record<string, Record<string, unknown>>)[INCIDENT_CORE_EXTENSION]!
        .investigation_status,
    ).toBe('closed')
    // A close whose author's clock runs behind never makes the incident modified before created.
    const behind = noticeToStix({ ...notice, closedAt: T0 - 60_000 }).bundle
    expect(stixProblems(behind)).toEqual([])
    expect(byType(behind.objects, 'incident')[0]!.modified).toBe('2026-12-07T02:20:00.125Z')
  })

  it('uses the TLP 2.0 marking definitions exactly as published', () => {
    expect(TLPS.map(tlpMarking)).toEqual(PUBLISHED_TLP_MARKINGS)
  })

  it('refuses a notice that is not an incident', () => {
    const event = openEvent({ ...notice.event.body, kind: 'clarification' })
    expect(isIncidentNotice(event)).toBe(false)
    expect(() => noticeToStix({ id: EVENT_ID, event })).toThrow(TypeError)
  })

  it('finds what is wrong with a bundle: a dangling ref, modified before created, a schema error', () => {
    const { bundle } = noticeToStix(notice)
    const [first, ...rest] = bundle.objects
    const broken = {
      ...bundle,
      objects: [
        { ...first!, modified: '2000-01-01T00:00:00.000Z' },
        ...rest.filter((object) => object.type !== 'marking-definition'),
        { type: 'indicator', id: 'indicator--not-a-uuid' },
      ],
    }
    const problems = stixProblems(broken).join('\n')
    expect(problems).toContain('is before created')
    expect(problems).toContain(`${TLP_MARKING_IDS.amber} is not in the bundle`)
    expect(problems).toContain('schema:')
  })
})

// ---- generated notices ----

const hex = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'))
const anyText = (max: number) =>
  fc.oneof(
    fc.string({ minLength: 1, maxLength: max }),
    fc.string({ minLength: 1, maxLength: max, unit: 'binary' }),
  )
const anyTime = fc.oneof(
  fc.integer({ min: 0, max: Date.UTC(2100, 0) }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
)
const indicator = fc.record({
  type: fc.constantFrom(...INDICATOR_TYPES),
  value: fc.oneof(
    anyText(60),
    fc.constantFrom(
      '198.51.100.1',
      '2001:db8::/32',
      'AS4294967295',
      'AS4294967296',
      'CVE-2021-44228',
    ),
  ),
  tlp: fc.constantFrom(...TLPS),
})
const body = fc.record(
  {
    kind: fc.constant('incident' as const),
    subject: anyText(200),
    lang: fc.constantFrom('en', 'ru', 'fr-CA'),
    urgency: fc.constantFrom(...enumOf<NoticeOpen['body']['urgency']>(UrgencySchema)),
    tlp: fc.constantFrom(...TLPS),
    summary: anyText(300),
    sectors: fc.uniqueArray(fc.constantFrom('energy', 'dams', 'election-infrastructure'), {
      maxLength: 3,
    }),
    severity: fc.integer({ min: 1, max: 5 }),
    observedActivity: fc.record(
      { description: anyText(200), from: anyTime, until: anyTime },
      { requiredKeys: ['description'] },
    ),
    requestedAction: anyText(200),
    indicators: fc.array(indicator, { maxLength: 12 }),
    pointsOfContact: fc.array(
      fc.record(
        {
          name: anyText(50),
          role: anyText(50),
          party: fc.constantFrom('usa', 'rus'),
          email: anyText(50),
          phone: anyText(20),
          languages: fc.uniqueArray(fc.constantFrom('en', 'ru'), { minLength: 1 }),
          hours: anyText(30),
        },
        { requiredKeys: ['name'] },
      ),
      { maxLength: 3 },
    ),
    attachments: fc.array(
      fc.record({
        sha256: hex(32),
        name: anyText(40),
        size: fc.nat(),
        mediaType: fc.constant('text/plain'),
      }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: ['kind', 'subject', 'lang', 'urgency', 'tlp'] },
)
const generated = fc.record({
  id: hex(32),
  event: fc
    .tuple(body, fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) }))
    .map(([b, time]) => openEvent(b as NoticeOpen['body'], time)),
  closedAt: fc.option(anyTime, { nil: undefined }),
})

/** The value a STIX pattern's string literal stands for. */
const unquote = (literal: string) => literal.slice(1, -1).replace(/\\(.)/gsu, '$1')

describe('STIX export of generated incident notices', () => {
  it('always validates against the STIX 2.1 schemas and prose rules, and never carries a TLP:RED indicator', () => {
    fc.assert(
      fc.property(generated, fc.uuid(), (notice, marker) => {
        expect(Value.Check(eventSchemas['notice.open'], notice.event)).toBe(true)
        // Red values carry a marker no other field of the notice contains.
        const indicators = (notice.event.body.indicators ?? []).map((item) =>
          item.tlp === 'red' ? { ...item, value: `${item.value}${marker}` } : item,
        )
        const input = {
          ...notice,
          event: openEvent({ ...notice.event.body, indicators }, notice.event.time),
        }
        const { bundle, withheldRed, unsupported } = noticeToStix(input)
        expect(stixProblems(bundle)).toEqual([])
        expect(JSON.stringify(bundle)).not.toContain(marker)
        expect(bundle.objects.some((o) => o.id === TLP_MARKING_IDS.red)).toBe(
          input.event.body.tlp === 'red',
        )
        const red = indicators.filter((item) => item.tlp === 'red').length
        expect(withheldRed).toBe(red)
        const exported =
          byType(bundle.objects, 'indicator').length +
          byType(bundle.objects, 'vulnerability').length
        expect(exported + withheldRed + unsupported).toBe(indicators.length)
        // The same notice exports the same bundle, byte for byte.
        expect(JSON.stringify(noticeToStix(input).bundle)).toBe(JSON.stringify(bundle))
      }),
      { numRuns: 150 },
    )
  })

  it('gives two notices disjoint ids', () => {
    fc.assert(
      fc.property(generated, hex(32), (notice, other) => {
        fc.pre(other !== notice.id)
        const a = noticeToStix(notice).bundle.objects.map((o) => o.id)
        const b = new Set(noticeToStix({ ...notice, id: other }).bundle.objects.map((o) => o.id))
        expect(a.filter((id) => b.has(id) && !id.startsWith('marking-definition--'))).toEqual([])
      }),
      { numRuns: 50 },
    )
  })

  it('quotes an indicator value so that the pattern reads back exactly that value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...INDICATOR_TYPES.filter((t) => !['asn', 'cve', 'other'].includes(t))),
        fc.string({ minLength: 1, unit: 'binary' }),
        (type, value) => {
          const pattern = patternOf({ type, value })!
          const literal = /= ('.*')\]$/su.exec(pattern)![1]!
          expect(literal).toBe(stixString(value))
          expect(unquote(literal)).toBe(value)
          // No unescaped quote ends the literal early.
          expect(literal.slice(1, -1)).not.toMatch(/(^|[^\\])(\\\\)*'/u)
        },
      ),
    )
  })
})
