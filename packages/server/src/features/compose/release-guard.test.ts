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

describe('release guard', () => {
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
