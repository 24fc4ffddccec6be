import type { SignedEvent } from '@parley/protocol'

/** An event just committed on this node, local or received, as the live stream shows it. */
export interface CommittedEvent {
  readonly id: string
  readonly signed: SignedEvent
  /** True when a party hosted here authored it (so it must be delivered to peers). */
  readonly local: boolean
}

type Listener = (event: CommittedEvent) => void

/**
 * In-process fan-out of committed events: the live stream and the push workers listen.
 * Published only after the commit, so a listener never sees an event that could roll back.
 */
export class EventHub {
  readonly #listeners = new Set<Listener>()

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  publish(event: CommittedEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch {
        // One broken subscriber (a closed socket) must not stop delivery to the others.
      }
    }
  }
}
