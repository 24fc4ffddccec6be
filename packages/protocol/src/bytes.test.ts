import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeUtf8, fromBase64Url, fromHex, toBase64Url, toHex } from './bytes.ts'
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
