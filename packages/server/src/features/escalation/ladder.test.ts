import type { EscalationStep } from '@parley/api'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { retryAfterMs, retryDelay, stepDueAt } from './ladder.ts'

const NOW = Date.UTC(2026, 11, 7, 10, 0)
const step = (from: 'start' | 'due', offsetMs: number): EscalationStep => ({
  action: 'alarm',
  at: { from, offsetMs },
})

describe('the ladder’s timing', () => {
  it('places a step from the start or the due time, never before the start', () => {
    const start = NOW
    const due = NOW + 15 * 60_000
    expect(stepDueAt(step('start', 0), start, due)).toBe(start)
    expect(stepDueAt(step('start', 600_000), start, due)).toBe(start + 600_000)
    expect(stepDueAt(step('due', 0), start, due)).toBe(due)
    expect(stepDueAt(step('due', -300_000), start, due)).toBe(due - 300_000)
    expect(stepDueAt(step('due', -30 * 60_000), start, due)).toBe(start)
  })

  it('waits at least what Retry-After asks, in seconds or as an HTTP date, and at most a day', () => {
    expect(retryAfterMs('120', NOW)).toBe(120_000)
    expect(retryAfterMs(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000)
    expect(retryAfterMs(new Date(NOW - 90_000).toUTCString(), NOW)).toBe(0)
    expect(retryAfterMs('99999999', NOW)).toBe(86_400_000)
    expect(retryAfterMs(null, NOW)).toBeNull()
    expect(retryAfterMs('soon', NOW)).toBeNull()
    expect(retryDelay(1, null)).toBe(30_000)
    expect(retryDelay(3, null)).toBe(120_000)
    expect(retryDelay(1, 120_000)).toBe(120_000)
    expect(retryDelay(20, null)).toBe(3_600_000)
  })

  it('reads any header a receiver sends as a delay within [0, 1 day], or none', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 8 }), (header, attempt) => {
        const ms = retryAfterMs(header, NOW)
        expect(ms === null || (Number.isInteger(ms) && ms >= 0 && ms <= 86_400_000)).toBe(true)
        const delay = retryDelay(attempt, ms)
        expect(delay).toBeGreaterThanOrEqual(30_000)
        expect(delay).toBeLessThanOrEqual(86_400_000)
      }),
    )
  })
})
