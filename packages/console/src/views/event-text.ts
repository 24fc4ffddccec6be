import type { EventView } from '@parley/api'
import type { TFunction } from 'i18next'

type Body = Record<string, unknown>

/** One line about an event, for lists: its text or title, else what kind of event it is. */
export function summary(t: TFunction, view: EventView): string {
  const body = view.event.body as Body
  for (const field of ['text', 'subject', 'title', 'summary', 'note']) {
    const value = body[field]
    if (typeof value === 'string') return value.slice(0, 160)
  }
  return t(`type.${view.event.type}`, { defaultValue: view.event.type })
}
