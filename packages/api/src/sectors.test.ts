import { SectorSchema } from '@parley/protocol'
import { Value } from 'typebox/value'
import { describe, expect, it } from 'vitest'
import { CISA_SECTORS, LABEL_LANGUAGES, SHIPPED_TAXONOMIES, unknownSectors } from './sectors.ts'

describe('sector taxonomies', () => {
  it('ships the 16 CISA sectors as the default, with election infrastructure under government', () => {
    const top = CISA_SECTORS.sectors.filter((sector) => sector.parent === undefined)
    expect(top).toHaveLength(16)
    expect(CISA_SECTORS.sectors.find((s) => s.id === 'election-infrastructure')?.parent).toBe(
      'government-facilities',
    )
  })

  it('names every sector with an id the protocol accepts, once, labelled in every language', () => {
    for (const taxonomy of Object.values(SHIPPED_TAXONOMIES)) {
      const ids = taxonomy.sectors.map((sector) => sector.id)
      expect(new Set(ids).size).toBe(ids.length)
      for (const sector of taxonomy.sectors) {
        expect(Value.Check(SectorSchema, sector.id)).toBe(true)
        for (const language of LABEL_LANGUAGES)
          expect(sector.label[language].length).toBeGreaterThan(0)
        if (sector.parent !== undefined) expect(ids).toContain(sector.parent)
      }
    }
  })

  it('reports the sectors a taxonomy does not list, in order', () => {
    expect(unknownSectors(CISA_SECTORS, ['energy', 'finance', 'dams', 'space'])).toEqual([
      'finance',
      'space',
    ])
  })
})
