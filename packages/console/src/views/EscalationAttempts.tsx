import type { EscalationAttemptEntry } from '@parley/api'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { api } from '../lib/api.ts'
import { describeError } from '../lib/errors.ts'
import { UtcTime } from '../lib/time.tsx'
import { type PageCursor, Pager } from './MoreButton.tsx'

const PAGE = 25
/**
 * Every delivery attempt of the party's ladders, across all notices, newest first, paged with
 * the node's cursors (`GET /escalation/:party/attempts`); the newest page is read again every 3 s.
 */
export function EscalationAttempts({ party }: { party: string }) {
  const { t } = useTranslation()
  const [cursor, setCursor] = useState<PageCursor>(null)
  const query = { limit: PAGE, ...(cursor ?? {}) }
  const attempts = useQuery({
    queryKey: ['escalation', party, 'attempts', query],
    queryFn: () => api.listEscalationAttempts({ params: { party }, query }),
    placeholderData: keepPreviousData,
    refetchInterval: cursor === null ? 3_000 : false,
    retry: false,
  })
  // A page comes oldest first; the officer reads what happened last at the top.
  const rows = [...(attempts.data?.attempts ?? [])].reverse()
  return (
    <section aria-labelledby="attempts-title">
      <h2 id="attempts-title">{t('escalation.recent')}</h2>
      <p className="muted">{t('escalation.recentHelp')}</p>
      {attempts.isError && (
        <div className="alert alert-error" role="alert">
          {describeError(t, attempts.error)}
        </div>
      )}
      {attempts.isSuccess && rows.length === 0 && (
        <p className="empty">{t('escalation.noAttempts')}</p>
      )}
      {rows.length > 0 && (
        <table className="grid" data-testid="escalation-attempts">
          <thead>
            <tr>
              <th scope="col">{t('escalation.when')}</th>
              <th scope="col">{t('escalation.notice')}</th>
              <th scope="col">{t('escalation.step')}</th>
              <th scope="col">{t('escalation.result')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((attempt) => (
              <AttemptRow key={attempt.id} attempt={attempt} />
            ))}
          </tbody>
        </table>
      )}
      <Pager
        label={t('escalation.pages')}
        cursor={cursor}
        cursors={attempts.data?.cursors}
        onChange={setCursor}
      />
    </section>
  )
}

function AttemptRow({ attempt }: { attempt: EscalationAttemptEntry }) {
  const { t } = useTranslation()
  return (
    <tr>
      <td>
        <UtcTime ms={attempt.at} />
      </td>
      <th scope="row">
        <Link to={`/notices/${attempt.notice}`}>{attempt.subject}</Link>
        <div className="muted">{t(`escalation.deadline.${attempt.deadline}`)}</div>
      </th>
      <td>
        {t('escalation.stepNumber', { n: attempt.index + 1 })}{' '}
        {t(`escalation.action.${attempt.action}`)}
        {attempt.target !== null && (
          <span className="muted">
            {' '}
            → {t(`escalation.target.${attempt.target}`, { defaultValue: attempt.target })}
          </span>
        )}
        {attempt.attempt > 1 && (
          <div className="muted">{t('escalation.attemptNumber', { n: attempt.attempt })}</div>
        )}
      </td>
      <td>
        <span className={`outcome outcome-${attempt.outcome}`}>
          {t(`escalation.outcome.${attempt.outcome}`)}
        </span>
        {attempt.recipients.length > 0 && (
          <span className="muted"> {attempt.recipients.join(', ')}</span>
        )}
        {attempt.smtpCode !== null && <span className="mono"> SMTP {attempt.smtpCode}</span>}
        {attempt.httpStatus !== null && <span className="mono"> HTTP {attempt.httpStatus}</span>}
        {attempt.retryAt !== null && (
          <div className="muted">
            {t('escalation.retryAt')} <UtcTime ms={attempt.retryAt} />
          </div>
        )}
      </td>
    </tr>
  )
}
