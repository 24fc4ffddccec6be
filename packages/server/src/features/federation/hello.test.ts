import { toBase64Url } from '@parley/protocol'
import { describe, expect, it } from 'vitest'
import { isHelloNonce } from './hello.ts'

const bytes = (n: number) => toBase64Url(new Uint8Array(n).fill(7))

describe('isHelloNonce', () => {
  it('takes base64url of 16 to 64 bytes and nothing else', () => {
    for (const n of [16, 32, 64]) expect(isHelloNonce(bytes(n))).toBe(true)
    for (const n of [0, 15, 65]) expect(isHelloNonce(bytes(n))).toBe(false)
    // Padding, a foreign alphabet and non-canonical trailing bits have other encodings.
    expect(isHelloNonce(`${bytes(16)}==`)).toBe(false)
    expect(isHelloNonce(bytes(16).replace(/./, '+'))).toBe(false)
    expect(isHelloNonce(`${bytes(16).slice(0, -1)}B`)).toBe(false)
  })
})
