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
 * Reads one page of a channel's timeline. This is the only function that knows how the node
 * pages: the cursor-paged route (`?limit=&before=&after=`, answering `cursors`) once it is on
 * the node, and until then the whole timeline as one page, which is what the route answers
 * today. The virtual list reads pages and cursors only.
 */
export async function readTimelinePage(
  channel: string,
  cursor: TimelineCursor,
  _limit = 200,
): Promise<TimelinePage> {
  if (cursor !== null) return { events: [], cursors: { before: null, after: null } }
  const { events } = await api.getTimeline({ params: { channel } })
  return { events, cursors: { before: null, after: null } }
}
