import { readFileSync } from 'node:fs'
import {
  fromBase64Url,
  fromHex,
  generateKeyPair,
  installCryptoBackend,
  sha256,
  sign,
  toBase64Url,
  verify,
  verifyBytes,
} from '@parley/protocol'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeCrypto } from './node-crypto.ts'

interface WycheproofTest {
  tcId: number
  msg: string
  sig: string
  result: 'valid' | 'invalid' | 'acceptable'
}
const vectors = JSON.parse(
  readFileSync(
    new URL('../../../test-vectors/ed25519/wycheproof_ed25519_test.json', import.meta.url),
    'utf8',
  ),
) as { testGroups: { publicKey: { pk: string }; tests: WycheproofTest[] }[] }

async function decisions(): Promise<boolean[]> {
  const out: boolean[] = []
  for (const group of vectors.testGroups) {
    const key = toBase64Url(fromHex(group.publicKey.pk))
    for (const test of group.tests) {
      out.push(await verify(key, toBase64Url(fromHex(test.sig)), fromHex(test.msg)))
    }
  }
  return out
}

describe('the node:crypto backend of nodes and parley verify', () => {
  afterEach(() => installCryptoBackend(undefined))

  it('decides every Wycheproof Ed25519 vector exactly as WebCrypto does, and as expected', async () => {
    const expected = vectors.testGroups.flatMap((g) => g.tests.map((t) => t.result === 'valid'))
    const webCrypto = await decisions()
    installCryptoBackend(nodeCrypto)
    const node = await decisions()
    expect(node).toEqual(webCrypto)
    expect(node).toEqual(expected)
    expect(node.filter(Boolean).length).toBeGreaterThan(50)
    expect(node.filter((ok) => !ok).length).toBeGreaterThan(50)
  })

  it('computes the same SHA-256 as WebCrypto for any bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        installCryptoBackend(undefined)
        const web = await sha256(bytes)
        installCryptoBackend(nodeCrypto)
        expect(await sha256(bytes)).toEqual(web)
      }),
    )
  })

  it('signs exactly as WebCrypto does (Ed25519 is deterministic), and verifies what it signed', async () => {
    const { publicKey, privateKey } = await generateKeyPair(false)
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (message) => {
        installCryptoBackend(undefined)
        const web = await sign(privateKey, message)
        installCryptoBackend(nodeCrypto)
        expect(await sign(privateKey, message)).toBe(web)
        expect(await verify(publicKey, web, message)).toBe(true)
        expect(await verifyBytes(publicKey, fromBase64Url(web), message)).toBe(true)
        const tampered = Uint8Array.from([...message, 0])
        expect(await verify(publicKey, web, tampered)).toBe(false)
      }),
      { numRuns: 50 },
    )
  })

  it('rejects malformed keys and signatures instead of throwing', async () => {
    installCryptoBackend(nodeCrypto)
    const message = new Uint8Array([1, 2, 3])
    expect(await verify('not-base64url!', 'AAAA', message)).toBe(false)
    expect(
      await verify(toBase64Url(new Uint8Array(31)), toBase64Url(new Uint8Array(64)), message),
    ).toBe(false)
    expect(
      await verify(toBase64Url(new Uint8Array(32)), toBase64Url(new Uint8Array(63)), message),
    ).toBe(false)
  })
})
