import { describe, expect, it } from 'vitest'
import { rightsDeadline } from './rights-deadline.ts'

const at = (iso: string) => Date.parse(iso)

describe('rightsDeadline', () => {
  it('gives a CCPA request 45 calendar days', () => {
    expect(rightsDeadline('ccpa', at('2026-12-07T10:15:00.000Z'))).toBe(
      at('2027-01-21T10:15:00.000Z'),
    )
  })

  it('gives a GDPR request one calendar month, to the same UTC time', () => {
    expect(rightsDeadline('gdpr', at('2026-03-15T23:59:59.999Z'))).toBe(
      at('2026-04-15T23:59:59.999Z'),
    )
  })

  it('ends a GDPR month on the last day of a shorter month', () => {
    expect(rightsDeadline('gdpr', at('2027-01-31T08:00:00.000Z'))).toBe(
      at('2027-02-28T08:00:00.000Z'),
    )
    expect(rightsDeadline('gdpr', at('2028-01-31T08:00:00.000Z'))).toBe(
      at('2028-02-29T08:00:00.000Z'),
    )
    expect(rightsDeadline('gdpr', at('2026-05-31T00:00:00.000Z'))).toBe(
      at('2026-06-30T00:00:00.000Z'),
    )
  })

  it('carries a GDPR month over the end of the year', () => {
    expect(rightsDeadline('gdpr', at('2026-12-31T12:00:00.000Z'))).toBe(
      at('2027-01-31T12:00:00.000Z'),
    )
  })
})
