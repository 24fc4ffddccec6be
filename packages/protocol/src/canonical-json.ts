import { utf8 } from './bytes.ts'
import { ProtocolError } from './errors.ts'

/** A JSON value as it appears in signed protocol objects. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue }

/**
 * RFC 8785 (JCS) canonical form of any JSON value, including non-integer numbers.
 * Use {@link canonicalJson} for protocol objects, which allow integers only.
 * @example canonicalJsonAnyNumber({ b: 1.5, a: [true] }) // '{"a":[true],"b":1.5}'
 */
export function canonicalJsonAnyNumber(value: unknown): string {
  return canonicalText(value, '$', false, 0)
}

/**
 * RFC 8785 canonical form of a signed protocol object. Throws `NUMBER_NOT_INTEGER` for any
 * non-integer number, `NUMBER_OUT_OF_RANGE` beyond ±(2^53−1), `STRING_HAS_NUL` for U+0000 in a
 * string or a member name, `JSON_VALUE_INVALID` for anything that is not plain JSON
 * (undefined, functions, lone surrogates, cycles…).
 * @example canonicalJson({ seq: 2, author: 'usa' }) // '{"author":"usa","seq":2}'
 */
export function canonicalJson(value: unknown): string {
  return canonicalText(value, '$', true, 0)
}

/** UTF-8 bytes of {@link canonicalJson}. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value))
}

/**
 * Checks and writes a value in one walk (the hot path of every event checked). Values are
 * checked depth first in their own member order, so the first problem found is the one a reader
 * of the value meets first; each object's members are then written sorted by UTF-16 code units,
 * as RFC 8785 §3.2.3 orders them. `signed`: the rules of signed JSON (DESIGN §4.1), integers
 * only and no U+0000.
 */
function canonicalText(value: unknown, path: string, signed: boolean, depth: number): string {
  if (depth > 64)
    throw new ProtocolError('JSON_VALUE_INVALID', { path, reason: 'nested deeper than 64 levels' })
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) {
        throw new ProtocolError('JSON_VALUE_INVALID', { path, reason: 'lone surrogate in string' })
      }
      // PostgreSQL's jsonb and text cannot hold U+0000, and C strings end at it: a signed
      // event holding one could be verified by some implementations and stored by none.
      if (signed && value.includes('\u0000')) throw new ProtocolError('STRING_HAS_NUL', { path })
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) {
        throw new ProtocolError('JSON_VALUE_INVALID', {
          path,
          reason: `${value} is not a JSON number`,
        })
      }
      if (signed && !Number.isInteger(value))
        throw new ProtocolError('NUMBER_NOT_INTEGER', { path, value })
      if (signed && !Number.isSafeInteger(value))
        throw new ProtocolError('NUMBER_OUT_OF_RANGE', { path, value })
      // ECMAScript's number serialization, which RFC 8785 §3.2.2.3 adopts.
      return JSON.stringify(value)
    case 'object': {
      if (value === null) return 'null'
      if (Array.isArray(value)) {
        let out = '['
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ','
          out += canonicalText(value[i], `${path}[${i}]`, signed, depth + 1)
        }
        return `${out}]`
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) {
        throw new ProtocolError('JSON_VALUE_INVALID', { path, reason: 'not a plain object' })
      }
      const members: [string, string][] = []
      for (const key of Object.keys(value)) {
        if (!key.isWellFormed()) {
          throw new ProtocolError('JSON_VALUE_INVALID', {
            path,
            reason: 'lone surrogate in a member name',
          })
        }
        if (signed && key.includes('\u0000')) {
          throw new ProtocolError('STRING_HAS_NUL', { path: `${path}[${JSON.stringify(key)}]` })
        }
        const member = (value as Record<string, unknown>)[key]
        members.push([key, canonicalText(member, `${path}.${key}`, signed, depth + 1)])
      }
      // Member names are distinct, so the order is total.
      // Stryker disable next-line EqualityOperator: distinct names never compare equal, so < and <= sort alike
      members.sort((a, b) => (a[0] < b[0] ? -1 : 1))
      let out = '{'
      for (let i = 0; i < members.length; i++) {
        const [key, text] = members[i]!
        out += `${i > 0 ? ',' : ''}${JSON.stringify(key)}:${text}`
      }
      return `${out}}`
    }
    default:
      throw new ProtocolError('JSON_VALUE_INVALID', { path, reason: `${typeof value} is not JSON` })
  }
}
