import { CATEGORIES, type CategoryId, NECESSARY, SALE_OR_SHARING } from './categories.ts'
import type { ConsentConfig } from './config.ts'

/** A visitor's choice, as the consent cookie keeps it and `ParleyConsent.get()` returns it. */
export interface ConsentState {
  readonly consentId: string
  readonly revision: number
  readonly choices: Record<CategoryId, boolean>
  readonly services: Record<string, boolean>
  readonly gpc: boolean
}

/** Whether a category can be switched on in this browser: never with Global Privacy Control. */
export function locked(category: CategoryId, gpc: boolean): boolean {
  return gpc && SALE_OR_SHARING.includes(category)
}

/**
 * A choice made whole: Strictly Necessary on, the locked categories off, each service no more
 * than its category allows, and a category with services on only while one of them is.
 */
export function settle(
  config: ConsentConfig,
  draft: { choices: Partial<Record<CategoryId, boolean>>; services: Record<string, boolean> },
  gpc: boolean,
): Pick<ConsentState, 'choices' | 'services'> {
  const choices = {} as Record<CategoryId, boolean>
  const services: Record<string, boolean> = {}
  for (const id of CATEGORIES) {
    const allowed = id === NECESSARY || (draft.choices[id] === true && !locked(id, gpc))
    const own = config.categories.find((c) => c.id === id)?.services ?? []
    for (const service of own) {
      services[service.id] = id === NECESSARY || (allowed && draft.services[service.id] !== false)
    }
    choices[id] = own.length > 0 && id !== NECESSARY ? own.some((s) => services[s.id]) : allowed
  }
  return { choices, services }
}

/** Every category on (or off), and with it every service. */
export function everything(config: ConsentConfig, on: boolean) {
  const services: Record<string, boolean> = {}
  for (const category of config.categories) {
    for (const service of category.services) services[service.id] = on
  }
  return { choices: Object.fromEntries(CATEGORIES.map((id) => [id, on])), services }
}

/** A random version-4 UUID; `crypto.randomUUID` wants a secure context, this does not. */
export function uuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
