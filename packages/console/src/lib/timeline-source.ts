import type { EventView } from '@parley/api'
import { api } from './api.ts'

/** A page of a channel's timeline: events ascending, and cursors to the pages around it. */
export interface TimelinePage {
  readonly events: readonly EventView[]
  readonly cursors: { readonly before: string | null; readonly after: string | null }
}

/** Where to read from: the newest page (no cursor), or the page before or after a cursor. */
export type TimelineCursor = { readonly before: string } | { readonly after: string } | null

/**
 * Reads one page of a channel's timeline: the newest page (no cursor), or the page before or
 * after a cursor of an earlier page (`?limit=&before=&after=`, answering `cursors`). This is
 * the only function that knows how the node pages; the virtual list reads pages and cursors.
 */
export async function readTimelinePage(
  channel: string,
  cursor: TimelineCursor,
  limit = 200,
): Promise<TimelinePage> {
  const { events, cursors } = await api.getTimeline({
    params: { channel },
    query: { limit, ...(cursor ?? {}) },
  })
  return { events, cursors }
}
