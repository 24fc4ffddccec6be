import { PAGE_DEFAULT_LIMIT, type PageCursors, type PageQuery } from '@parley/api'
import { type RawBuilder, sql } from 'kysely'
import { ServerError } from '../errors.ts'

/** One column of a keyset position, as its cursor carries it. */
export type KeyValue = string | number
export type KeyKind = 'int' | 'text'

/**
 * How one list is paged: the columns of its order (ascending, unique together and covered by
 * an index, so a page reads `limit` rows whatever the list's length) and the scope a cursor
 * belongs to (`timeline:<channel>`), so a cursor of another list or channel is refused.
 */
export interface Keyset<Row> {
  readonly scope: string
  readonly columns: readonly string[]
  readonly kinds: readonly KeyKind[]
  readonly key: (row: Row) => readonly KeyValue[]
}

/** How to read rows: `where` (a row comparison, or none) in `direction`, `limit` rows. */
export type PageFetch<Row> = (
  where: RawBuilder<boolean> | undefined,
  direction: 'asc' | 'desc',
  limit: number,
) => Promise<Row[]>

export interface Page<Row> {
  readonly items: Row[]
  readonly cursors: PageCursors
}

/** An opaque cursor: base64url of the scope and the keyset position. */
export function encodeCursor(scope: string, key: readonly KeyValue[]): string {
  return Buffer.from(JSON.stringify([scope, ...key]), 'utf8').toString('base64url')
}

/** The keyset position a cursor of `keyset` holds; 400 `PAGE_CURSOR_INVALID` otherwise. */
export function decodeCursor<Row>(keyset: Keyset<Row>, cursor: string): KeyValue[] {
  const refuse = (reason: string): never => {
    throw new ServerError('PAGE_CURSOR_INVALID', {
      cursor: cursor.length > 64 ? `${cursor.slice(0, 64)}…` : cursor,
      reason,
    })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    return refuse('not a cursor')
  }
  if (!Array.isArray(parsed) || parsed.length !== keyset.columns.length + 1) {
    return refuse('not a cursor')
  }
  const [scope, ...key] = parsed as unknown[]
  if (scope !== keyset.scope) return refuse('it belongs to another list')
  for (const [i, value] of key.entries()) {
    const ok =
      keyset.kinds[i] === 'int'
        ? Number.isSafeInteger(value)
        : typeof value === 'string' && value.length <= 256
    if (!ok) return refuse('not a cursor')
  }
  return key as KeyValue[]
}

/**
 * One page of a keyset-ordered list (the shared query and answer of `@parley/api`'s
 * `page.ts`): items ascending, and the cursors of the pages before and after. Reads `limit + 1`
 * rows from an index, never the whole list. `after` is the position of the page's last item
 * even on the newest page, so a reader can ask again later for what came since; `before` is
 * null once the page starts the list.
 */
export async function readPage<Row>(
  keyset: Keyset<Row>,
  query: PageQuery,
  fetch: PageFetch<Row>,
): Promise<Page<Row>> {
  if (query.before !== undefined && query.after !== undefined) {
    throw new ServerError('PAGE_CURSORS_CONFLICT')
  }
  const limit = query.limit ?? PAGE_DEFAULT_LIMIT
  const cursor = (row: Row) => encodeCursor(keyset.scope, keyset.key(row))
  const compare = (op: '<' | '>', key: readonly KeyValue[]) =>
    sql<boolean>`(${sql.join(keyset.columns.map((c) => sql.ref(c)))}) ${sql.raw(op)} (${sql.join(
      key.map((value) => sql.val(value)),
    )})`

  if (query.after !== undefined || (query.before === undefined && query.from === 'oldest')) {
    const from = query.after === undefined ? undefined : decodeCursor(keyset, query.after)
    const rows = await fetch(from === undefined ? undefined : compare('>', from), 'asc', limit + 1)
    const more = rows.length > limit
    const items = more ? rows.slice(0, limit) : rows
    return {
      items,
      cursors: {
        before:
          items.length > 0
            ? from === undefined
              ? null
              : cursor(items[0]!)
            : (query.after ?? null),
        after: items.length > 0 ? cursor(items.at(-1)!) : (query.after ?? null),
      },
    }
  }
  const from = query.before === undefined ? undefined : decodeCursor(keyset, query.before)
  const rows = await fetch(from === undefined ? undefined : compare('<', from), 'desc', limit + 1)
  const more = rows.length > limit
  const items = (more ? rows.slice(0, limit) : rows).reverse()
  return {
    items,
    cursors: {
      before: more ? cursor(items[0]!) : null,
      after: items.length > 0 ? cursor(items.at(-1)!) : null,
    },
  }
}

/**
 * A {@link PageFetch} for a list the caller sees only part of (an officer's compartments):
 * reads on past the rows `keep` drops until the page is full or the list ends, so a page holds
 * `limit` visible rows, never fewer while more are there. Costs the rows read, which is
 * `limit` when most rows are visible.
 */
export function keptOnly<Row>(
  keyset: Keyset<Row>,
  fetch: PageFetch<Row>,
  keep: (rows: Row[]) => Promise<Row[]>,
): PageFetch<Row> {
  return async (where, direction, limit) => {
    const kept: Row[] = []
    let from = where
    for (;;) {
      const rows = await fetch(from, direction, limit)
      kept.push(...(await keep(rows)))
      if (kept.length >= limit || rows.length < limit) return kept.slice(0, limit)
      const last = keyset.key(rows.at(-1)!)
      from = sql<boolean>`(${sql.join(keyset.columns.map((c) => sql.ref(c)))}) ${sql.raw(
        direction === 'asc' ? '>' : '<',
      )} (${sql.join(last.map((value) => sql.val(value)))})`
    }
  }
}
