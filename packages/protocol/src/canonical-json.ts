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
 * non-integer number, `NUMBER_OUT_OF_RANGE` beyond ±(2^53−1), `JSON_VALUE_INVALID` for
 * anything that is not plain JSON (undefined, functions, lone surrogates, cycles…).
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

function assertPlainJson(value: unknown, path: string, integersOnly: boolean, depth = 0): void {
  if (depth > 64)
    throw new ProtocolError('JSON_VALUE_INVALID', { path, reason: 'nested deeper than 64 levels' })
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) {
        throw new ProtocolError('JSON_VALUE_INVALID', { path, reason: 'lone surrogate in string' })
      }
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
      if (!integersOnly) return
      if (!Number.isInteger(value)) throw new ProtocolError('NUMBER_NOT_INTEGER', { path, value })
      if (!Number.isSafeInteger(value))
        throw new ProtocolError('NUMBER_OUT_OF_RANGE', { path, value })
      return
    case 'object': {
      if (value === null) return
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++)
          assertPlainJson(value[i], `${path}[${i}]`, integersOnly, depth + 1)
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
        assertPlainJson(
          (value as Record<string, unknown>)[key],
          `${path}.${key}`,
          integersOnly,
          depth + 1,
        )
      }
      return
    }
    default:
      throw new ProtocolError('JSON_VALUE_INVALID', { path, reason: `${typeof value} is not JSON` })
  }
}

/**
 * Parses JSON text into plain data, mapping a syntax error to `JSON_INVALID`. Rejects
 * duplicate-free ambiguity only as far as JSON.parse does (the last duplicate key wins).
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ProtocolError('JSON_INVALID', { reason: (error as Error).message })
  }
}
