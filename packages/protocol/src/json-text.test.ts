import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isProtocolError, type ProtocolErrorCode } from './errors.ts'
import { duplicateNames, jsonPath, parseEventBatch, parseJson } from './json-text.ts'

type Json = null | boolean | number | string | Json[] | { [name: string]: Json }

function errorOf(run: () => unknown): { code: ProtocolErrorCode | 'none'; message?: string } {
  try {
    run()
    return { code: 'none' }
  } catch (error) {
    if (isProtocolError(error)) return { code: error.code, message: error.message }
    throw error
  }
}

/** A small deterministic generator, so one fast-check seed fixes every spelling choice. */
function chooser(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** Every UTF-16 unit as `\uXXXX`: the same string, spelled as differently as JSON allows. */
function escapeAll(text: string): string {
  let out = '"'
  for (let i = 0; i < text.length; i++)
    out += `\\u${text.charCodeAt(i).toString(16).padStart(4, '0')}`
  return `${out}"`
}

interface Spelled {
  readonly text: string
  /** Where the duplicate was put, when one was asked for and there was an object to hold it. */
  readonly duplicate?: { readonly path: (string | number)[]; readonly name: string }
}

/**
 * JSON text of a value spelled at random (whitespace, escaped names and strings), and, when
 * `duplicateAt` is given, the object at that place in text order holding one name twice.
 */
function spell(value: Json, seed: number, duplicateAt?: number): Spelled {
  const random = chooser(seed)
  const space = () => [' ', '\n', '\t', '\r\n  ', ''][Math.floor(random() * 5)]!
  const string = (text: string) => (random() < 0.2 ? escapeAll(text) : JSON.stringify(text))
  let objects = 0
  let duplicate: Spelled['duplicate']
  const write = (node: Json, path: (string | number)[]): string => {
    if (Array.isArray(node)) {
      return `[${node.map((item, i) => space() + write(item, [...path, i]) + space()).join(',')}]`
    }
    if (node === null || typeof node !== 'object') {
      return typeof node === 'string' ? string(node) : JSON.stringify(node)
    }
    const index = objects++
    const members = Object.keys(node).map(
      (name) =>
        `${space()}${string(name)}${space()}:${space()}${write(node[name]!, [...path, name])}`,
    )
    if (index === duplicateAt) {
      const name = Object.keys(node)[0] ?? 'x'
      if (members.length === 0) members.push(`"x":1`)
      // The repeat is spelled with escapes, so only a name compared unescaped is seen twice.
      members.push(`${escapeAll(name)}:${random() < 0.5 ? 'null' : '{"inner":[1]}'}`)
      duplicate = { path, name }
    }
    return `{${members.join(',')}}`
  }
  const text = space() + write(value, []) + space()
  return duplicate === undefined ? { text } : { text, duplicate }
}

// Names and strings of any code points, escapes and quotes included; numbers as JSON has them.
const json: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.constantFrom('"', '\\', '\\"', '"\\', 'a"b', '\\u0022'),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('"', '\\', ',', '{')),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value

function countObjects(value: Json): number {
  if (Array.isArray(value)) return value.reduce<number>((n, item) => n + countObjects(item), 0)
  if (value === null || typeof value !== 'object') return 0
  return 1 + Object.values(value).reduce<number>((n, item) => n + countObjects(item), 0)
}

