import { useTranslation } from 'react-i18next'

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

/** Where a list read one page at a time stands: its newest page (null) or a cursor's page. */
export type PageCursor = { before: string } | { after: string } | null

/** A page's cursors as the node answers them: absent or null where there is nothing further. */
interface PageCursors {
  readonly before?: string | null
  readonly after?: string | null
}

/** Newer, older and newest-page buttons of a list that opens at its newest page. */
export function Pager({
  label,
  cursor,
  cursors,
  onChange,
}: {
  label: string
  cursor: PageCursor
  cursors: PageCursors | undefined
  onChange: (cursor: PageCursor) => void
}) {
  const { t } = useTranslation()
  const after = cursors?.after
  const before = cursors?.before
  return (
    <nav className="row pager" aria-label={label}>
      <button
        type="button"
        disabled={after == null || cursor === null}
        onClick={() => after != null && onChange({ after })}
      >
        {t('notices.newer')}
      </button>
      <button
        type="button"
        disabled={before == null}
        onClick={() => before != null && onChange({ before })}
      >
        {t('notices.older')}
      </button>
      <button type="button" disabled={cursor === null} onClick={() => onChange(null)}>
        {t('notices.newest')}
      </button>
    </nav>
  )
}
