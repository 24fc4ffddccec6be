import { missingFields } from '@parley/api'
import { describe, expect, it } from 'vitest'
import type { NodeContext } from '../../node/context.ts'
import type { Item } from '../compose/compose.service.ts'
import { noticeRules, sectorTaxonomy } from './notice-rules.ts'
import { percentile } from './notices.service.ts'
import { nextWeekly } from './pings.service.ts'

const open = (body: Record<string, unknown>): Item => ({
  channel: 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YZ',
  party: 'usa',
  type: 'notice.open',
  body: { subject: 'S', lang: 'en', urgency: 'routine', tlp: 'green', ...body },
  drafter: 'o_12345678',
})
// The notice.open rule reads no table: it checks the body against the template and taxonomy.
const node = undefined as unknown as NodeContext

describe('the notice template rule', () => {
  it('names every field a kind requires and leaves out', () => {
    expect(missingFields({ kind: 'incident', sectors: [] } as never)).toEqual([
      'severity',
      'sectors',
      'observedActivity',
    ])
    expect(missingFields({ kind: 'ping' } as never)).toEqual([])
  })

  it('checks sectors against the configured taxonomy: CISA by default, NIS2, or the node’s own', async () => {
    const incident = (sectors: string[]) =>
      open({
        kind: 'incident',
        severity: 2,
        sectors,
        observedActivity: { description: 'x' },
      })
    const [cisa] = noticeRules(sectorTaxonomy(undefined))
    await expect(cisa!.check(node, incident(['energy']))).resolves.toBeUndefined()
    await expect(cisa!.check(node, incident(['space']))).rejects.toMatchObject({
      code: 'SECTOR_UNKNOWN',
      details: { taxonomy: 'cisa', sectors: 'space' },
    })
    const [nis2] = noticeRules(sectorTaxonomy({ taxonomy: 'nis2' }))
    await expect(nis2!.check(node, incident(['space']))).resolves.toBeUndefined()
    const [own] = noticeRules(
      sectorTaxonomy({ custom: [{ id: 'ports', label: { en: 'Ports', ru: 'Порты' } }] }),
    )
    await expect(own!.check(node, incident(['ports']))).resolves.toBeUndefined()
    await expect(own!.check(node, incident(['energy']))).rejects.toMatchObject({
      code: 'SECTOR_UNKNOWN',
      details: { taxonomy: 'custom' },
    })
  })
})

describe('ping schedules and statistics', () => {
  it('finds the next UTC weekday and time at or after a moment', () => {
    // Monday 2026-01-05.
    const monday10 = Date.UTC(2026, 0, 5, 10, 0)
    expect(nextWeekly(Date.UTC(2026, 0, 5, 9, 0), { weekday: 1, hour: 10, minute: 0 })).toBe(
      monday10,
    )
    expect(nextWeekly(monday10, { weekday: 1, hour: 10, minute: 0 })).toBe(monday10)
    expect(nextWeekly(monday10 + 1, { weekday: 1, hour: 10, minute: 0 })).toBe(
      monday10 + 7 * 86_400_000,
    )
    // Sunday from Monday, across a month and a year's end.
    expect(nextWeekly(Date.UTC(2025, 11, 29, 12), { weekday: 0, hour: 8, minute: 30 })).toBe(
      Date.UTC(2026, 0, 4, 8, 30),
    )
  })

  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 0.5)).toBeNull()
    expect(percentile([7], 0.9)).toBe(7)
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2)
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9)
  })
})
