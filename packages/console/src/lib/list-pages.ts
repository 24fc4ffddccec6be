import { PAGE_DEFAULT_LIMIT, type PageCursors, type PageQuery } from '@parley/api'
import { type InfiniteData, useInfiniteQuery } from '@tanstack/react-query'

/** One page of a list as the node answers it, its items under their own key taken out. */
export interface ListPage<T> {
  readonly items: readonly T[]
  readonly cursors: PageCursors
}

export interface ListPagesOptions {
  /**
   * `backward` (the default): the newest page first, older ones as the reader asks for more,
   * items newest first; `forward`: the first page of the list's order first (officers by
   * username), items in that order.
   */
  readonly direction?: 'forward' | 'backward'
  /** Items per page (the node's default when left out). */
  readonly limit?: number
}

/**
 * A paged list of the officer API read a page at a time, as the timeline is: `data` holds the
 * items of the pages read so far, in display order, `hasNextPage` says whether there are more
 * and `fetchNextPage` reads them (a "more" button, or a scroll). Invalidating `queryKey`
 * reads the pages shown again, so an item added or changed meanwhile shows.
 */
export function useListPages<T>(
  queryKey: readonly unknown[],
  read: (query: PageQuery) => Promise<ListPage<T>>,
  { direction = 'backward', limit = PAGE_DEFAULT_LIMIT }: ListPagesOptions = {},
) {
  return useInfiniteQuery<ListPage<T>, Error, T[], readonly unknown[], string | null>({
    queryKey,
    initialPageParam: null,
    queryFn: ({ pageParam }) =>
      read({
        limit,
        ...(pageParam === null
          ? direction === 'forward'
            ? { from: 'oldest' }
            : {}
          : direction === 'forward'
            ? { after: pageParam }
            : { before: pageParam }),
      }),
    getNextPageParam: (last) =>
      direction === 'forward'
        ? // A page shorter than asked for was the list's end when it was read.
          last.items.length < limit
          ? undefined
          : (last.cursors.after ?? undefined)
        : (last.cursors.before ?? undefined),
    select: (data: InfiniteData<ListPage<T>, string | null>) =>
      data.pages.flatMap((page) =>
        direction === 'forward' ? [...page.items] : page.items.toReversed(),
      ),
  })
}
