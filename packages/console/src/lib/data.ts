import type { ChannelView, EventView } from '@parley/api'
import {
  type InfiniteData,
  type QueryClient,
  useInfiniteQuery,
  useQueries,
  useQuery,
} from '@tanstack/react-query'
import { api } from './api.ts'
import { useListPages } from './list-pages.ts'
import { readTimelinePage, type TimelineCursor, type TimelinePage } from './timeline-source.ts'

/** The node, its parties and its peers' reachability; polled, so a banner appears within seconds. */
export function useNode() {
  return useQuery({ queryKey: ['node'], queryFn: () => api.getNode(), refetchInterval: 3_000 })
}

/**
 * The channels of the officer's compartments, newest first: the newest page, and older ones
 * as the officer asks for more (`fetchNextPage`).
 */
export function useChannels() {
  return useListPages(['channels'], async (query) => {
    const page = await api.listChannels({ query })
    return { items: page.channels, cursors: page.cursors }
  })
}

const timelineQuery = (channel: string) => ({
  queryKey: ['timeline', channel],
  queryFn: () => readTimelinePage(channel, null),
})

/**
 * A channel's timeline. The stream brings new events; receipts are no events, so while any
 * item still waits for a recipient the timeline is read again every two seconds, and its proof
 * moves from queued to delivered without a reload.
 */
export function useTimeline(channel: string) {
  return useQuery({
    ...timelineQuery(channel),
    refetchInterval: (query) =>
      query.state.data?.events.some((view) => view.delivery?.some((d) => d.state !== 'delivered'))
        ? 2_000
        : false,
  })
}

/** Events per page the timeline reads as it scrolls back. */
export const PAGE_SIZE = 200

/**
 * A channel's timeline as the pages read so far: the newest page first, then older pages
 * before it as the list scrolls up (`before` cursors), and newer ones after it (`after`
 * cursors) when the stream says the channel moved or comes back after a break. Delivery
 * proofs are kept fresh by `useTimeline`'s newest page, not by reading every page again.
 */
export function useTimelinePages(channel: string) {
  return useInfiniteQuery<
    TimelinePage,
    Error,
    InfiniteData<TimelinePage, TimelineCursor>,
    readonly unknown[],
    TimelineCursor
  >({
    queryKey: ['pages', channel],
    initialPageParam: null,
    queryFn: ({ pageParam }) => readTimelinePage(channel, pageParam, PAGE_SIZE),
    getPreviousPageParam: (first) =>
      first.cursors.before === null ? undefined : { before: first.cursors.before },
    // An empty page read after the newest item hands back no cursor of its own: read on from
    // the last page that had one.
    getNextPageParam: (_last, pages) => {
      for (let i = pages.length - 1; i >= 0; i--) {
        const after = pages[i]!.cursors.after
        if (after !== null) return { after }
      }
      return undefined
    },
    // Pages once read only grow at their ends; reading them all again would cost one request
    // per page at every tick.
    staleTime: Number.POSITIVE_INFINITY,
    // A page put before the others shifts every index, so structural sharing would compare
    // each page read so far, event by event, with its neighbour: a long task per page once
    // thousands are read. The pages already read keep their references without it.
    structuralSharing: false,
  })
}

const MOVED = 'parley:channel-moved'

/** Tells the open timeline that its channel has new events (or may have: after a break). */
export function channelMoved(client: QueryClient, channel: string | null): void {
  if (channel === null) void client.invalidateQueries({ queryKey: ['timeline'] })
  else void client.invalidateQueries({ queryKey: ['timeline', channel] })
  globalThis.dispatchEvent?.(new CustomEvent(MOVED, { detail: channel }))
}

/** Runs `read` whenever `channel` moved (null: every channel, as after a reconnect). */
export function onChannelMoved(channel: string, read: () => void): () => void {
  const listener = (event: Event) => {
    const moved = (event as CustomEvent<string | null>).detail
    if (moved === null || moved === channel) read()
  }
  globalThis.addEventListener(MOVED, listener)
  return () => globalThis.removeEventListener(MOVED, listener)
}

/** The newest page of every channel, for the inbox's counts and flash items. */
export function useTimelines(channels: readonly ChannelView[]) {
  return useQueries({ queries: channels.map((c) => timelineQuery(c.id)) })
}

/**
 * The events after the officer's read marker that this newest page holds: the node counts
 * `unread` in display order, so they are the page's last `unread` events. Those of the
 * officer's own parties are left out: nobody needs to be told of their own words.
 */
export function unread(
  channel: ChannelView,
  newest: readonly EventView[],
  own: ReadonlySet<string>,
): EventView[] {
  const count = channel.unread ?? 0
  if (count === 0) return []
  return newest.slice(-count).filter((view) => !own.has(view.event.author))
}

/**
 * Moves the officer's read marker on the node up to an event they have seen, so every other
 * browser of theirs agrees. The node never moves a marker backwards.
 */
export async function markRead(client: QueryClient, channel: string, upTo: string): Promise<void> {
  await api.markRead({ params: { channel }, body: { upTo } })
  await client.invalidateQueries({ queryKey: ['channels'] })
}

/** Whether an event is flash: a message or notice that must not be missed. */
export function isFlash(view: EventView): boolean {
  return (view.event.body as { urgency?: unknown }).urgency === 'flash'
}
