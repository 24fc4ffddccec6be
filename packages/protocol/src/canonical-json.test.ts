import { readdirSync, readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex, utf8 } from './bytes.ts'
import { canonicalBytes, canonicalJson, canonicalJsonAnyNumber } from './canonical-json.ts'
import { isProtocolError, type ProtocolErrorCode } from './errors.ts'
import { parseJson } from './json-text.ts'

const jcsDir = new URL('../../../test-vectors/jcs/', import.meta.url)
const vectorNames = readdirSync(new URL('input/', jcsDir))
  .filter((name) => name.endsWith('.json'))
  .sort()

function errorCodeOf(run: () => unknown): ProtocolErrorCode | 'none' {
  try {
    run()
    return 'none'
  } catch (error) {
    if (isProtocolError(error)) return error.code
    throw error
  }
}

describe('RFC 8785 vectors (test-vectors/jcs)', () => {
  it('finds every vector of the source', () => {
    expect(vectorNames).toEqual([
      'arrays.json',
      'french.json',
      'structures.json',
      'unicode.json',
      'values.json',
      'weird.json',
    ])
  })

  for (const name of vectorNames) {
    it(`canonicalizes ${name} byte for byte`, () => {
      const input = JSON.parse(readFileSync(new URL(`input/${name}`, jcsDir), 'utf8'))
      const expected = new Uint8Array(readFileSync(new URL(`output/${name}`, jcsDir)))
      const hex = readFileSync(new URL(`outhex/${name.replace(/\.json$/, '.txt')}`, jcsDir), 'utf8')
      const actual = utf8(canonicalJsonAnyNumber(input))
      expect(toHex(actual)).toBe(toHex(expected))
      expect(actual).toEqual(fromHex(hex.replace(/\s+/g, '')))
    })
  }

  it('accepts in the protocol form exactly the vectors without fractional numbers', () => {
    const accepted = vectorNames.filter((name) => {
      const input = JSON.parse(readFileSync(new URL(`input/${name}`, jcsDir), 'utf8'))
      return errorCodeOf(() => canonicalJson(input)) === 'none'
    })
    // values.json holds 333333333.33333329, 4.50 and friends; structures.json's 56.0 is an integer.
    expect(accepted).toEqual([
      'arrays.json',
      'french.json',
      'structures.json',
      'unicode.json',
      'weird.json',
    ])
  })
})

describe('canonicalJson (signed protocol objects)', () => {
  it('rejects any fractional number with NUMBER_NOT_INTEGER, wherever it sits', () => {
    for (const value of [1.5, -0.001, { a: [1, { b: 2.25 }] }, [0.1]]) {
      expect(errorCodeOf(() => canonicalJson(value))).toBe('NUMBER_NOT_INTEGER')
    }
  })

  it('rejects integers beyond ±(2^53−1) with NUMBER_OUT_OF_RANGE and accepts the bounds', () => {
    for (const value of [2 ** 53, -(2 ** 53), 1e30, { seq: Number.MAX_SAFE_INTEGER + 2 }]) {
      expect(errorCodeOf(() => canonicalJson(value))).toBe('NUMBER_OUT_OF_RANGE')
    }
    expect(canonicalJson([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER])).toBe(
      '[9007199254740991,-9007199254740991]',
    )
  })

  it('rejects lone surrogates in values and in member names', () => {
    for (const value of ['\ud800', 'a\udc00b', { '\ud83d': 1 }, ['ok', '\udfff']]) {
      expect(errorCodeOf(() => canonicalJson(value))).toBe('JSON_VALUE_INVALID')
    }
    expect(canonicalJson('\ud83d\ude02')).toBe('"😂"')
  })

  it('rejects U+0000 in any string or member name with STRING_HAS_NUL and its path', () => {
    const cases: [unknown, string][] = [
      ['\u0000', '$'],
      [{ body: { text: 'agreed\u0000 not' } }, '$.body.text'],
      [[1, ['ok', '\u0000']], '$[1][1]'],
      [{ heads: { 'rus\u0000': 1 } }, '$.heads["rus\\u0000"]'],
    ]
    for (const [value, path] of cases) {
      expect(() => canonicalJson(value)).toThrow(
        expect.objectContaining({ code: 'STRING_HAS_NUL', details: { path } }),
      )
    }
    // Only signed JSON has the rule; RFC 8785 itself canonicalizes U+0000 as \u0000.
    expect(canonicalJsonAnyNumber({ a: '\u0000' })).toBe('{"a":"\\u0000"}')
  })

  it('accepts any value without U+0000 and refuses it with one U+0000 put anywhere', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replaceAll('\u0000', ''))
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.maxSafeInteger(),
        text,
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(text, tie('value'), { maxKeys: 4 }),
      ),
    })).value
    // Puts U+0000 into the `at`-th string or member name (in depth-first order) of a value.
    const inject = (value: unknown, at: number, offset: number): unknown => {
      let seen = 0
      // Between code points, so that no surrogate pair is split.
      const withNul = (s: string) => {
        const points = [...s]
        points.splice(offset % (points.length + 1), 0, '\u0000')
        return points.join('')
      }
      const walk = (node: unknown): unknown => {
        if (typeof node === 'string') return seen++ === at ? withNul(node) : node
        if (Array.isArray(node)) return node.map(walk)
        if (node === null || typeof node !== 'object') return node
        const out: Record<string, unknown> = {}
        for (const [name, member] of Object.entries(node)) {
          const key = seen++ === at ? withNul(name) : name
          Object.defineProperty(out, key, { value: walk(member), enumerable: true })
        }
        return out
      }
      return walk(value)
    }
    const strings = (node: unknown): number =>
      typeof node === 'string'
        ? 1
        : Array.isArray(node)
          ? node.reduce((n: number, item) => n + strings(item), 0)
          : node !== null && typeof node === 'object'
            ? Object.entries(node).reduce((n, [, member]) => n + 1 + strings(member), 0)
            : 0
    fc.assert(
      fc.property(json, fc.nat(), fc.nat(), (value, at, offset) => {
        expect(errorCodeOf(() => canonicalJson(value))).toBe('none')
        const holder = strings(value) === 0 ? [value, ''] : value
        const dirty = inject(holder, at % strings(holder), offset)
        expect(errorCodeOf(() => canonicalJson(dirty))).toBe('STRING_HAS_NUL')
      }),
      { numRuns: 500 },
    )
  })

  it('rejects values that are not JSON instead of dropping them', () => {
    for (const value of [undefined, { a: undefined }, Number.NaN, Infinity, () => 1, new Date(0)]) {
      expect(errorCodeOf(() => canonicalJson(value))).toBe('JSON_VALUE_INVALID')
    }
  })

  it('agrees with the any-number form on integer-only data and is stable under re-parsing', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.maxSafeInteger(),
        fc.string({ unit: 'grapheme' }),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: 'grapheme' }), tie('value'), { maxKeys: 4 }),
      ),
    })).value
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value)
        expect(text).toBe(canonicalJsonAnyNumber(value))
        expect(canonicalJson(parseJson(text))).toBe(text)
        expect(canonicalBytes(value)).toEqual(utf8(text))
      }),
    )
  })
})

