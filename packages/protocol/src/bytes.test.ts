import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  bytesEqual,
  concatBytes,
  decodeUtf8,
  fromBase64Url,
  fromHex,
  toBase64Url,
  toHex,
} from './bytes.ts'
import { isProtocolError } from './errors.ts'

describe('base64url', () => {
  it('round-trips any bytes and matches the platform encoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = toBase64Url(bytes)
        expect(text).toBe(Buffer.from(bytes).toString('base64url'))
        expect(fromBase64Url(text)).toEqual(bytes)
      }),
    )
  })

  it('rejects padding, foreign alphabets and non-canonical trailing bits', () => {
    for (const bad of ['AA==', 'A+B/', 'AB', 'A', 'AA A']) {
      expect(() => fromBase64Url(bad)).toThrowError(
        expect.objectContaining({ code: 'ENCODING_INVALID' }),
      )
    }
    expect(fromBase64Url('AA')).toEqual(new Uint8Array([0]))
  })
})

describe('hex', () => {
  it('round-trips and rejects non-hex', () => {
    expect(toHex(new Uint8Array([0, 15, 255]))).toBe('000fff')
    expect(fromHex('000FFF')).toEqual(new Uint8Array([0, 15, 255]))
    expect(() => fromHex('0g')).toThrow()
    expect(() => fromHex('abc')).toThrow()
  })
})

describe('UTF-8', () => {
  it('rejects invalid sequences instead of replacing them', () => {
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
      try {
        decodeUtf8(new Uint8Array(bad))
        expect.unreachable()
      } catch (error) {
        expect(isProtocolError(error, 'UTF8_INVALID')).toBe(true)
      }
    }
    expect(decodeUtf8(new Uint8Array([0xc3, 0xa9]))).toBe('é')
  })
})

/** The code and details of what `run` throws. */
function thrown(run: () => unknown): { code: string; message: string; details: unknown } {
  try {
    run()
  } catch (error) {
    if (!isProtocolError(error)) throw error
    return { code: error.code, message: error.message, details: error.details }
  }
  throw new Error('expected a ProtocolError')
}

describe('refusals name the encoding and where the text is wrong', () => {
  it('gives base64url’s reason: the length, the character and its position, the trailing bits', () => {
    const cases: [string, string][] = [
      ['A', 'impossible length'],
      ['AAAAA', 'impossible length'],
      ['AA==', 'character "=" at 2'],
      ['A+B/', 'character "+" at 1'],
      ['AA A', 'character " " at 2'],
      ['AAé', 'character "é" at 2'],
      ['AA\u0080A', 'character "\u0080" at 2'],
      ['AB', 'non-zero trailing bits'],
      ['AAB', 'non-zero trailing bits'],
    ]
    for (const [text, reason] of cases) {
      expect(thrown(() => fromBase64Url(text))).toEqual({
        code: 'ENCODING_INVALID',
        message: `Not valid base64url: ${reason}`,
        details: { encoding: 'base64url', reason },
      })
    }
    expect(fromBase64Url('')).toEqual(new Uint8Array([]))
    expect(fromBase64Url('AAE')).toEqual(new Uint8Array([0, 1]))
    expect(fromBase64Url('-_8')).toEqual(new Uint8Array([0xfb, 0xff]))
  })

  it('refuses hex of odd length or with a non-hex digit anywhere, and reads either case', () => {
    for (const text of ['abc', '0g', 'g0', '00 0', '0x00', 'ab\ncd']) {
      expect(thrown(() => fromHex(text))).toEqual({
        code: 'ENCODING_INVALID',
        message: 'Not valid hex: odd length or non-hex digit',
        details: { encoding: 'hex', reason: 'odd length or non-hex digit' },
      })
    }
    expect(fromHex('')).toEqual(new Uint8Array([]))
    expect(fromHex('aBcD09')).toEqual(new Uint8Array([0xab, 0xcd, 0x09]))
  })

  it('keeps a leading byte order mark as text instead of dropping it', () => {
    expect(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))).toBe('\uFEFFA')
    expect(thrown(() => decodeUtf8(new Uint8Array([0x41, 0xff])))).toEqual({
      code: 'UTF8_INVALID',
      message: 'Not valid UTF-8',
      details: {},
    })
  })
})

describe('byte arrays', () => {
  it('joins parts in order, and compares every byte and the length', () => {
    const joined = concatBytes(new Uint8Array([1, 2]), new Uint8Array([]), new Uint8Array([3]))
    expect(joined).toEqual(new Uint8Array([1, 2, 3]))
    expect(concatBytes()).toEqual(new Uint8Array([]))
    expect(bytesEqual(new Uint8Array([1, 2, 3]), joined)).toBe(true)
    expect(bytesEqual(new Uint8Array([1, 2, 4]), joined)).toBe(false)
    expect(bytesEqual(new Uint8Array([0, 2, 3]), joined)).toBe(false)
    expect(bytesEqual(new Uint8Array([1, 2]), joined)).toBe(false)
    expect(bytesEqual(new Uint8Array([1, 2, 3, 0]), joined)).toBe(false)
    expect(bytesEqual(new Uint8Array([]), new Uint8Array([]))).toBe(true)
  })
})
