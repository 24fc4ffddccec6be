import {
  bodySchemas,
  IndicatorSchema,
  NoticeKindSchema,
  TlpSchema,
  UrgencySchema,
} from '@parley/protocol'
import { describe, expect, it } from 'vitest'
import { LABEL_LANGUAGES } from '../sectors.ts'
import {
  isLabelKey,
  LABEL_KEYS,
  label,
  labelLanguageOf,
  NOTICE_LABELS,
  UNTRANSLATED_LABEL_KEYS,
} from './index.ts'

const enumOf = (schema: unknown): string[] => (schema as { enum: string[] }).enum
const open = bodySchemas['notice.open'].properties
const nested = (schema: unknown): Record<string, unknown> => {
  const s = schema as { properties?: Record<string, unknown>; items?: { properties?: object } }
  return (s.properties ?? s.items?.properties ?? {}) as Record<string, unknown>
}

/** Every key the notice template needs, derived from the protocol's schemas. */
function requiredKeys(): string[] {
  const keys: string[] = []
  const field = (name: string) => keys.push(`field.${name}`, `field.${name}.help`)
  for (const [name, schema] of Object.entries(open)) {
    field(name)
    for (const inner of Object.keys(nested(schema))) {
      // An attachment's parts are shown as a file, not as separate fields.
      if (name !== 'attachments') field(`${name}.${inner}`)
    }
  }
  field('notice')
  field('reply.text')
  field('reply.final')
  field('close.resolution')
  const defined = (prefix: string, values: readonly (string | number)[]) => {
    for (const value of values) keys.push(`${prefix}.${value}`, `${prefix}.${value}.definition`)
  }
  defined('kind', enumOf(NoticeKindSchema))
  defined('urgency', enumOf(UrgencySchema))
  defined('tlp', enumOf(TlpSchema))
  const severity = open.severity as unknown as { minimum: number; maximum: number }
  const levels: number[] = []
  for (let level = severity.minimum; level <= severity.maximum; level++) levels.push(level)
  defined('severity', levels)
  defined('state', [
    'sent',
    'delivered',
    'acknowledged',
    'replied',
    'closed',
    'ack-overdue',
    'response-overdue',
  ])
  defined('preset', ['crisis-line', 'nis2', 'routine-diplomatic'])
  for (const type of enumOf(IndicatorSchema.properties.type)) keys.push(`indicator.${type}`)
  return keys
}

describe('the label catalog of the notice template', () => {
  it('labels every field, kind, severity level, urgency, TLP, indicator type, state and preset', () => {
    const missing = requiredKeys().filter((key) => !isLabelKey(key))
    expect(missing).toEqual([])
  })

  it('has every key in every language, none empty or padded', () => {
    for (const key of LABEL_KEYS) {
      expect(Object.keys(NOTICE_LABELS[key]).sort()).toEqual([...LABEL_LANGUAGES].sort())
      for (const lang of LABEL_LANGUAGES) {
        const text = label(key, lang)
        expect(text.trim(), `${key} (${lang})`).not.toBe('')
        expect(text, `${key} (${lang})`).toBe(text.trim())
      }
    }
  })

  it('translates every text into Russian, except the names that are never translated', () => {
    const copies = LABEL_KEYS.filter((key) => label(key, 'ru') === label(key, 'en'))
    expect(copies.sort()).toEqual([...UNTRANSLATED_LABEL_KEYS].sort())
    for (const key of LABEL_KEYS) {
      if (UNTRANSLATED_LABEL_KEYS.has(key)) continue
      // Russian text is written in Cyrillic; a Latin-only value is an English copy or a stub.
      expect(label(key, 'ru'), key).toMatch(/[А-Яа-яЁё]/)
    }
  })

  it('defines each severity level after the NCISS wording, and TLP levels in FIRST’s words', () => {
    expect(label('severity.5', 'en')).toBe('Emergency')
    expect(label('severity.5.definition', 'en')).toContain('imminent threat')
    expect(label('severity.1.definition', 'ru')).toContain('маловероятно')
    expect(label('tlp.red.definition', 'en')).toBe(
      'For the eyes and ears of individual recipients only, no further disclosure.',
    )
    expect(label('tlp.amber+strict.definition', 'en')).toBe(
      'Restricts sharing to the organization only.',
    )
    expect(label('urgency.flash', 'ru')).toBe('Молния')
  })

  it('shows a text in its own label language when there is one, English otherwise', () => {
    expect(labelLanguageOf('ru')).toBe('ru')
    expect(labelLanguageOf('RU-ru')).toBe('ru')
    expect(labelLanguageOf('en-GB')).toBe('en')
    expect(labelLanguageOf('fr')).toBe('en')
    expect(isLabelKey('field.subject')).toBe(true)
    expect(isLabelKey('toString')).toBe(false)
  })
})
