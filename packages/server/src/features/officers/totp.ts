import { generateSecret, generateURI, verify } from 'otplib'

/** RFC 6238 defaults every authenticator app understands: SHA-1, 6 digits, 30 s. */
const TOTP_PERIOD_SECONDS = 30

/** A fresh TOTP secret: 160 random bits, base32 as authenticator apps expect. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 })
}

/** The `otpauth://totp/…` URI an authenticator app scans as a QR code. */
export function totpUri(options: { issuer: string; label: string; secret: string }): string {
  return generateURI({ ...options, period: TOTP_PERIOD_SECONDS })
}

/**
 * The time step a code belongs to if it is valid at `now` (ms) within one step either side
 * (clock drift and typing time), or null. Replay is the caller's check: a step at or before the
 * last one accepted must be refused.
 */
export async function totpStep(secret: string, code: string, now: number): Promise<number | null> {
  if (!/^[0-9]{6}$/.test(code)) return null
  try {
    const result = await verify({
      secret,
      token: code,
      epoch: Math.floor(now / 1000),
      period: TOTP_PERIOD_SECONDS,
      epochTolerance: TOTP_PERIOD_SECONDS,
    })
    // The functional API's result type also covers HOTP; a TOTP match carries its step.
    return result.valid && 'timeStep' in result ? result.timeStep : null
  } catch {
    return null
  }
}
