import type { Algorithm } from '@node-rs/argon2'
import { ServerError } from '../../errors.ts'

/**
 * argon2id parameters for officer passwords: 64 MiB and 5 passes, one lane. Chosen so that one
 * hash takes 50–250 ms on the reference machine (docs/benchmarks.md, "Officer
 * authentication"; `node packages/server/bench/argon2.bench.ts`). Hashes keep their own
 * parameters, so raising these later leaves existing passwords verifiable.
 */
export const passwordHashing = {
  // The package declares Algorithm as a const enum, which type stripping cannot inline.
  algorithm: 2 as Algorithm, // Argon2id
  memoryCost: 64 * 1024,
  timeCost: 5,
  parallelism: 1,
} as const

export const PASSWORD_MIN_LENGTH = 12
export const PASSWORD_MAX_LENGTH = 1024

/** Throws `PASSWORD_TOO_WEAK` unless the password meets the policy. */
export function assertPasswordPolicy(password: string, username?: string): void {
  const length = [...password].length
  if (length < PASSWORD_MIN_LENGTH) {
    throw new ServerError('PASSWORD_TOO_WEAK', {
      reason: `it has ${length} characters; at least ${PASSWORD_MIN_LENGTH} are needed`,
    })
  }
  if (length > PASSWORD_MAX_LENGTH) {
    throw new ServerError('PASSWORD_TOO_WEAK', {
      reason: `it has more than ${PASSWORD_MAX_LENGTH} characters`,
    })
  }
  if (username !== undefined && password.toLowerCase().includes(username.toLowerCase())) {
    throw new ServerError('PASSWORD_TOO_WEAK', { reason: 'it contains the username' })
  }
}

/** An argon2id hash of the password in PHC string format (`$argon2id$v=19$m=…`). */
export async function hashPassword(password: string): Promise<string> {
  const { hash } = await argon2()
  return hash(password, passwordHashing)
}

/** Whether the password matches the stored hash; a malformed hash never matches. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const { verify } = await argon2()
  try {
    return await verify(stored, password)
  } catch {
    return false
  }
}

// Loaded on the first login or password change, not at start: an idle node needs none of it.
const argon2 = () => import('@node-rs/argon2')

let decoy: Promise<string> | undefined

/**
 * Spends the time of one password check without an account, so a login for an unknown
 * username takes as long as one with a wrong password and does not reveal which names exist.
 */
export async function spendPasswordCheck(password: string): Promise<void> {
  decoy ??= hashPassword(crypto.randomUUID())
  await verifyPassword(await decoy, password)
}
