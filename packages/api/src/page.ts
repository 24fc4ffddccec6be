import { type Static, type TSchema, Type } from 'typebox'

/** What a page's query can be refused with besides the schema's REQUEST_INVALID. */
export const PAGE_ERRORS = ['PAGE_CURSORS_CONFLICT', 'PAGE_CURSOR_INVALID'] as const

/** Items in a page when the query names no `limit`. */
export const PAGE_DEFAULT_LIMIT = 100
/** Most items one page holds: the size of one federation log read (DESIGN §4.6). */
export const PAGE_MAX_LIMIT = 500

const Cursor = Type.String({
  minLength: 1,
  maxLength: 1024,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'An opaque cursor from `cursors` of an earlier page of the same list',
})

/**
 * The query of every list that grows: at most one of `before` and `after` (both: 400
 * `PAGE_CURSORS_CONFLICT`); a malformed cursor, or one another list or channel handed out, is
 * 400 `PAGE_CURSOR_INVALID`. With neither, the newest page, or the oldest with `from=oldest`.
 */
export const PageQuerySchema = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: PAGE_MAX_LIMIT,
        description: `Items per page, 1 to ${PAGE_MAX_LIMIT} (default ${PAGE_DEFAULT_LIMIT})`,
      }),
    ),
    before: Type.Optional(Cursor),
    after: Type.Optional(Cursor),
    from: Type.Optional(
      Type.Literal('oldest', {
        description: 'Without a cursor: the oldest page instead of the newest',
      }),
    ),
  },
  { additionalProperties: false },
)
export type PageQuery = Static<typeof PageQuerySchema>

/**
 * Where to read on from a page: `before` for the page of older items (null when this page
 * starts the list), `after` for the page of newer ones: the position of this page's last item,
 * so it is there on the newest page too, to ask later for what came since (null only for an
 * empty list). A page shorter than its `limit` was the newest when it was read.
 */
export const PageCursorsSchema = Type.Object({
  before: Type.Union([Type.String(), Type.Null()]),
  after: Type.Union([Type.String(), Type.Null()]),
})
export type PageCursors = Static<typeof PageCursorsSchema>

/**
 * A page of a list: the list under its own key (`events`, `entries`, …), items oldest first,
 * and the cursors to the pages beside it.
 */
export function pageOf<const K extends string, S extends TSchema>(key: K, item: S) {
  return Type.Object({
    ...({ [key]: Type.Array(item) } as { [P in K]: ReturnType<typeof Type.Array<S>> }),
    cursors: PageCursorsSchema,
  })
}

/** A querystring of a list with filters of its own besides the page's. */
export function pageQueryWith<P extends Record<string, TSchema>>(properties: P) {
  return Type.Object(
    { ...PageQuerySchema.properties, ...properties },
    { additionalProperties: false },
  )
}
