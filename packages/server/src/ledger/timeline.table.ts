/** An event's place in its channel's display order (see `timeline-order.ts`). */
export interface TimelineEntriesTable {
  event_id: string
  channel: string
  /** The event's time, raised past its prev and past every held event its heads cite. */
  order_time: number
  author: string
  seq: number
}

/** A heads entry that cites an event this node does not hold yet. */
export interface TimelineWaitsTable {
  channel: string
  party: string
  seq: number
  cited_id: string
  waiting_event: string
}

export interface TimelineTables {
  timeline_entries: TimelineEntriesTable
  timeline_waits: TimelineWaitsTable
}
