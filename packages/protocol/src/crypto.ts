import { concatBytes, fromBase64Url, toBase64Url, toHex, utf8 } from './bytes.ts'
import { ProtocolError } from './errors.ts'

// WebCrypto is global in browsers and in Node ≥ 19; nothing here touches Node built-ins.
const subtle: SubtleCrypto = globalThis.crypto.subtle

/**
 * Other implementations of the two primitives verification spends its time in, for a host that
 * has faster ones than WebCrypto's asynchronous calls (Node's one-shot `node:crypto`, which
 * wraps the same OpenSSL). They must compute exactly the same functions: same digests, and the
 * same accept/reject decision on every signature (the Wycheproof vectors check both backends).
 */
export interface CryptoBackend {
  sha256(bytes: Uint8Array): Uint8Array
  /** Ed25519 verification over raw key (32 bytes) and signature (64 bytes); never throws. */
  verifyEd25519(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean
  /** Ed25519 signature (64 bytes) with a private key made by this module. */
  signEd25519?(privateKey: CryptoKey, message: Uint8Array): Uint8Array
}

let backend: CryptoBackend | undefined

/**
 * Installs a backend for {@link sha256}, {@link verify}, {@link verifyBytes} and, when it has
 * one, {@link sign} in this realm; `undefined` restores WebCrypto.
 */
export function installCryptoBackend(next: CryptoBackend | undefined): void {
  backend = next
}

/** SHA-256 of bytes. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  if (backend !== undefined) return backend.sha256(bytes)
  return new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
}

/** Lowercase hex SHA-256 of bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes))
}

/** An Ed25519 key pair: the private half as a non-extractable-by-default CryptoKey. */
export interface Ed25519KeyPair {
  readonly publicKey: string
  readonly privateKey: CryptoKey
}

/** Generates a fresh Ed25519 key pair; `publicKey` is base64url of the 32 raw bytes. */
export async function generateKeyPair(extractable = true): Promise<Ed25519KeyPair> {
  const pair = (await subtle.generateKey({ name: 'Ed25519' }, extractable, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey))
  return { publicKey: toBase64Url(raw), privateKey: pair.privateKey }
}

/** Exports a private key as PKCS#8 bytes (for a node's key file). */
export async function exportPrivateKey(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle.exportKey('pkcs8', key))
}

/** Imports a PKCS#8 Ed25519 private key. */
export async function importPrivateKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  try {
    return await subtle.importKey(
      'pkcs8',
      pkcs8 as Uint8Array<ArrayBuffer>,
      { name: 'Ed25519' },
      true,
      ['sign'],
    )
  } catch (error) {
    throw new ProtocolError('KEY_INVALID', { reason: (error as Error).message })
  }
}

/** Derives the base64url public key of a PKCS#8 private key (via its JWK form). */
export async function publicKeyOf(privateKey: CryptoKey): Promise<string> {
  const jwk = await subtle.exportKey('jwk', privateKey)
  // WebCrypto's JWK of an Ed25519 private key always has x; this guard narrows the type.
  // Stryker disable next-line all: unreachable through WebCrypto
  if (typeof jwk.x !== 'string')
    // Stryker disable next-line all: unreachable through WebCrypto
    throw new ProtocolError('KEY_INVALID', { reason: 'no public component' })
  return jwk.x
}

const publicKeyCache = new Map<string, Promise<CryptoKey>>()

/**
 * Imports a base64url raw Ed25519 public key for verification. Imported keys are cached,
 * since a transcript verifies many signatures with few keys.
 */
export function importPublicKey(publicKey: string): Promise<CryptoKey> {
  let key = publicKeyCache.get(publicKey)
  // The cache changes the speed and the memory of verification, never its results: a key
  // imported afresh (or a failed import kept) verifies, or fails, alike.
  // Stryker disable next-line ConditionalExpression: the cache only spares a re-import
  if (key === undefined) {
    key = importRawPublicKey(publicKey)
    // Stryker disable next-line ConditionalExpression,EqualityOperator,CallExpression: a memory bound, no result depends on it
    if (publicKeyCache.size > 10_000) publicKeyCache.clear()
    // Stryker disable next-line CallExpression: the cache only spares a re-import
    publicKeyCache.set(publicKey, key)
    // Stryker disable next-line CallExpression,ArrowFunction: the same text fails to import the same way again
    key.catch(() => publicKeyCache.delete(publicKey))
  }
  return key
}

