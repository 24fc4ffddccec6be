import { sha256Hex, utf8 } from '@parley/protocol'

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'

/** `length` random Crockford base32 digits (5 random bits each), lower case. */
export function randomCrockford(length: number): string {
  // 32 divides 256, so the low five bits of a random byte are uniform.
  return Array.from(
    crypto.getRandomValues(new Uint8Array(length)),
    (byte) => CROCKFORD[byte & 31],
  ).join('')
}

/** A fresh officer id: `o_` and 128 random bits as 26 Crockford digits; a stable pseudonym. */
export function newOfficerId(): string {
  // 26 digits carry 130 bits; the first digit only needs 3 of its 5 (0..7) for 128 bits.
  return `o_${CROCKFORD[crypto.getRandomValues(new Uint8Array(1))[0]! & 7]}${randomCrockford(25)}`
}

/** A generated password, 100 random bits in four groups a human can type: `xxxxx-xxxxx-…`. */
export function generatePassword(): string {
  return Array.from({ length: 4 }, () => randomCrockford(5)).join('-')
}

/** How many recovery codes an officer holds after enrolment or regeneration. */
const RECOVERY_CODE_COUNT = 10

/** Ten single-use recovery codes of 80 random bits each, `XXXX-XXXX-XXXX-XXXX`. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    Array.from({ length: 4 }, () => randomCrockford(4).toUpperCase()).join('-'),
  )
}

/**
 * Reads a recovery code as Crockford base32 does: case and dashes do not matter, and the
 * look-alikes I, L and O read as 1, 1 and 0.
 */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0')
}

/**
 * The stored form of a recovery code. A plain SHA-256 suffices: 80 random bits cannot be
 * guessed offline, unlike a password. The officer id salts it.
 */
export function recoveryCodeHash(officer: string, code: string): Promise<string> {
  return sha256Hex(utf8(`parley/recovery-code/v1\n${officer}\n${normalizeRecoveryCode(code)}`))
}

/** The stored form of a session token (the cookie value never reaches the database). */
export function sessionTokenHash(token: string): Promise<string> {
  return sha256Hex(utf8(`parley/session/v1\n${token}`))
}
