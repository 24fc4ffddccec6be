import { describe, expect, it } from 'vitest'
import { actingAs, hasRole } from './access.service.ts'

const officer = { id: 'o_alice', party: 'usa', roles: ['drafter' as const], session: 'h' }

describe('roles', () => {
  it('ranks viewer < drafter < releaser < admin, each holding the rights below it', () => {
    expect(hasRole(['admin'], 'releaser')).toBe(true)
    expect(hasRole(['releaser'], 'drafter')).toBe(true)
    expect(hasRole(['drafter'], 'viewer')).toBe(true)
    expect(hasRole(['drafter'], 'releaser')).toBe(false)
    expect(hasRole(['viewer'], 'drafter')).toBe(false)
    expect(hasRole(['viewer', 'releaser'], 'releaser')).toBe(true)
    expect(hasRole([], 'viewer')).toBe(false)
  })
})

describe('acting party', () => {
  it('makes an officer speak for their own party, and refuses another', () => {
    expect(actingAs(officer, undefined)).toBe('usa')
    expect(actingAs(officer, 'usa')).toBe('usa')
    expect(() => actingAs(officer, 'est')).toThrow(
      expect.objectContaining({
        code: 'PARTY_FORBIDDEN',
        message: 'An officer of usa cannot act as est',
      }),
    )
  })
})