describe('what a refusal says', () => {
  /** The code and details of the refusal of `value`, as a sender and an auditor read them. */
  const refusalOf = (run: () => unknown) => {
    try {
      run()
    } catch (error) {
      if (isProtocolError(error)) return { code: error.code, details: error.details }
      throw error
    }
    return undefined
  }

  it.each([
    [{ a: [1, { b: 2.25 }] }, 'NUMBER_NOT_INTEGER', { path: '$.a[1].b', value: 2.25 }],
    [{ seq: 2 ** 53 }, 'NUMBER_OUT_OF_RANGE', { path: '$.seq', value: 2 ** 53 }],
    [[0, -(2 ** 53)], 'NUMBER_OUT_OF_RANGE', { path: '$[1]', value: -(2 ** 53) }],
    [{ t: Number.NaN }, 'JSON_VALUE_INVALID', { path: '$.t', reason: 'NaN is not a JSON number' }],
    [[-Infinity], 'JSON_VALUE_INVALID', { path: '$[0]', reason: '-Infinity is not a JSON number' }],
    [['ok', 'a\udc00'], 'JSON_VALUE_INVALID', { path: '$[1]', reason: 'lone surrogate in string' }],
    [
      { body: { '\ud83d': 1 } },
      'JSON_VALUE_INVALID',
      { path: '$.body', reason: 'lone surrogate in a member name' },
    ],
    [{ at: new Date(0) }, 'JSON_VALUE_INVALID', { path: '$.at', reason: 'not a plain object' }],
    [[new Map()], 'JSON_VALUE_INVALID', { path: '$[0]', reason: 'not a plain object' }],
    [{ a: undefined }, 'JSON_VALUE_INVALID', { path: '$.a', reason: 'undefined is not JSON' }],
    [{ f: () => 1 }, 'JSON_VALUE_INVALID', { path: '$.f', reason: 'function is not JSON' }],
    [[1n], 'JSON_VALUE_INVALID', { path: '$[0]', reason: 'bigint is not JSON' }],
  ] as const)('refuses %o with %s, naming where and why', (value, code, details) => {
    expect(refusalOf(() => canonicalJson(value))).toEqual({ code, details })
  })

  const nested = (levels: number): unknown => (levels === 0 ? 0 : [nested(levels - 1)])

  it('accepts values nested 64 levels deep and refuses one level more, at its path', () => {
    expect(canonicalJson(nested(64))).toBe(`${'['.repeat(64)}0${']'.repeat(64)}`)
    expect(refusalOf(() => canonicalJson(nested(65)))).toEqual({
      code: 'JSON_VALUE_INVALID',
      details: { path: `$${'[0]'.repeat(65)}`, reason: 'nested deeper than 64 levels' },
    })
    expect(refusalOf(() => canonicalJsonAnyNumber({ deep: nested(65) }))).toMatchObject({
      code: 'JSON_VALUE_INVALID',
    })
  })

  it('takes an object without a prototype as the plain object it spells', () => {
    const bare = Object.assign(Object.create(null), { b: 2, a: 1 })
    expect(canonicalJson({ body: bare })).toBe('{"body":{"a":1,"b":2}}')
  })

  it('in the any-number form keeps fractions and large numbers, and refuses what is not JSON', () => {
    expect(canonicalJsonAnyNumber({ b: 1.5, a: [true, 2 ** 53] })).toBe(
      '{"a":[true,9007199254740992],"b":1.5}',
    )
    expect(canonicalJsonAnyNumber({ a: 'agreed\u0000' })).toBe('{"a":"agreed\\u0000"}')
    expect(refusalOf(() => canonicalJsonAnyNumber([Number.NaN]))).toEqual({
      code: 'JSON_VALUE_INVALID',
      details: { path: '$[0]', reason: 'NaN is not a JSON number' },
    })
    expect(refusalOf(() => canonicalJsonAnyNumber({ s: '\ud800' }))).toEqual({
      code: 'JSON_VALUE_INVALID',
      details: { path: '$.s', reason: 'lone surrogate in string' },
    })
  })
})
