import { describe, expect, it } from 'vitest'
import { usPrivacyString } from './signals.ts'
import type { ConsentState } from './state.ts'

const state = (sale: boolean): ConsentState => ({
  consentId: '00000000-0000-4000-8000-000000000000',
  revision: 1,
  choices: {
    necessary: true,
    functional: true,
    performance: true,
    targeting: true,
    social: true,
    sale,
  },
  services: {},
  gpc: false,
})

describe('the IAB US Privacy string', () => {
  it('says notice given and opted out of sale until Sale of Personal Data is allowed', () => {
    expect(usPrivacyString(null)).toBe('1YYN')
    expect(usPrivacyString(state(false))).toBe('1YYN')
    expect(usPrivacyString(state(true))).toBe('1YNN')
  })
})
