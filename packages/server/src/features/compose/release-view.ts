import { type Static, Type } from 'typebox'

export const ReleaseStatusSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('approved'),
  Type.Literal('released'),
  Type.Literal('rejected'),
])

/** A release queue item as the API shows it. */
export const ReleaseSchema = Type.Object({
  id: Type.String({ pattern: '^r_[0-9a-z]{26}$' }),
  channel: Type.String(),
  party: Type.String(),
  type: Type.String(),
  body: Type.Unknown(),
  drafter: Type.String({ description: 'The officer who composed it; the event carries this id' }),
  createdAt: Type.Integer(),
  status: ReleaseStatusSchema,
  decidedBy: Type.Union([Type.String(), Type.Null()]),
  decidedAt: Type.Union([Type.Integer(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  event: Type.Union([Type.String(), Type.Null()], { description: 'The released event’s id' }),
})
export type ReleaseView = Static<typeof ReleaseSchema>
