import { isApiRequestError } from '@parley/api'
import type { TFunction } from 'i18next'

/**
 * What to tell an officer about a refusal: the console's own words for the codes it expects,
 * in the chosen language, else the node's message (English) with its code.
 */
export function describeError(t: TFunction, error: unknown): string {
  if (!isApiRequestError(error)) return t('error.network')
  const details = (error.details ?? {}) as Record<string, unknown>
  const key = `error.${error.code}`
  // Lock-outs count seconds; people read minutes.
  const minutes =
    typeof details.retryAfter === 'number' ? Math.ceil(details.retryAfter / 60) : undefined
  const known = t(key, { ...details, minutes, defaultValue: '' })
  return known === '' ? `${error.body.error.message} (${error.code})` : known
}
