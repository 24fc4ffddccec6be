import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  generatePassword,
  newOfficerId,
  newRecoveryCodes,
  normalizeRecoveryCode,
  recoveryCodeHash,
} from './secrets.ts'

describe('officer secrets', () => {
  it('makes officer ids that match the protocol’s pattern and never repeat', () => {
    const ids = Array.from({ length: 2000 }, newOfficerId)
    for (const id of ids) expect(id).toMatch(/^o_[0-7][0-9a-hjkmnp-tv-z]{25}$/)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('makes ten distinct recovery codes of 16 Crockford digits', () => {
    const codes = newRecoveryCodes()
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    for (const code of codes)
      expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}$/)
    expect(generatePassword()).toMatch(/^[0-9a-z]{5}(-[0-9a-z]{5}){3}$/)
  })

  it('reads a recovery code however it is typed, and only that code', async () => {
    const [code] = newRecoveryCodes()
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 19, maxLength: 19 }), async (upper) => {
        const typed = [...code!]
          .map((c, i) => (upper[i] ? c : c.toLowerCase()))
          .join('')
          .replaceAll('-', ' ')
          .replaceAll('0', 'O')
          .replaceAll('1', 'I')
        expect(await recoveryCodeHash('o_x', typed)).toBe(await recoveryCodeHash('o_x', code!))
      }),
      { numRuns: 50 },
    )
    expect(await recoveryCodeHash('o_y', code!)).not.toBe(await recoveryCodeHash('o_x', code!))
    expect(normalizeRecoveryCode('ABCD-EFGH')).not.toBe(normalizeRecoveryCode('ABCD-EFGJ'))
  })
})
