import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isServerError } from '../../errors.ts'
import {
  assertReleasable,
  guardMatches,
  releaseGuard,
  TLP_AMBER_STRICT_RULE,
  TLP_RED_RULE,
} from './release-guard.ts'

const defaults = releaseGuard(undefined)
const item = (body: unknown, type = 'message.post') => ({
  type,
  body,
})

// Text that can never contain a default marking: no capital letters at all.
const plain = fc.string({ unit: fc.constantFrom(...'abc xyz-/.,\n0123456789éж') })

// Look-alikes a drafter could type for each letter of the default markings: Cyrillic, Greek,
// fullwidth, mathematical and double-struck forms, small letters, and digits.
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  T: 'tТΤＴ𝐓𝑇𝕋тτ',
  O: 'oОΟＯ𝐎𝕆0оοσ',
  P: 'pРΡＰ𝐏ℙрρ',
  S: 'sЅＳ𝐒𝕊ѕ',
  E: 'eЕΕＥ𝐄𝔼еε',
  C: 'cСϹＣ𝐂ℂсϲ',
  R: 'rＲ𝐑ℝ',
  N: 'nΝＮ𝐍ℕ',
  F: 'fＦ𝐅𝔽Ϝ',
  '/': '／⁄∕',
  ' ': '\u00a0\u2009\u3000\t \n',
}
// Zero-width space, joiner and non-joiner, soft hyphen, word joiner, BOM, bidi marks and overrides.
const IGNORABLES = '\u200b\u200c\u200d\u00ad\u2060\ufeff\u200e\u200f\u202a\u202e\u2066\u2069'

/** A marking as a drafter might disguise it: each character swapped, or not, and ignorables between. */
const disguised = (marking: string) =>
  fc
    .tuple(
      ...[...marking].map((character) =>
        fc.tuple(
          fc.constantFrom(character, ...(LOOK_ALIKES[character] ?? '')),
          fc.string({ unit: fc.constantFrom(...IGNORABLES), maxLength: 2 }),
        ),
      ),
    )
    .map((parts) =>
      parts
        .map(([character, ignorables], i) => (i === 0 ? character : ignorables + character))
        .join(''),
    )

const ENGLISH =
  'the parties agree to notify each other of incidents within hours top secretary secrets notice reply forward red line draft text of no form or for north'.split(
    ' ',
  )
const RUSSIAN =
  'стороны договорились уведомлять друг друга об инцидентах это не секрет тор сор топ рост кот нет сообщение ответ работа проект текста СЕКРЕТ ТОП НЕТ Россия США ОБСЕ'.split(
    ' ',
  )

