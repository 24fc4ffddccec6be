import canonicalize from 'canonicalize'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson, canonicalJsonAnyNumber } from './canonical-json.ts'

// The protocol writes JCS itself, in the walk that checks the value; the `canonicalize`
// package (RFC 8785's reference port) is the oracle it must agree with, byte for byte.
describe('canonical JSON against the canonicalize package', () => {
  const text = fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replaceAll('\u0000', ''))
  const json = (number: fc.Arbitrary<number>) =>
    fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        number,
        text,
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(text, tie('value'), { maxKeys: 6 }),
      ),
    })).value

  it('writes every integer-only value as canonicalize does', () => {
    fc.assert(
      fc.property(json(fc.maxSafeInteger()), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value))
      }),
      { numRuns: 500 },
    )
  })

  it('writes every value with any finite number as canonicalize does', () => {
    fc.assert(
      fc.property(json(fc.double({ noNaN: true, noDefaultInfinity: true })), (value) => {
        expect(canonicalJsonAnyNumber(value)).toBe(canonicalize(value))
      }),
      { numRuns: 500 },
    )
  })

  it('orders member names by UTF-16 code units, not by code points', () => {
    const value = { '\u{1F600}': 1, '\uFFFF': 2, a: 3, A: 4, '': 5 }
    expect(canonicalJson(value)).toBe('{"":5,"A":4,"a":3,"😀":1,"\uFFFF":2}')
    expect(canonicalJson(value)).toBe(canonicalize(value))
  })
})
