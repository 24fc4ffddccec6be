import type { Algorithm } from '@node-rs/argon2'
import { type Static, Type } from 'typebox'
import { ServerError } from '../../errors.ts'

/** The argon2id cost of a password hash: KiB of memory, passes, lanes. */
export interface PasswordHashParameters {
  readonly memoryCost: number
  readonly timeCost: number
  readonly parallelism: number
}

/**
 * argon2id parameters for officer passwords: 64 MiB and 5 passes, one lane. Chosen so that one
 * hash takes 50–250 ms on the reference machine (docs/benchmarks.md, "Officer
 * authentication"; `node packages/server/bench/argon2.bench.ts`). Hashes keep their own
 * parameters, so raising these later leaves existing passwords verifiable.
 */
const passwordHashing: PasswordHashParameters = {
  memoryCost: 64 * 1024,
  timeCost: 5,
  parallelism: 1,
}

/** `auth.passwordHash` in `parley.json`: the cost of new hashes, each field defaulted. */
export const PasswordHashConfigSchema = Type.Object(
  {
    memoryCost: Type.Optional(
      Type.Integer({
        minimum: 8,
        maximum: 1024 * 1024,
        description: 'KiB of memory per hash, at least 8 per lane; default 65536 (64 MiB)',
      }),
    ),
    timeCost: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'Passes; default 5' }),
    ),
    parallelism: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 16, description: 'Lanes; default 1' }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'argon2id cost of new officer password hashes. Lower it only for tests: a cheap hash is a cheap guess',
  },
)

export type PasswordHashConfig = Static<typeof PasswordHashConfigSchema>

/** The parameters a node hashes with: the configured ones, the production defaults otherwise. */
export function passwordHashParameters(config: PasswordHashConfig = {}): PasswordHashParameters {
  return { ...passwordHashing, ...config }
}

/** Hashes and checks officer passwords at one node's configured cost. */
export interface PasswordHasher {
  readonly parameters: PasswordHashParameters
  /** An argon2id hash of the password in PHC string format (`$argon2id$v=19$m=…`). */
  hash(password: string): Promise<string>
  /**
   * Whether the password matches the stored hash, at the cost the hash itself names; a
   * malformed hash never matches.
   */
  verify(stored: string, password: string): Promise<boolean>
  /**
   * Spends the time of one password check without an account, so a login for an unknown
   * username takes as long as one with a wrong password and does not reveal which names exist.
   */
  spendCheck(password: string): Promise<void>
}

export function passwordHasher(config?: PasswordHashConfig): PasswordHasher {
  const parameters = passwordHashParameters(config)
  let decoy: Promise<string> | undefined
  const hasher: PasswordHasher = {
    parameters,
    async hash(password) {
      const { hash } = await argon2()
      // The package declares Algorithm as a const enum, which type stripping cannot inline.
      return hash(password, { ...parameters, algorithm: 2 as Algorithm }) // Argon2id
    },
    async verify(stored, password) {
      const { verify } = await argon2()
      try {
        return await verify(stored, password)
      } catch {
        return false
      }
    },
    async spendCheck(password) {
      decoy ??= hasher.hash(crypto.randomUUID())
      await hasher.verify(await decoy, password)
    },
  }
  return hasher
}

const PASSWORD_MIN_LENGTH = 12
const PASSWORD_MAX_LENGTH = 1024

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

// Loaded on the first login or password change, not at start: an idle node needs none of it.
const argon2 = () => import('@node-rs/argon2')
