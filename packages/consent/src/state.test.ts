import { describe, expect, it } from 'vitest'
import type { ConsentConfig } from './config.ts'
import { everything, settle, uuid } from './state.ts'

const config: ConsentConfig = {
  revision: 1,
  receiptEndpoint: '/receipts',
  categories: [
    { id: 'necessary', services: [{ id: 'portal', name: 'Portal', cookies: [] }] },
    {
      id: 'performance',
      services: [
        { id: 'analytics', name: 'Analytics', cookies: [] },
        { id: 'heatmap', name: 'Heatmap', cookies: [] },
      ],
    },
    { id: 'sale', services: [{ id: 'broker', name: 'Broker', cookies: [] }] },
  ],
}

describe('a choice made whole', () => {
  it('keeps Strictly Necessary on even when everything is rejected', () => {
    expect(settle(config, everything(config, false), false)).toEqual({
      choices: {
        necessary: true,
        functional: false,
        performance: false,
        targeting: false,
        social: false,
        sale: false,
      },
      services: { portal: true, analytics: false, heatmap: false, broker: false },
    })
  })

  it('turns sale and sharing off under Global Privacy Control, whatever was allowed', () => {
    const { choices, services } = settle(config, everything(config, true), true)
    expect(choices).toEqual({
      necessary: true,
      functional: true,
      performance: true,
      targeting: false,
      social: false,
      sale: false,
    })
    expect(services).toEqual({ portal: true, analytics: true, heatmap: true, broker: false })
  })

  it('holds a category on while one of its services is, and no service beyond its category', () => {
    const one = settle(
      config,
      { choices: { performance: true }, services: { analytics: true, heatmap: false } },
      false,
    )
    expect(one.choices.performance).toBe(true)
    expect(one.services).toMatchObject({ analytics: true, heatmap: false })
    const none = settle(
      config,
      { choices: { performance: false }, services: { analytics: true, heatmap: true } },
      false,
    )
    expect(none.choices.performance).toBe(false)
    expect(none.services).toMatchObject({ analytics: false, heatmap: false })
  })
})

describe('consent ids', () => {
  it('are distinct version-4 UUIDs', () => {
    const ids = Array.from({ length: 50 }, uuid)
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }
    expect(new Set(ids).size).toBe(50)
  })
})
