import { EventIdSchema } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { ChannelParams } from './channels.ts'
import { operation } from './operation.ts'

/** Unread counts stop at this many: a count reads the index up to it, never the whole log. */
export const UNREAD_COUNT_MAX = 1000

/** Where an officer has read a channel up to, and what is left. */
export const ReadMarkerSchema = Type.Object({
  channel: Type.String(),
  /** The last event read, in display order; null before the officer read any. */
  upTo: Type.Union([EventIdSchema, Type.Null()]),
  unread: Type.Integer({
    minimum: 0,
    maximum: UNREAD_COUNT_MAX,
    description: `Events after upTo in display order, counted up to ${UNREAD_COUNT_MAX} ("${UNREAD_COUNT_MAX} or more")`,
  }),
})
export type ReadMarker = Static<typeof ReadMarkerSchema>

/** An officer's read marker per channel (issue 12). */
export const readMarkerOperations = {
  markRead: operation({
    method: 'PUT',
    path: '/channels/:channel/read',
    tags: ['channels'],
    summary: 'Mark the channel read up to an event; a marker never moves backwards',
    auth: 'officer',
    params: ChannelParams,
    body: Type.Object({ upTo: EventIdSchema }, { additionalProperties: false }),
    responses: { 200: ReadMarkerSchema },
    errors: ['CHANNEL_FORBIDDEN', 'CHANNEL_NOT_FOUND', 'READ_MARKER_EVENT_UNKNOWN'],
  }),
}
