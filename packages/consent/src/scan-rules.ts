import { type Static, Type } from 'typebox'
import { CATEGORIES } from './categories.ts'
import {
  type CategoryConfig,
  CategoryIdSchema,
  LocalizedSchema,
  type StorageKind,
  StorageKindSchema,
  type StoredItem,
} from './config.ts'

/** One rule: names it matches (`*` any run of characters), and what they are. */
export const ScanRuleSchema = Type.Object(
  {
    pattern: Type.String({ minLength: 1, description: 'A name, `*` matching any characters' }),
    storage: Type.Optional(StorageKindSchema),
    category: CategoryIdSchema,
    service: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
    purpose: LocalizedSchema,
    expiry: LocalizedSchema,
  },
  { additionalProperties: false },
)

/** The rules file: the first rule that matches an item categorises it. */
export const ScanRulesSchema = Type.Object(
  {
    services: Type.Record(
      Type.String(),
      Type.Object(
        { name: Type.String({ minLength: 1 }), description: Type.Optional(LocalizedSchema) },
        { additionalProperties: false },
      ),
      { description: 'Each service a rule names: how the preference center shows it' },
    ),
    rules: Type.Array(ScanRuleSchema),
  },
  { additionalProperties: false },
)

export type ScanRules = Static<typeof ScanRulesSchema>

/** A cookie or storage key the browser held, and whether it was there before consent. */
export interface ObservedItem {
  readonly name: string
  readonly storage: StorageKind
  readonly beforeConsent: boolean
}

/** What a scan makes of what it observed. */
export interface Categorised {
  /** The config's cookie list: every category with services, in the preference center's order. */
  readonly categories: CategoryConfig[]
  /** Items no rule matches: each fails the scan. */
  readonly uncategorised: ObservedItem[]
  /** Items set before any consent that are not strictly necessary: each fails the scan too. */
  readonly beforeConsent: ObservedItem[]
}

function glob(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${escaped.join('.*')}$`)
}

/** Sorts observed items into categories and services with the first rule each matches. */
export function categorise(rules: ScanRules, observed: readonly ObservedItem[]): Categorised {
  const compiled = rules.rules.map((rule) => ({ rule, test: glob(rule.pattern) }))
  const found = new Map<string, Map<string, StoredItem[]>>()
  const uncategorised: ObservedItem[] = []
  const beforeConsent: ObservedItem[] = []
  const seen = new Set<string>()
  for (const item of observed) {
    const key = `${item.storage}\0${item.name}`
    const match = compiled.find(
      ({ rule, test }) => (rule.storage ?? item.storage) === item.storage && test.test(item.name),
    )?.rule
    if (match === undefined) {
      if (!uncategorised.some((u) => u.storage === item.storage && u.name === item.name)) {
        uncategorised.push(item)
      }
      continue
    }
    if (item.beforeConsent && match.category !== 'necessary') beforeConsent.push(item)
    if (seen.has(key)) continue
    seen.add(key)
    const services = found.get(match.category) ?? new Map<string, StoredItem[]>()
    found.set(match.category, services)
    const items = services.get(match.service) ?? []
    services.set(match.service, items)
    items.push({
      name: item.name,
      storage: item.storage,
      purpose: match.purpose,
      expiry: match.expiry,
    })
  }
  const categories = CATEGORIES.filter((id) => found.has(id)).map((id) => ({
    id,
    services: [...found.get(id)!]
      .toSorted(([a], [b]) => a.localeCompare(b))
      .map(([service, cookies]) => {
        const known = rules.services[service]
        return {
          id: service,
          name: known?.name ?? service,
          ...(known?.description === undefined ? {} : { description: known.description }),
          cookies: cookies.toSorted((a, b) => a.name.localeCompare(b.name)),
        }
      }),
  }))
  return { categories, uncategorised, beforeConsent }
}
