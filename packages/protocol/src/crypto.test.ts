import {
  createHash,
  createPublicKey,
  KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { fromBase64Url, fromHex, toBase64Url, utf8 } from './bytes.ts'
import {
  type CryptoBackend,
  domainMessage,
  exportPrivateKey,
  fingerprint,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  installCryptoBackend,
  normalizeFingerprint,
  publicKeyOf,
  sha256Hex,
  sign,
  verify,
  verifyBytes,
  verifyRaw,
} from './crypto.ts'
import { ProtocolError } from './errors.ts'

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

describe('private keys in a node’s key file', () => {
  it('exports a generated key as PKCS#8 and imports it back, signing for the same public key', async () => {
    const pair = await generateKeyPair()
    const imported = await importPrivateKey(await exportPrivateKey(pair.privateKey))
    expect(await publicKeyOf(imported)).toBe(pair.publicKey)
    const message = utf8('key file round trip')
    expect(await verify(pair.publicKey, await sign(imported, message), message)).toBe(true)
  })

  it('refuses to export a key generated non-extractable', async () => {
    const pair = await generateKeyPair(false)
    await expect(exportPrivateKey(pair.privateKey)).rejects.toThrow()
  })

  it('rejects a key file that is not a PKCS#8 Ed25519 key with KEY_INVALID and the reason', async () => {
    for (const bad of [new Uint8Array(), utf8('not a key'), new Uint8Array(48)]) {
      const refused = await importPrivateKey(bad).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(refused).toBeInstanceOf(ProtocolError)
      expect(refused).toMatchObject({ code: 'KEY_INVALID' })
      expect((refused as ProtocolError).details.reason).toEqual(expect.stringMatching(/\S/))
    }
  })
})

describe('verification never throws', () => {
  it('answers false for a signature that is not base64url, not 64 bytes, or a key that is not one', async () => {
    const pair = await generateKeyPair()
    const message = utf8('m')
    const signature = await sign(pair.privateKey, message)
    const bytes = fromBase64Url(signature)
    for (const [publicKey, sig] of [
      [pair.publicKey, 'A+B/'],
      [pair.publicKey, toBase64Url(bytes.subarray(0, 63))],
      [pair.publicKey, toBase64Url(new Uint8Array([...bytes, 0]))],
      ['A+B/', signature],
      [toBase64Url(new Uint8Array(31)), signature],
    ] as const) {
      expect(await verify(publicKey, sig, message), `${publicKey} ${sig}`).toBe(false)
    }
    expect(await verifyBytes(pair.publicKey, bytes.subarray(1), message)).toBe(false)
    // A key of another algorithm, which WebCrypto refuses to verify with by throwing.
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ])
    expect(await verifyRaw(hmac, bytes, message)).toBe(false)
    expect(await verifyRaw(await importPublicKey(pair.publicKey), bytes.subarray(1), message)).toBe(
      false,
    )
  })
})

/** Node's one-shot node:crypto, as a host installs it (packages/server/src/node-crypto.ts). */
const nodeBackend = (calls: string[]): CryptoBackend => ({
  sha256(bytes) {
    calls.push('sha256')
    return new Uint8Array(createHash('sha256').update(bytes).digest())
  },
  verifyEd25519(publicKey, signature, message) {
    calls.push('verify')
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(publicKey) },
      format: 'jwk',
    })
    return nodeVerify(null, message, key, signature)
  },
  signEd25519(privateKey, message) {
    calls.push('sign')
    return new Uint8Array(nodeSign(null, message, KeyObject.from(privateKey)))
  },
})

describe('an installed crypto backend', () => {
  afterEach(() => installCryptoBackend(undefined))

  it('does the hashing, signing and verifying, with the same results as WebCrypto', async () => {
    const calls: string[] = []
    const pair = await generateKeyPair()
    const message = utf8('through the backend')
    const webSignature = await sign(pair.privateKey, message)
    installCryptoBackend(nodeBackend(calls))
    expect(await sha256Hex(new Uint8Array())).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    // Ed25519 is deterministic: both compute the same signature.
    expect(await sign(pair.privateKey, message)).toBe(webSignature)
    expect(await verify(pair.publicKey, webSignature, message)).toBe(true)
    expect(calls).toEqual(['sha256', 'sign', 'verify'])

    installCryptoBackend(undefined)
    calls.length = 0
    expect(await verify(pair.publicKey, webSignature, message)).toBe(true)
    expect(calls).toEqual([])
  })

  it('gives the expected result for every Wycheproof vector', async () => {
    installCryptoBackend(nodeBackend([]))
    const accepted = await Promise.all(
      cases.map(async (test) => ({
        test,
        ok: await verify(test.publicKey, toBase64Url(fromHex(test.sig)), fromHex(test.msg)),
      })),
    )
    expect(accepted.filter(({ ok, test }) => ok !== (test.result === 'valid'))).toEqual([])
  })

  it('is never asked about a key or a signature of the wrong length, and never throws', async () => {
    const calls: string[] = []
    installCryptoBackend(nodeBackend(calls))
    const pair = await generateKeyPair()
    const message = utf8('m')
    const signature = fromBase64Url(await sign(pair.privateKey, message))
    calls.length = 0
    expect(await verifyBytes(toBase64Url(new Uint8Array(31)), signature, message)).toBe(false)
    expect(await verifyBytes(pair.publicKey, signature.subarray(1), message)).toBe(false)
    expect(await verifyBytes('A+B/', signature, message)).toBe(false)
    expect(calls).toEqual([])
    expect(await verifyBytes(pair.publicKey, signature, message)).toBe(true)
    expect(calls).toEqual(['verify'])
  })

  it('signs through WebCrypto when the backend only hashes and verifies', async () => {
    const calls: string[] = []
    const { signEd25519: _, ...verifyOnly } = nodeBackend(calls)
    installCryptoBackend(verifyOnly)
    const pair = await generateKeyPair()
    const message = utf8('m')
    const signature = await sign(pair.privateKey, message)
    expect(calls).toEqual([])
    expect(await verify(pair.publicKey, signature, message)).toBe(true)
    expect(calls).toEqual(['verify'])
  })
})

describe('fingerprints as officers type them', () => {
  it('normalizes spacing and case, and an empty text to the empty fingerprint', () => {
    expect(normalizeFingerprint(' 3F9C0a1b \t 77 ')).toBe('3f9c 0a1b 77')
    expect(normalizeFingerprint('')).toBe('')
    expect(normalizeFingerprint(' \n ')).toBe('')
  })
})
