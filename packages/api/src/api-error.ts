import { type Static, Type } from 'typebox'

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])

/**
 * What an error says beyond its message: scalar facts (`retryAfter`, `channel`, …) and lists of
 * records (every match of the release guard, say).
 */
export const ApiErrorDetailsSchema = Type.Record(
  Type.String(),
  Type.Union([Scalar, Type.Array(Type.Record(Type.String(), Scalar))]),
)

/** One error: its stable code (docs/errors.md), the message, and the details, when there are any. */
export const ApiErrorBodySchema = Type.Object({
  code: Type.String({ pattern: '^[A-Z][A-Z0-9_]+$' }),
  message: Type.String(),
  details: Type.Optional(ApiErrorDetailsSchema),
})
export type ApiErrorBody = Static<typeof ApiErrorBodySchema>

/** Every error answer of a Parley node: `{ "error": { "code", "message", "details"? } }`. */
export const ApiErrorSchema = Type.Object({ error: ApiErrorBodySchema })
export type ApiError = Static<typeof ApiErrorSchema>
