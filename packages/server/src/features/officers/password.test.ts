import { describe, expect, it } from 'vitest'
import { passwordHasher } from './password.ts'

const cost = (hash: string) => /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(hash)?.slice(1)

describe('password hashing', () => {
  it('hashes with argon2id at 64 MiB, 5 passes and one lane unless told otherwise', async () => {
    const hasher = passwordHasher()
    expect(hasher.parameters).toEqual({ memoryCost: 65536, timeCost: 5, parallelism: 1 })
    expect(cost(await hasher.hash('a long enough passphrase'))).toEqual(['65536', '5', '1'])
    // Above OWASP's floor for argon2id (19 MiB, 2 passes, 1 lane).
    expect(hasher.parameters.memoryCost).toBeGreaterThanOrEqual(19 * 1024)
    expect(hasher.parameters.timeCost).toBeGreaterThanOrEqual(2)
  })

  it('honours a configured cost, filling the fields it is not given from the defaults', async () => {
    const cheap = passwordHasher({ memoryCost: 8, timeCost: 1, parallelism: 1 })
    expect(cost(await cheap.hash('a long enough passphrase'))).toEqual(['8', '1', '1'])
    expect(passwordHasher({ timeCost: 2 }).parameters).toEqual({
      memoryCost: 65536,
      timeCost: 2,
      parallelism: 1,
    })
  })

  it('verifies a hash at the cost the hash names, whatever its own cost', async () => {
    const cheap = passwordHasher({ memoryCost: 8, timeCost: 1, parallelism: 1 })
    const costly = passwordHasher({ memoryCost: 1024, timeCost: 2, parallelism: 2 })
    const stored = await costly.hash('a long enough passphrase')
    expect(await cheap.verify(stored, 'a long enough passphrase')).toBe(true)
    expect(await cheap.verify(stored, 'a long enough passphrase!')).toBe(false)
    expect(await costly.verify(await cheap.hash('another passphrase'), 'another passphrase')).toBe(
      true,
    )
    expect(await cheap.verify('$argon2id$v=19$garbage', 'a long enough passphrase')).toBe(false)
  })
})