async function importRawPublicKey(publicKey: string): Promise<CryptoKey> {
  const raw = fromBase64Url(publicKey)
  if (raw.length !== 32)
    throw new ProtocolError('KEY_INVALID', { reason: `${raw.length} bytes, expected 32` })
  try {
    return await subtle.importKey(
      'raw',
      raw as Uint8Array<ArrayBuffer>,
      { name: 'Ed25519' },
      // Stryker disable next-line BooleanLiteral: a public key; nothing exports it again
      true,
      ['verify'],
    )
  } catch (error) {
    // WebCrypto imports any 32 bytes as an Ed25519 public key; this is for a runtime that checks.
    // Stryker disable next-line all: unreachable through Node's WebCrypto
    throw new ProtocolError('KEY_INVALID', { reason: (error as Error).message })
  }
}

/** Ed25519 signature over bytes, base64url. */
export async function sign(privateKey: CryptoKey, message: Uint8Array): Promise<string> {
  return toBase64Url(await signRaw(privateKey, message))
}

/** Raw Ed25519 signature bytes over bytes. */
export async function signRaw(privateKey: CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  if (backend?.signEd25519 !== undefined) return backend.signEd25519(privateKey, message)
  return new Uint8Array(
    await subtle.sign({ name: 'Ed25519' }, privateKey, message as Uint8Array<ArrayBuffer>),
  )
}

/** Verifies raw signature bytes; false (never a throw) for a wrong-length or bad signature. */
export async function verifyRaw(
  publicKey: CryptoKey,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  // Stryker disable next-line ConditionalExpression: WebCrypto answers false to such a signature too; this spares the call
  if (signature.length !== 64) return false
  try {
    return await subtle.verify(
      { name: 'Ed25519' },
      publicKey,
      signature as Uint8Array<ArrayBuffer>,
      message as Uint8Array<ArrayBuffer>,
    )
  } catch {
    return false
  }
}

/** Verifies a base64url signature with a base64url public key; false for any malformed input. */
export async function verify(
  publicKey: string,
  signature: string,
  message: Uint8Array,
): Promise<boolean> {
  let sig: Uint8Array
  try {
    sig = fromBase64Url(signature)
  } catch {
    return false
  }
  return verifyBytes(publicKey, sig, message)
}

/** {@link verify} with the signature as raw bytes. */
export async function verifyBytes(
  publicKey: string,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  if (backend !== undefined) return verifyWithBackend(backend, publicKey, signature, message)
  let key: CryptoKey
  try {
    key = await importPublicKey(publicKey)
  } catch {
    return false
  }
  return verifyRaw(key, signature, message)
}

function verifyWithBackend(
  with_: CryptoBackend,
  publicKey: string,
  signature: Uint8Array,
  message: Uint8Array,
): boolean {
  try {
    const key = fromBase64Url(publicKey)
    if (key.length !== 32 || signature.length !== 64) return false
    return with_.verifyEd25519(key, signature, message)
  } catch {
    return false
  }
}

/**
 * Domain-separated message: `"<domain>\n" || bytes`. Every signature and hash in the protocol
 * is over such a message, so a signature for one purpose never verifies for another.
 */
export function domainMessage(domain: string, bytes: Uint8Array): Uint8Array {
  return concatBytes(utf8(`${domain}\n`), bytes)
}

/**
 * A party's fingerprint: hex SHA-256 of a raw public key, in groups of 4 digits.
 * @example await fingerprint(key) // '3f9c 0a1b …'
 */
export async function fingerprint(publicKey: string): Promise<string> {
  const hex = await sha256Hex(fromBase64Url(publicKey))
  return hex.match(/.{4}/g)!.join(' ')
}

/** Normalizes a fingerprint typed with or without spaces (either case) for comparison. */
export function normalizeFingerprint(text: string): string {
  // Stryker disable next-line Regex: removing each white-space character or each run of them is the same
  const hex = text.replace(/\s+/g, '').toLowerCase()
  return hex.match(/.{1,4}/g)?.join(' ') ?? ''
}
