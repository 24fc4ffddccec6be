import type { NoticeView } from '@parley/api'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { api } from '../lib/api.ts'
import { useChannels } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import { useLabels } from '../lib/labels.ts'
import { UtcTime } from '../lib/time.tsx'
import { Bilingual } from './Bilingual.tsx'
import { type PageCursor, Pager } from './MoreButton.tsx'
import { NextDeadline, NOTICE_KINDS, NOTICE_STATES, RecipientStates } from './NoticesShared.tsx'

const PAGE = 25

type Filters = {
  kind: (typeof NOTICE_KINDS)[number] | ''
  state: (typeof NOTICE_STATES)[number] | ''
  overdue: '' | 'true' | 'false'
  channel: string
}
/** Every notice of the officer's compartments, newest first, filtered and paged by the node. */
export function Notices() {
  const { t } = useTranslation()
  const L = useLabels()
  const channels = useChannels()
  const [filters, setFilters] = useState<Filters>({
    kind: '',
    state: '',
    overdue: '',
    channel: '',
  })
  const [cursor, setCursor] = useState<PageCursor>(null)
  const query = {
    limit: PAGE,
    ...(filters.kind === '' ? {} : { kind: filters.kind }),
    ...(filters.state === '' ? {} : { state: filters.state }),
    ...(filters.overdue === '' ? {} : { overdue: filters.overdue === 'true' }),
    ...(filters.channel === '' ? {} : { channel: filters.channel }),
    ...(cursor ?? {}),
  }
  const notices = useQuery({
    queryKey: ['notices', 'list', query],
    queryFn: () => api.listNotices({ query }),
    placeholderData: keepPreviousData,
    refetchInterval: 3_000,
  })
  const change = (next: Partial<Filters>) => {
    setFilters({ ...filters, ...next })
    setCursor(null)
  }
  const titles = new Map((channels.data ?? []).map((c) => [c.id, c.title]))
  const rows: readonly NoticeView[] = notices.data?.notices ?? []

  return (
    <section aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title">{t('nav.notices')}</h1>
        <span className="spacer" />
        <Link className="button primary" to="/notices/new">
          {t('notices.new')}
        </Link>
      </div>
      <p className="muted">{t('notices.help')}</p>
      <form
        className="row filters"
        aria-label={t('notices.filters')}
        onSubmit={(e) => e.preventDefault()}
      >
        <label className="field">
          <span>
            <Bilingual label="field.kind" />
          </span>
          <select
            value={filters.kind}
            onChange={(e) => change({ kind: e.target.value as Filters['kind'] })}
          >
            <option value="">{t('notices.any')}</option>
            {NOTICE_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {L(`kind.${kind}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('notices.state')}</span>
          <select
            value={filters.state}
            onChange={(e) => change({ state: e.target.value as Filters['state'] })}
          >
            <option value="">{t('notices.any')}</option>
            {NOTICE_STATES.map((state) => (
              <option key={state} value={state}>
                {L(`state.${state}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('notices.overdue')}</span>
          <select
            value={filters.overdue}
            onChange={(e) => change({ overdue: e.target.value as Filters['overdue'] })}
          >
            <option value="">{t('notices.any')}</option>
            <option value="true">{t('notices.overdueOnly')}</option>
            <option value="false">{t('notices.notOverdue')}</option>
          </select>
        </label>
        <label className="field">
          <span>{t('notices.channel')}</span>
          <select value={filters.channel} onChange={(e) => change({ channel: e.target.value })}>
            <option value="">{t('notices.anyChannel')}</option>
            {(channels.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
        </label>
      </form>
      {notices.isError && (
        <div className="alert alert-error" role="alert">
          {describeError(t, notices.error)}
        </div>
      )}
      {notices.isPending && <p className="muted">{t('common.loading')}</p>}
      {notices.isSuccess && rows.length === 0 && <p className="empty">{t('notices.empty')}</p>}
      {rows.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">{t('notices.subject')}</th>
              <th scope="col">{t('notices.kindUrgency')}</th>
              <th scope="col">{t('notices.from')}</th>
              <th scope="col">{t('notices.recipients')}</th>
              <th scope="col">{t('notices.nextDeadline')}</th>
              <th scope="col">{t('notices.opened')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((notice) => (
              <tr key={notice.id} className={notice.overdue ? 'row-overdue' : undefined}>
                <th scope="row">
                  <Link to={`/notices/${notice.id}`}>{notice.subject}</Link>
                  <div className="muted">{titles.get(notice.channel) ?? notice.channel}</div>
                </th>
                <td>
                  {L(`kind.${notice.kind}`)}
                  <br />
                  <span className={`urgency urgency-${notice.urgency}`}>
                    {L(`urgency.${notice.urgency}`)}
                  </span>
                </td>
                <td>{notice.opener.toUpperCase()}</td>
                <td>
                  <RecipientStates notice={notice} />
                </td>
                <td>
                  <NextDeadline notice={notice} />
                </td>
                <td>
                  <UtcTime ms={notice.openedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        label={t('notices.pages')}
        cursor={cursor}
        cursors={notices.data?.cursors}
        onChange={setCursor}
      />
    </section>
  )
}
