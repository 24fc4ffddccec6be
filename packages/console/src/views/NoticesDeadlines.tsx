import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { api } from '../lib/api.ts'
import { describeError } from '../lib/errors.ts'
import { useLabels } from '../lib/labels.ts'
import { Countdown } from './Countdown.tsx'
import { openDeadlines, useDeadlineName } from './NoticesShared.tsx'

/** Deadlines due within this window are listed in the inbox as soon due. */
const WINDOW_MS = 24 * 3_600_000

/**
 * The inbox's deadlines: every overdue one, then those due within 24 h, each counting down on
 * its own (the list itself renders only when the node's answer changes).
 */
export function InboxDeadlines() {
  const { t } = useTranslation()
  const L = useLabels()
  const name = useDeadlineName()
  const overdue = useQuery({
    queryKey: ['notices', 'overdue'],
    queryFn: async () => (await api.listOverdueNotices()).notices,
    refetchInterval: 5_000,
  })
  const open = useQuery({
    queryKey: ['notices', 'list', { limit: 200, open: true }],
    queryFn: async () => (await api.listNotices({ query: { limit: 200 } })).notices,
    refetchInterval: 5_000,
  })
  const seen = new Set<string>()
  const rows = openDeadlines([...(overdue.data ?? []), ...(open.data ?? [])]).filter((row) => {
    const key = `${row.notice.id}:${row.party}:${row.name}`
    if (seen.has(key)) return false
    seen.add(key)
    // The window is fixed when the node answers; the countdowns move on their own.
    return row.overdue || row.dueAt - (open.dataUpdatedAt || 0) <= WINDOW_MS
  })
  return (
    <section aria-labelledby="deadlines-title" className="deadlines-panel">
      <h2 id="deadlines-title">{t('inbox.deadlines')}</h2>
      {(overdue.isError || open.isError) && (
        <div className="alert alert-error" role="alert">
          {describeError(t, overdue.error ?? open.error)}
        </div>
      )}
      {overdue.isSuccess && open.isSuccess && rows.length === 0 && (
        <p className="muted">{t('inbox.noDeadlines')}</p>
      )}
      {rows.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">{t('notices.subject')}</th>
              <th scope="col">{t('notices.deadline')}</th>
              <th scope="col">{t('notices.owedBy')}</th>
              <th scope="col">{t('notices.due')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr
                key={`${row.notice.id}:${row.party}:${row.name}`}
                className={row.overdue ? 'row-overdue' : undefined}
              >
                <th scope="row">
                  <Link to={`/notices/${row.notice.id}`}>{row.notice.subject}</Link>{' '}
                  <span className={`urgency urgency-${row.notice.urgency}`}>
                    {L(`urgency.${row.notice.urgency}`)}
                  </span>
                </th>
                <td>{name(row.name)}</td>
                <td>{row.party.toUpperCase()}</td>
                <td>
                  <Countdown dueAt={row.dueAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
