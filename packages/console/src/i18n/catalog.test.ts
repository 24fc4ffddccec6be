import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROLES } from '@parley/api'
import { EVENT_TYPES } from '@parley/protocol'
import { describe, expect, it } from 'vitest'
import { en } from './en.ts'
import { ru } from './ru.ts'

const PLURAL = /_(zero|one|two|few|many|other)$/
// The plural forms i18next asks for, by language (Intl.PluralRules).
const FORMS = {
  en: new Intl.PluralRules('en').resolvedOptions().pluralCategories,
  ru: new Intl.PluralRules('ru').resolvedOptions().pluralCategories,
}

function flatten(tree: object, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>()
  for (const [name, value] of Object.entries(tree)) {
    const key = prefix === '' ? name : `${prefix}.${name}`
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of flatten(value, key)) out.set(k, v)
    } else out.set(key, value)
  }
  return out
}

/** Base keys (plural suffix taken off), each with the plural forms it has. */
function keysOf(catalog: object): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>()
  for (const key of flatten(catalog).keys()) {
    const form = PLURAL.exec(key)?.[1]
    const base = key.replace(PLURAL, '')
    const forms = keys.get(base) ?? new Set<string>()
    if (form !== undefined) forms.add(form)
    keys.set(base, forms)
  }
  return keys
}

const catalogs = { en, ru }
const english = keysOf(en)

describe('the console speaks English and Russian, every string of it', () => {
  for (const [lang, catalog] of Object.entries(catalogs) as [keyof typeof FORMS, object][]) {
    it(`${lang}: no key is missing, none is empty, plurals have every form`, () => {
      const keys = keysOf(catalog)
      expect([...english.keys()].filter((key) => !keys.has(key))).toEqual([])
      expect([...keys.keys()].filter((key) => !english.has(key))).toEqual([])
      const empty = [...flatten(catalog)].filter(
        ([, v]) => typeof v !== 'string' || v.trim() === '',
      )
      expect(empty.map(([k]) => k)).toEqual([])
      for (const [key, forms] of keys) {
        if (forms.size === 0) continue
        expect(
          [...FORMS[lang]].filter((f) => !forms.has(f)),
          `${lang} ${key}`,
        ).toEqual([])
      }
    })
  }

  it('every key the source names exists', () => {
    const groups = new Set(Object.keys(en))
    const used = new Set<string>()
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name)
        if (entry.isDirectory()) walk(path)
        else if (
          /\.tsx?$/.test(entry.name) &&
          !entry.name.endsWith('.test.ts') &&
          !path.includes('i18n')
        ) {
          for (const [, key] of readFileSync(path, 'utf8').matchAll(
            /['"]([a-z][A-Za-z]*(?:\.[A-Za-z_]+)+)['"]/g,
          )) {
            if (groups.has(key!.split('.')[0]!)) used.add(key!)
          }
        }
      }
    }
    walk(join(import.meta.dirname, '..'))
    expect(used.size).toBeGreaterThan(100)
    expect([...used].filter((key) => !english.has(key))).toEqual([])
  })

  it('keys built at run time cover every value they are built from', () => {
    const missing = [
      ...EVENT_TYPES.map((type) => `type.${type}`),
      ...ROLES.map((role) => `role.${role}`),
      ...['totp', 'passkey', 'recovery'].map((f) => `signIn.factor.${f}`),
      ...['connecting', 'live', 'down'].map((s) => `stream.${s}`),
      ...['diplomatic', 'technical'].map((k) => `directory.kinds.${k}`),
      ...['notices', 'redlines', 'drafts'].flatMap((v) => [`nav.${v}`, `unavailable.${v}`]),
    ].filter((key) => !english.has(key))
    expect(missing).toEqual([])
  })
})
