import { describe, expect, it } from 'vitest'
import { migrations } from './index.ts'

describe('migrations', () => {
  // Kysely refuses to migrate a database whose applied migrations are not a prefix of the sorted
  // list, so a new migration named before one that already landed would strand every node
  // that runs an older version's database.
  it('are listed in the order their names sort, each named NNNN-what', () => {
    const names = Object.keys(migrations)
    expect(names).toEqual([...names].sort())
    for (const name of names) expect(name).toMatch(/^\d{4}-[a-z0-9-]+$/)
  })
})
