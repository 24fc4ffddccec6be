import { createPublicKey, hash, KeyObject, sign, verify } from 'node:crypto'
import { type CryptoBackend, toBase64Url } from '@parley/protocol'

const keys = new Map<string, KeyObject>()
const privateKeys = new WeakMap<CryptoKey, KeyObject>()

function publicKeyObject(raw: Uint8Array): KeyObject {
  const x = toBase64Url(raw)
  let key = keys.get(x)
  if (key === undefined) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
    // A transcript has a handful of keys; a hostile one with millions must not grow this forever.
    if (keys.size > 10_000) keys.clear()
    keys.set(x, key)
  }
  return key
}

/**
 * The protocol's primitives through Node's one-shot, synchronous `node:crypto` (the same
 * OpenSSL that backs Node's WebCrypto, without a promise and a thread-pool hop per call):
 * a node installs it at start (it signs and verifies on every event, request and receipt), and
 * so do `parley verify` workers, so each core spends its time on the signatures.
 */
export const nodeCrypto: CryptoBackend = {
  // The one-shot digest: no Hash object per call, which a 1 KB event's hash is mostly made of.
  sha256: (bytes) => new Uint8Array(hash('sha256', bytes, 'buffer')),
  verifyEd25519(publicKey, signature, message) {
    try {
      return verify(null, message, publicKeyObject(publicKey), signature)
    } catch {
      return false
    }
  },
  signEd25519(privateKey, message) {
    let key = privateKeys.get(privateKey)
    if (key === undefined) {
      key = KeyObject.from(privateKey)
      privateKeys.set(privateKey, key)
    }
    return new Uint8Array(sign(null, message, key))
  },
}
