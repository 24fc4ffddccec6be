import { EventSchema, SignatureSchema } from '@parley/protocol'
import { type Static, Type } from 'typebox'

/** Where an event stands with one recipient node (DESIGN §4.7). */
export const DeliveryStateSchema = Type.Object({
  node: Type.Union([Type.String(), Type.Null()]),
  url: Type.String(),
  parties: Type.Array(Type.String()),
  state: Type.Union([
    Type.Literal('queued'),
    Type.Literal('delivered'),
    Type.Literal('failed-retrying'),
    Type.Literal('rejected'),
  ]),
  /** Receipt time (`receivedAt` of the peer's signed receipt), when delivered. */
  receiptAt: Type.Optional(Type.Integer()),
  /** Since when delivery to this node has been failing, when failed-retrying. */
  since: Type.Optional(Type.Integer()),
  lastError: Type.Optional(Type.String()),
  /** The peer's code, when it refused the event for good. */
  code: Type.Optional(Type.String()),
})
export type DeliveryState = Static<typeof DeliveryStateSchema>

/** An event as the officer API shows it: the signed original, and local facts about it. */
export const EventViewSchema = Type.Object({
  id: Type.String(),
  event: EventSchema,
  sig: SignatureSchema,
  receivedAt: Type.Integer(),
  delivery: Type.Optional(Type.Array(DeliveryStateSchema)),
})
export type EventView = Static<typeof EventViewSchema>
