import { canonicalBytes } from './canonical-json.ts'
import { domainMessage, sha256Hex, sign, verify } from './crypto.ts'

/** The domains that separate every signed or hashed protocol object (DESIGN §4.3, §4.5, §4.6). */
export const domains = {
  event: 'parley/event/v1',
  receipt: 'parley/receipt/v1',
  descriptor: 'parley/descriptor/v1',
} as const

export type Domain = (typeof domains)[keyof typeof domains]

/** `"<domain>\n" || UTF-8(JCS(value))`: the exact bytes that are hashed and signed. */
export function signedMessage(domain: Domain, value: unknown): Uint8Array {
  return domainMessage(domain, canonicalBytes(value))
}

/**
 * Event id: lowercase hex SHA-256 of `"parley/event/v1\n" || JCS(event)`. A value that cannot
 * be canonicalized rejects the promise; it never throws before there is one.
 * @example await eventId(event) // '5d41402abc4b2a76b9719d911017c592…'
 */
export async function eventId(event: unknown): Promise<string> {
  return sha256Hex(signedMessage(domains.event, event))
}

/** Signs a protocol object under its domain; returns the base64url signature. */
export function signObject(domain: Domain, value: unknown, privateKey: CryptoKey): Promise<string> {
  return sign(privateKey, signedMessage(domain, value))
}

/** Verifies a base64url signature over a protocol object under its domain. */
export function verifyObject(
  domain: Domain,
  value: unknown,
  signature: string,
  publicKey: string,
): Promise<boolean> {
  return verify(publicKey, signature, signedMessage(domain, value))
}
