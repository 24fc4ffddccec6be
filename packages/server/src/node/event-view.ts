import type { DeliveryState, EventView } from '@parley/api'
import type { StoredEvent } from '../ledger/index.ts'

export type { DeliveryState, EventView }

/** A stored event as the officer API shows it (`EventViewSchema` of `@parley/api`). */
export function toEventView(stored: StoredEvent, delivery?: DeliveryState[]): EventView {
  return {
    id: stored.id,
    event: stored.event,
    sig: stored.sig,
    receivedAt: stored.receivedAt,
    ...(delivery === undefined ? {} : { delivery }),
  }
}
