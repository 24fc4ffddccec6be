/** What a list read a page at a time (`useListPages`) offers a "more" button. */
interface PagedList {
  readonly hasNextPage: boolean
  readonly isFetchingNextPage: boolean
  fetchNextPage(): Promise<unknown>
}

/** Reads the next page of a paged list; there only while the list has more. */
export function MoreButton({ list, label }: { list: PagedList; label: string }) {
  if (!list.hasNextPage) return null
  return (
    <button
      type="button"
      disabled={list.isFetchingNextPage}
      onClick={() => void list.fetchNextPage()}
    >
      {label}
    </button>
  )
}