describe('release guard', () => {
  it('blocks every default marking however it is disguised, and names what was written', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom('TOP SECRET', 'SECRET//NOFORN', 'NOFORN')
          .chain((marking) => fc.tuple(fc.constant(marking), disguised(marking))),
        plain,
        ([marking, written], before) => {
          const text = `${before} ${written} end`
          const found = guardMatches(defaults, item({ text })).find(
            (match) => match.rule === `\\b${marking}\\b`,
          )
          expect(found).toEqual({
            path: '/text',
            offset: before.length + 1,
            text: written,
            rule: `\\b${marking}\\b`,
            kind: 'marking',
          })
        },
      ),
    )
  })

  it('lets ordinary English and Russian prose through', () => {
    const sentence = (words: readonly string[]) =>
      fc
        .array(fc.tuple(fc.constantFrom(...words), fc.constantFrom(' ', ', ', '. ', ' — ', '\n')), {
          minLength: 1,
          maxLength: 30,
        })
        .map((parts) => parts.map(([word, gap]) => word + gap).join(''))
    fc.assert(
      fc.property(fc.oneof(sentence(ENGLISH), sentence(RUSSIAN)), (text) => {
        expect(guardMatches(defaults, item({ text }))).toEqual([])
      }),
    )
  })

  it('finds a marking wherever it is pasted, at its exact path and offset', () => {
    fc.assert(
      fc.property(
        plain,
        plain,
        fc.constantFrom('TOP SECRET', 'NOFORN'),
        fc.array(fc.constantFrom('text', 'summary', 'note'), { minLength: 1, maxLength: 3 }),
        (before, after, marking, keys) => {
          const text = `${before} ${marking} ${after}`
          const body = keys.reduceRight<unknown>((inner, key) => ({ [key]: [inner] }), text)
          const path = keys.map((key) => `/${key}/0`).join('')
          expect(guardMatches(defaults, item(body))).toEqual([
            {
              path,
              offset: before.length + 1,
              text: marking,
              rule: `\\b${marking}\\b`,
              kind: 'marking',
            },
          ])
        },
      ),
    )
  })

  it('finds nothing in text without markings', () => {
    fc.assert(
      fc.property(fc.array(plain, { maxLength: 5 }), (texts) => {
        expect(guardMatches(defaults, item({ texts }))).toEqual([])
      }),
    )
  })

  it('does not take a marking inside a longer word for the marking', () => {
    expect(guardMatches(defaults, item({ text: 'SUPERNOFORNS and TOP SECRETARY' }))).toEqual([])
  })

  it('escapes field names in the JSON Pointer as RFC 6901 says', () => {
    const [match] = guardMatches(defaults, item({ 'a/b~c': 'NOFORN' }))
    expect(match?.path).toBe('/a~1b~0c')
  })

  it('uses the configured markings instead of the defaults, ignoring case where asked', () => {
    const guard = releaseGuard({ forbiddenMarkings: ['(?i:eyes only)'] })
    expect(guardMatches(guard, item({ text: 'NOFORN' }))).toEqual([])
    expect(guardMatches(guard, item({ text: 'for your Eyes Only' }))).toMatchObject([
      { offset: 9, text: 'Eyes Only', rule: '(?i:eyes only)' },
    ])
  })

  it('cannot be turned off: an empty list of markings is CONFIG_INVALID', () => {
    expect(() => releaseGuard({ forbiddenMarkings: [] })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('refuses a marking that is not a regular expression as CONFIG_INVALID', () => {
    expect(() => releaseGuard({ forbiddenMarkings: ['ok', '(unclosed'] })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('blocks TLP:RED and TLP:AMBER+STRICT in a forward only: both may reach the channel itself', () => {
    const forwarded = { from: 'ch_X', items: [{ event: { body: { tlp: 'red' } }, sig: 's' }] }
    expect(guardMatches(defaults, item(forwarded, 'forward'))).toEqual([
      { path: '/items/0/event/body/tlp', offset: 0, text: 'red', rule: TLP_RED_RULE, kind: 'tlp' },
    ])
    expect(guardMatches(defaults, item({ tlp: 'red' }))).toEqual([])
    const strict = { tlp: 'green', indicators: [{ value: 'x', tlp: 'amber+strict' }] }
    expect(guardMatches(defaults, item(strict, 'notice.open'))).toEqual([])
    const forwardedStrict = { from: 'ch_X', items: [{ event: { body: strict }, sig: 's' }] }
    expect(guardMatches(defaults, item(forwardedStrict, 'forward'))).toMatchObject([
      { path: '/items/0/event/body/indicators/0/tlp', rule: TLP_AMBER_STRICT_RULE },
    ])
  })

  it('throws one error that carries every match', () => {
    try {
      assertReleasable(defaults, item({ a: 'NOFORN', b: ['TOP SECRET', 'x NOFORN'] }))
      expect.unreachable()
    } catch (error) {
      expect(isServerError(error, 'RELEASE_GUARD_BLOCKED')).toBe(true)
      if (!isServerError(error)) return
      expect(error.status).toBe(422)
      expect(error.details).toEqual({ count: 3, rule: '\\bNOFORN\\b', path: '/a' })
      expect(error.lists.matches?.map((match) => match.path)).toEqual(['/a', '/b/0', '/b/1'])
    }
  })
})
