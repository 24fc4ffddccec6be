import canonicalize from 'canonicalize'
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
  assertPlainJson(value, '$', false)
  return canonicalize(value) as string
}

/**
 * RFC 8785 canonical form of a signed protocol object. Throws `NUMBER_NOT_INTEGER` for any
 * non-integer number, `NUMBER_OUT_OF_RANGE` beyond ±(2^53−1), `STRING_HAS_NUL` for U+0000 in a
 * string or a member name, `JSON_VALUE_INVALID` for anything that is not plain JSON
 * (undefined, functions, lone surrogates, cycles…).
 * @example canonicalJson({ seq: 2, author: 'usa' }) // '{"author":"usa","seq":2}'
 */
export function canonicalJson(value: unknown): string {
  assertPlainJson(value, '$', true)
  return canonicalize(value) as string
}

/** UTF-8 bytes of {@link canonicalJson}. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value))
}

/** `signed`: the rules of signed JSON (DESIGN §4.1), integers only and no U+0000. */
function assertPlainJson(value: unknown, path: string, signed: boolean, depth = 0): void {
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
      return
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(value)) {
        throw new ProtocolError('JSON_VALUE_INVALID', {
          path,
          reason: `${value} is not a JSON number`,
        })
      }
      if (!signed) return
      if (!Number.isInteger(value)) throw new ProtocolError('NUMBER_NOT_INTEGER', { path, value })
      if (!Number.isSafeInteger(value))
        throw new ProtocolError('NUMBER_OUT_OF_RANGE', { path, value })
      return
    case 'object': {
      if (value === null) return
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++)
          assertPlainJson(value[i], `${path}[${i}]`, signed, depth + 1)
        return
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) {
        throw new ProtocolError('JSON_VALUE_INVALID', { path, reason: 'not a plain object' })
      }
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
        assertPlainJson(
          (value as Record<string, unknown>)[key],
          `${path}.${key}`,
          signed,
          depth + 1,
        )
      }
      return
    }
    default:
      throw new ProtocolError('JSON_VALUE_INVALID', { path, reason: `${typeof value} is not JSON` })
  }
}
