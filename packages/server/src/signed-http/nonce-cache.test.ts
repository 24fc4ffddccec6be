import { describe, expect, it } from 'vitest'
import { NonceCache } from './nonce-cache.ts'

describe('NonceCache', () => {
  it('refuses a nonce claimed again before it expires, and frees it after', () => {
    const nonces = new NonceCache()
    expect(nonces.claim('usa#1 n1', 1_000, 0)).toBe(true)
    expect(nonces.claim('usa#1 n1', 1_000, 1_000)).toBe(false)
    expect(nonces.claim('usa#1 n2', 1_000, 500)).toBe(true)
    expect(nonces.claim('usa#1 n1', 2_000, 1_001)).toBe(true)
  })

  it('forgets expired nonces, so memory follows the traffic of one window', () => {
    const nonces = new NonceCache()
    for (let i = 0; i < 1_000; i++) nonces.claim(`n${i}`, i + 300, i)
    expect(nonces.size).toBeLessThanOrEqual(301)
  })

  it('refuses new requests rather than forget a live nonce when full', () => {
    const nonces = new NonceCache({ maxEntries: 3 })
    for (const nonce of ['a', 'b', 'c']) expect(nonces.claim(nonce, 1_000, 0)).toBe(true)
    expect(() => nonces.claim('d', 1_000, 10)).toThrowError(
      expect.objectContaining({ code: 'NONCE_CACHE_FULL', status: 503 }),
    )
    expect(nonces.claim('a', 1_000, 20)).toBe(false)
    expect(nonces.claim('d', 2_000, 1_001)).toBe(true)
  })

  it('makes room from expired entries anywhere, not only the oldest', () => {
    const nonces = new NonceCache({ maxEntries: 2 })
    nonces.claim('long', 5_000, 0)
    nonces.claim('short', 100, 0)
    expect(nonces.claim('next', 5_000, 200)).toBe(true)
    expect(nonces.claim('long', 5_000, 300)).toBe(false)
  })

  it('hands over for saving the nonces still live, and only those', () => {
    const nonces = new NonceCache()
    nonces.claim('a', 100, 0)
    nonces.claim('b', 500, 0)
    nonces.claim('c', 300, 0)
    expect([...nonces.live(300)]).toEqual([
      ['b', 500],
      ['c', 300],
    ])
  })
})
