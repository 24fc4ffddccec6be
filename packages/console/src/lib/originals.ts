import type { EventView } from '@parley/api'
import { api } from './api.ts'

/** A signed original as a forward carries it: the event and its signature, byte for byte. */
export type SignedOriginal = Pick<EventView, 'event' | 'sig'>

/**
 * The signed originals of events of a channel, in the order asked for, read newest first from
 * the channel's timeline (what is forwarded is usually recent). Undefined for an id not found:
 * the timeline is the only place the officer API hands out an event with its signature.
 */
export async function findOriginals(
  channel: string,
  ids: readonly string[],
): Promise<(SignedOriginal | undefined)[]> {
  const wanted = new Set(ids)
  const found = new Map<string, SignedOriginal>()
  for await (const view of api.pages(
    'getTimeline',
    { params: { channel } },
    { direction: 'backward', limit: 500 },
  )) {
    if (wanted.has(view.id)) found.set(view.id, { event: view.event, sig: view.sig })
    if (found.size === wanted.size) break
  }
  return ids.map((id) => found.get(id))
}

// TLP 2.0 as the protocol enforces it: RED is never forwarded, AMBER+STRICT never leaves the
// recipient party. The console says so before sending instead of after the node refuses.
const UNFORWARDABLE = new Set(['red', 'amber+strict'])

/** The first TLP marking anywhere in a body that forbids forwarding it, if any. */
export function unforwardableMarking(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const member of value) {
      const found = unforwardableMarking(member)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (value === null || typeof value !== 'object') return undefined
  for (const [key, member] of Object.entries(value)) {
    if (key === 'tlp' && typeof member === 'string' && UNFORWARDABLE.has(member)) return member
    const found = unforwardableMarking(member)
    if (found !== undefined) return found
  }
  return undefined
}
