/** How far an officer has read a channel: the marker's event and its display position. */
export interface ReadMarkersTable {
  officer: string
  channel: string
  event_id: string
  order_time: number
  author: string
  seq: number
  updated_at: number
}

export interface ReadMarkerTables {
  read_markers: ReadMarkersTable
}
