import { type Static, Type } from 'typebox'
import { PasswordHashConfigSchema } from '../officers/password.ts'

/** The `auth` section of `parley.json`: sessions, lock-out and the WebAuthn relying party. */
export const AuthConfigSchema = Type.Object(
  {
    idleTimeoutMinutes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 24 * 60, description: 'Default 30' }),
    ),
    absoluteTimeoutMinutes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, description: 'Default 720 (12 h)' }),
    ),
    lockoutFailures: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description: 'Failed logins per account; default 5',
      }),
    ),
    addressLockoutFailures: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        description: 'Failed logins per client address, across accounts; default 20',
      }),
    ),
    lockoutMinutes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 24 * 60,
        description: 'How long a lock lasts, and the window failures are counted in; default 15',
      }),
    ),
    requireSecondFactor: Type.Optional(
      Type.Boolean({ description: 'Officers must enrol TOTP or a passkey; default true' }),
    ),
    origins: Type.Optional(
      Type.Array(Type.String({ pattern: '^https?://[^/?#]+$' }), {
        description: 'Origins besides the node’s own that may call the officer API (the console)',
      }),
    ),
    webauthnRpId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        description: 'WebAuthn relying party id; default the host name the console is served on',
      }),
    ),
    secureCookie: Type.Optional(
      Type.Boolean({
        description:
          'Force the Secure cookie flag (behind a TLS-terminating proxy); default: when the request came over TLS',
      }),
    ),
    passwordHash: Type.Optional(PasswordHashConfigSchema),
  },
  { additionalProperties: false },
)

export type AuthConfig = Static<typeof AuthConfigSchema>

/** The auth rules a node applies, with every default filled in and durations in ms. */
export interface AuthSettings {
  readonly idleTimeout: number
  readonly absoluteTimeout: number
  readonly lockoutFailures: number
  readonly addressLockoutFailures: number
  readonly lockout: number
  readonly requireSecondFactor: boolean
  readonly origins: readonly string[]
  readonly webauthnRpId: string | undefined
  readonly secureCookie: boolean | undefined
}

const MINUTE = 60_000

/** A pending login (password done, second factor due) lasts this long. */
export const SECOND_FACTOR_WINDOW = 5 * MINUTE
/** A WebAuthn challenge is good for one attempt within this time. */
export const CHALLENGE_LIFETIME = 5 * MINUTE

export function authSettings(auth: AuthConfig | undefined): AuthSettings {
  return {
    idleTimeout: (auth?.idleTimeoutMinutes ?? 30) * MINUTE,
    absoluteTimeout: (auth?.absoluteTimeoutMinutes ?? 12 * 60) * MINUTE,
    lockoutFailures: auth?.lockoutFailures ?? 5,
    addressLockoutFailures: auth?.addressLockoutFailures ?? 20,
    lockout: (auth?.lockoutMinutes ?? 15) * MINUTE,
    requireSecondFactor: auth?.requireSecondFactor ?? true,
    origins: auth?.origins ?? [],
    webauthnRpId: auth?.webauthnRpId,
    secureCookie: auth?.secureCookie,
  }
}
