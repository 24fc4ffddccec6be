import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffDelay } from './push-worker.ts'

describe('backoffDelay', () => {
  it('starts at half a second and doubles', () => {
    expect([1, 2, 3, 4, 5].map(backoffDelay)).toEqual([500, 1000, 2000, 4000, 8000])
  })

  it('never waits more than 30 s and never less after more failures', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (failures) => {
        const delay = backoffDelay(failures)
        expect(delay).toBeLessThanOrEqual(30_000)
        expect(delay).toBeGreaterThanOrEqual(backoffDelay(failures - 1 || 1))
      }),
    )
    expect(backoffDelay(1000)).toBe(30_000)
  })
})
