import type { ChannelView, EventView } from '@parley/api'
import { useQueries, useQuery } from '@tanstack/react-query'
import { useSyncExternalStore } from 'react'
import { api } from './api.ts'
import { readTimelinePage } from './timeline-source.ts'

/** The node, its parties and its peers' reachability; polled, so a banner appears within seconds. */
export function useNode() {
  return useQuery({ queryKey: ['node'], queryFn: () => api.getNode(), refetchInterval: 3_000 })
}

export function useChannels() {
  return useQuery({
    queryKey: ['channels'],
    queryFn: async () => (await api.listChannels()).channels,
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

/** The newest page of every channel, for the inbox's counts and flash items. */
export function useTimelines(channels: readonly ChannelView[]) {
  return useQueries({ queries: channels.map((c) => timelineQuery(c.id)) })
}

// Read markers, kept in this browser until the node keeps them (PUT /channels/:channel/read).
const READ_KEY = 'parley.read'
const listeners = new Set<() => void>()
let marks: Record<string, string[]> = load()

function load(): Record<string, string[]> {
  try {
    return JSON.parse(globalThis.localStorage?.getItem(READ_KEY) ?? '{}') as Record<
      string,
      string[]
    >
  } catch {
    return {}
  }
}

/** Records that the officer has seen these events (opened their channel). */
export function markSeen(channel: string, ids: readonly string[]): void {
  const before = new Set(marks[channel] ?? [])
  if (ids.every((id) => before.has(id))) return
  for (const id of ids) before.add(id)
  marks = { ...marks, [channel]: [...before] }
  globalThis.localStorage?.setItem(READ_KEY, JSON.stringify(marks))
  for (const listener of listeners) listener()
}

export function useSeen(): Record<string, string[]> {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    () => marks,
  )
}

/** Events of other parties the officer has not seen yet. */
export function unseen(
  events: readonly EventView[],
  seen: readonly string[] | undefined,
  own: ReadonlySet<string>,
): EventView[] {
  const known = new Set(seen ?? [])
  return events.filter((e) => !own.has(e.event.author) && !known.has(e.id))
}

/** Whether an event is flash: a message or notice that must not be missed. */
export function isFlash(view: EventView): boolean {
  return (view.event.body as { urgency?: unknown }).urgency === 'flash'
}