describe('duplicateNames and parseJson (I-JSON, RFC 7493)', () => {
  it('refuses the ambiguous text of the issue, at any depth, with the object’s path', () => {
    const cases: [string, string, string][] = [
      ['{"text":"not agreed","text":"agreed"}', '$', '"text"'],
      [
        '{"event":{"body":{"text":"a","lang":"en","text":"b"}},"sig":"x"}',
        '$.event.body',
        '"text"',
      ],
      ['[0,{"a":1},[{"b":[{"c":1,"c":1}]}]]', '$[2][0].b[0]', '"c"'],
      ['{"a":1,"\\u0061":2}', '$', '"a"'],
      ['{"a b":{"":1,"":2}}', '$["a b"]', '""'],
    ]
    for (const [text, path, name] of cases) {
      const error = errorOf(() => parseJson(text))
      expect(error.code).toBe('JSON_DUPLICATE_NAME')
      expect(error.message).toBe(`The object at ${path} has the member name ${name} more than once`)
    }
  })

  it('tells names apart exactly: siblings, nesting, escaped quotes and look-alikes', () => {
    for (const text of [
      '{"a":{"a":{"a":1}}}',
      '[{"a":1},{"a":2}]',
      '{"a":1,"A":2,"a ":3,"\\"a":4,"a\\\\":5}',
      '{"x":"\\"y\\":1,\\"y\\":2","y":1}',
      '{"a":[{"b":1}],"b":{"a":2}}',
      '{"e\\u0301":1,"é":2}',
      '"{\\"a\\":1,\\"a\\":2}"',
    ]) {
      expect(errorOf(() => parseJson(text)).code).toBe('none')
      expect([...duplicateNames(text)]).toEqual([])
    }
  })

  it('lists every repeat in text order with its path', () => {
    const text = '{"a":[{"b":1,"b":2}],"c":{"d":{"e":0,"e":1,"e":2}},"a":3}'
    expect([...duplicateNames(text)]).toEqual([
      { path: ['a', 0], name: 'b' },
      { path: ['c', 'd'], name: 'e' },
      { path: ['c', 'd'], name: 'e' },
      { path: [], name: 'a' },
    ])
  })

  it('still answers JSON_INVALID for text that is not JSON', () => {
    for (const text of ['', '{', '{"a":1,}', "{'a':1}", '{"a":1}{"a":1}', '"\u0000"']) {
      expect(errorOf(() => parseJson(text)).code).toBe('JSON_INVALID')
    }
  })

  it('accepts every JSON text without a repeated name, however spelled, as JSON.parse reads it', () => {
    fc.assert(
      fc.property(json, fc.integer(), (value, seed) => {
        const { text } = spell(value, seed)
        expect(parseJson(text)).toEqual(JSON.parse(JSON.stringify(value)))
        expect([...duplicateNames(text)]).toEqual([])
      }),
      { numRuns: 500 },
    )
  })

  it('refuses every JSON text with a name repeated in any one object, naming that object', () => {
    fc.assert(
      fc.property(json, fc.integer(), fc.nat(), (value, seed, at) => {
        const objects = countObjects(value)
        // A value without an object gets one around it, which then holds the repeat.
        const holder: Json = objects === 0 ? { value } : value
        const { text, duplicate } = spell(holder, seed, at % Math.max(1, objects))
        expect(duplicate).toBeDefined()
        const error = errorOf(() => parseJson(text))
        expect(error.code).toBe('JSON_DUPLICATE_NAME')
        expect(error.message).toContain(`at ${jsonPath(duplicate!.path)} `)
        expect([...duplicateNames(text)]).toEqual([duplicate])
      }),
      { numRuns: 500 },
    )
  })
})

describe('parseEventBatch (a push, DESIGN §4.6)', () => {
  const item = (text: string) =>
    `{"event":{"v":1,"body":{"text":${JSON.stringify(text)}}},"sig":"x"}`

  it('sets aside only the items that repeat a name, so the others can still be judged', () => {
    const text = `{"events":[${item('a')},{"event":{"body":{"text":"not agreed","text":"agreed"}},"sig":"x"},${item('c')},{"event":{},"sig":"x","sig":"y"}]}`
    const { value, ambiguous } = parseEventBatch(text)
    expect((value as { events: unknown[] }).events).toHaveLength(4)
    expect([...ambiguous.keys()]).toEqual([1, 3])
    expect(ambiguous.get(1)).toMatchObject({
      code: 'JSON_DUPLICATE_NAME',
      message: 'The object at $.events[1].event.body has the member name "text" more than once',
    })
    expect(ambiguous.get(3)?.message).toContain('$.events[3] ')
  })

  it('names the first repeated name of an item, in text order', () => {
    const text = `{"events":[{"event":{"a":1,"a":2},"sig":"x","sig":"y"}]}`
    const { ambiguous } = parseEventBatch(text)
    expect([...ambiguous.keys()]).toEqual([0])
    expect(ambiguous.get(0)?.message).toBe(
      'The object at $.events[0].event has the member name "a" more than once',
    )
  })

  it('refuses the whole body when the batch itself repeats a name', () => {
    for (const text of [
      `{"events":[${item('a')}],"events":[]}`,
      `{"events":[],"x":{"a":1,"a":2}}`,
      `[{"a":1,"a":2}]`,
    ]) {
      expect(errorOf(() => parseEventBatch(text)).code).toBe('JSON_DUPLICATE_NAME')
    }
    // Only an item of the events array is set aside: not events itself, nor an item elsewhere.
    expect(errorOf(() => parseEventBatch('{"events":{"a":1,"a":2}}'))).toEqual({
      code: 'JSON_DUPLICATE_NAME',
      message: 'The object at $.events has the member name "a" more than once',
    })
    expect(errorOf(() => parseEventBatch('{"events":[],"x":[{"a":1,"a":2}]}'))).toEqual({
      code: 'JSON_DUPLICATE_NAME',
      message: 'The object at $.x[0] has the member name "a" more than once',
    })
    expect(errorOf(() => parseEventBatch('{"events":[')).code).toBe('JSON_INVALID')
  })
})
