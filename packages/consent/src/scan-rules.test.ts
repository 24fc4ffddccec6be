import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Value } from 'typebox/value'
import { describe, expect, it } from 'vitest'
import { ConsentConfigSchema } from './config.ts'
import { categorise, type ScanRules, ScanRulesSchema } from './scan-rules.ts'

const rules: ScanRules = {
  services: { analytics: { name: 'Analytics' } },
  rules: [
    {
      pattern: 'parley_consent',
      storage: 'cookie',
      category: 'necessary',
      service: 'portal',
      purpose: { en: 'Consent' },
      expiry: { en: '180 days' },
    },
    {
      pattern: '_pa_*',
      category: 'performance',
      service: 'analytics',
      purpose: { en: 'Visits', ru: 'Посещения' },
      expiry: { en: '1 year' },
    },
  ],
}

describe('categorising what a scan observed', () => {
  it('files each item under the first rule that matches, in the preference center’s order', () => {
    const result = categorise(rules, [
      { name: '_pa_id', storage: 'cookie', beforeConsent: false },
      { name: '_pa_seen', storage: 'localStorage', beforeConsent: false },
      { name: 'parley_consent', storage: 'cookie', beforeConsent: false },
      { name: '_pa_id', storage: 'cookie', beforeConsent: false },
    ])
    expect(result.uncategorised).toEqual([])
    expect(result.beforeConsent).toEqual([])
    expect(result.categories).toEqual([
      {
        id: 'necessary',
        services: [
          {
            id: 'portal',
            name: 'portal',
            cookies: [
              {
                name: 'parley_consent',
                storage: 'cookie',
                purpose: { en: 'Consent' },
                expiry: { en: '180 days' },
              },
            ],
          },
        ],
      },
      {
        id: 'performance',
        services: [
          {
            id: 'analytics',
            name: 'Analytics',
            cookies: [
              {
                name: '_pa_id',
                storage: 'cookie',
                purpose: { en: 'Visits', ru: 'Посещения' },
                expiry: { en: '1 year' },
              },
              {
                name: '_pa_seen',
                storage: 'localStorage',
                purpose: { en: 'Visits', ru: 'Посещения' },
                expiry: { en: '1 year' },
              },
            ],
          },
        ],
      },
    ])
    expect(Value.Check(ConsentConfigSchema.properties.categories, result.categories)).toBe(true)
  })

  it('reports an item no rule matches, and a non-necessary one set before consent', () => {
    const result = categorise(rules, [
      { name: 'parley_consent', storage: 'localStorage', beforeConsent: false },
      { name: '_pa_id', storage: 'cookie', beforeConsent: true },
      { name: 'parley_consent', storage: 'cookie', beforeConsent: true },
    ])
    expect(result.uncategorised).toEqual([
      { name: 'parley_consent', storage: 'localStorage', beforeConsent: false },
    ])
    expect(result.beforeConsent).toEqual([
      { name: '_pa_id', storage: 'cookie', beforeConsent: true },
    ])
  })

  it('takes `*` as any run of characters and every other character literally', () => {
    const result = categorise(rules, [
      { name: '_pa_', storage: 'cookie', beforeConsent: false },
      { name: 'x_pa_id', storage: 'cookie', beforeConsent: false },
      { name: 'parley.consent', storage: 'cookie', beforeConsent: false },
    ])
    expect(result.uncategorised.map((i) => i.name)).toEqual(['x_pa_id', 'parley.consent'])
  })

  it('ships a default rules file for the portal that the schema accepts', async () => {
    const file = JSON.parse(
      await readFile(join(import.meta.dirname, '../rules/portal.json'), 'utf8'),
    )
    expect(Value.Check(ScanRulesSchema, file)).toBe(true)
    const result = categorise(file, [
      { name: 'parley_consent', storage: 'cookie', beforeConsent: true },
    ])
    expect(result.categories[0]?.services[0]?.name).toBe('Parley portal')
    expect(result.beforeConsent).toEqual([])
  })
})
