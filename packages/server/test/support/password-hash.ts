import type { PasswordHashConfig } from '../../src/features/officers/password.ts'

/**
 * argon2id at its cheapest (8 KiB, one pass), for every node a test starts: a test login then
 * costs microseconds instead of the production hash's hundreds of milliseconds. What a hash
 * proves does not depend on its cost; the production defaults have their own test.
 */
export const cheapPasswordHash: PasswordHashConfig = { memoryCost: 8, timeCost: 1, parallelism: 1 }
