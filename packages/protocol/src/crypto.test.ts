import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fromHex, toBase64Url, utf8 } from './bytes.ts'
import {
  domainMessage,
  fingerprint,
  generateKeyPair,
  importPublicKey,
  normalizeFingerprint,
  sha256Hex,
  sign,
  verify,
  verifyRaw,
} from './crypto.ts'

interface WycheproofTest {
  readonly tcId: number
  readonly comment: string
  readonly flags: readonly string[]
  readonly msg: string
  readonly sig: string
  readonly result: 'valid' | 'invalid' | 'acceptable'
}

interface WycheproofFile {
  readonly numberOfTests: number
  readonly testGroups: readonly {
    readonly publicKey: { readonly pk: string }
    readonly tests: readonly WycheproofTest[]
  }[]
}

const wycheproof: WycheproofFile = JSON.parse(
  readFileSync(
    new URL('../../../test-vectors/ed25519/wycheproof_ed25519_test.json', import.meta.url),
    'utf8',
  ),
)
const cases = wycheproof.testGroups.flatMap((group) =>
  group.tests.map((test) => ({ ...test, publicKey: toBase64Url(fromHex(group.publicKey.pk)) })),
)

describe('Wycheproof Ed25519 (test-vectors/ed25519)', () => {
  it('holds the expected number of vectors: 88 valid, 63 invalid, none merely acceptable', () => {
    expect(cases.length).toBe(wycheproof.numberOfTests)
    const count = (result: string) => cases.filter((test) => test.result === result).length
    expect([count('valid'), count('invalid'), count('acceptable')]).toEqual([88, 63, 0])
  })

  it('verify() gives the expected result for every vector', async () => {
    const outcomes = await Promise.all(
      cases.map(async (test) => {
        const signature = toBase64Url(fromHex(test.sig))
        return { test, ok: await verify(test.publicKey, signature, fromHex(test.msg)) }
      }),
    )
    const mismatches = outcomes
      .filter(({ test, ok }) => ok !== (test.result === 'valid'))
      .map(({ test }) => `tcId ${test.tcId} (${test.flags.join(',')}): expected ${test.result}`)
    expect(mismatches).toEqual([])
    expect(outcomes.filter(({ ok }) => ok).length).toBe(88)
  })

  it('verifyRaw() with importPublicKey() agrees on every vector', async () => {
    let accepted = 0
    for (const test of cases) {
      const key = await importPublicKey(test.publicKey)
      const ok = await verifyRaw(key, fromHex(test.sig), fromHex(test.msg))
      expect(ok, `tcId ${test.tcId}`).toBe(test.result === 'valid')
      if (ok) accepted++
    }
    expect(accepted).toBe(88)
  })
})

describe('Ed25519 keys and signatures', () => {
  // The text is decoded first: what is not base64url is ENCODING_INVALID, whatever its length;
  // what decodes but is not 32 bytes is KEY_INVALID, naming the length.
  it('rejects a public key of the wrong length with KEY_INVALID, naming its length', async () => {
    for (const [bad, bytes] of [
      [toBase64Url(new Uint8Array(31)), 31],
      [toBase64Url(new Uint8Array(33)), 33],
      ['', 0],
    ] as const) {
      await expect(importPublicKey(bad), `${bytes} bytes`).rejects.toMatchObject({
        code: 'KEY_INVALID',
        details: { reason: `${bytes} bytes, expected 32` },
      })
    }
  })

  it('rejects a public key that is not base64url with ENCODING_INVALID', async () => {
    const key = (await generateKeyPair()).publicKey
    for (const [bad, reason] of [
      ['A+B/', 'character "+" at 1'],
      [`${key.slice(0, 42)}=`, 'character "=" at 42'],
      [`${key.slice(0, 42)}B`, 'non-zero trailing bits'],
      [`${key}AA`, 'impossible length'],
    ] as const) {
      await expect(importPublicKey(bad), bad).rejects.toMatchObject({
        code: 'ENCODING_INVALID',
        details: { encoding: 'base64url', reason },
      })
    }
  })

  it('a signature verifies only for its own message and key', async () => {
    const alice = await generateKeyPair()
    const bob = await generateKeyPair()
    const message = domainMessage('parley/event/v1', utf8('{"seq":1}'))
    const signature = await sign(alice.privateKey, message)
    expect(await verify(alice.publicKey, signature, message)).toBe(true)
    expect(await verify(bob.publicKey, signature, message)).toBe(false)
    expect(
      await verify(
        alice.publicKey,
        signature,
        domainMessage('parley/receipt/v1', utf8('{"seq":1}')),
      ),
    ).toBe(false)
    expect(await verify(alice.publicKey, `${signature}A`, message)).toBe(false)
  })

  it('computes the SHA-256 of the empty string and prints fingerprints in groups of four', async () => {
    expect(await sha256Hex(new Uint8Array())).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    const { publicKey } = await generateKeyPair()
    const fp = await fingerprint(publicKey)
    expect(fp).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/)
    expect(normalizeFingerprint(fp.replaceAll(' ', '').toUpperCase())).toBe(fp)
  })
})
