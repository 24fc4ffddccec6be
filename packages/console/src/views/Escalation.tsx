import type { EscalationStep, EscalationView } from '@parley/api'
import { useQueries, useQuery } from '@tanstack/react-query'
import type { TFunction } from 'i18next'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { api } from '../lib/api.ts'
import { describeError } from '../lib/errors.ts'
import { useLabels } from '../lib/labels.ts'
import { useSession } from '../lib/session.ts'
import { UtcTime } from '../lib/time.tsx'
import { formatDuration } from './Countdown.tsx'
import { URGENCIES } from './NoticesShared.tsx'

/** Where receivers fetch the node's Ed25519 key to check `v1a` webhook signatures. */
export const WEBHOOK_KEY_PATH = '/.well-known/parley-webhook-key'
const RECENT = 10

/** The party's escalation ladder per urgency, its contacts and webhooks, and what it did lately. */
export function Escalation() {
  const { t } = useTranslation()
  const L = useLabels()
  const party = useSession().data?.officer?.party ?? ''
  const config = useQuery({
    queryKey: ['escalation', party],
    queryFn: () => api.getEscalationConfig({ params: { party } }),
    enabled: party !== '',
    retry: false,
  })
  const view = config.data
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('nav.escalation')}</h1>
      <p className="muted">{t('escalation.help', { party: party.toUpperCase() })}</p>
      {config.isError && (
        <div className="alert alert-error" role="alert">
          {describeError(t, config.error)}
        </div>
      )}
      {view !== undefined && (
        <>
          <p>
            {view.custom ? t('escalation.custom') : t('escalation.default')}
            {view.updatedAt !== null && (
              <>
                {' '}
                <UtcTime ms={view.updatedAt} />
              </>
            )}
          </p>
          <div className="cards">
            {URGENCIES.map((urgency) => (
              <article key={urgency} className="card" aria-labelledby={`ladder-${urgency}`}>
                <h2 id={`ladder-${urgency}`}>
                  <span className={`urgency urgency-${urgency}`}>{L(`urgency.${urgency}`)}</span>
                </h2>
                <Ladder steps={view.config.ladders[urgency]} />
              </article>
            ))}
          </div>
          <h2>{t('escalation.contacts')}</h2>
          {view.config.contacts.length === 0 ? (
            <p className="empty">{t('escalation.noContacts')}</p>
          ) : (
            <ul className="plain">
              {view.config.contacts.map((c) => (
                <li key={c.email}>
                  {c.name} <span className="mono">{c.email}</span>
                </li>
              ))}
            </ul>
          )}
          <h2>{t('escalation.webhooks')}</h2>
          <Webhooks steps={Object.values(view.config.ladders).flat()} />
          <p>
            {t('escalation.keyAt')} <a href={WEBHOOK_KEY_PATH}>{WEBHOOK_KEY_PATH}</a>
          </p>
          {view.disabledWebhooks.length > 0 && (
            <div className="alert alert-error" role="alert">
              <ul>
                {view.disabledWebhooks.map((w) => (
                  <li key={w.url}>
                    {t('escalation.disabled', { url: w.url, status: w.status })}{' '}
                    <UtcTime ms={w.disabledAt} />
                  </li>
                ))}
              </ul>
            </div>
          )}
        </>
      )}
      <RecentAttempts />
    </section>
  )
}

function stepTime(t: TFunction, step: EscalationStep): string {
  const offset = step.at.offsetMs
  const base = step.at.from === 'start' ? t('escalation.fromStart') : t('escalation.fromDue')
  if (offset === 0) return base
  return t(offset > 0 ? 'escalation.after' : 'escalation.before', {
    time: formatDuration(offset, t('countdown.day')),
    base,
  })
}

function Ladder({ steps }: { steps: readonly EscalationStep[] }) {
  const { t } = useTranslation()
  if (steps.length === 0) return <p className="empty">{t('escalation.noSteps')}</p>
  return (
    <ol className="ladder">
      {steps.map((step, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a ladder's steps are known by their place
        <li key={i}>
          <strong>{t(`escalation.action.${step.action}`)}</strong>
          {step.action === 'email' && <> → {t(`escalation.target.${step.to}`)}</>}
          {step.action === 'webhook' && <span className="mono clip"> → {step.url}</span>}
          <div className="muted">{stepTime(t, step)}</div>
        </li>
      ))}
    </ol>
  )
}

function Webhooks({ steps }: { steps: readonly EscalationStep[] }) {
  const { t } = useTranslation()
  const urls = [...new Set(steps.flatMap((s) => (s.action === 'webhook' ? [s.url] : [])))]
  if (urls.length === 0) return <p className="empty">{t('escalation.noWebhooks')}</p>
  return (
    <ul className="plain">
      {urls.map((url) => (
        <li key={url} className="mono">
          {url} <span className="muted">{t('escalation.signed')}</span>
        </li>
      ))}
    </ul>
  )
}

/** The ladders of the newest notices, each step's last delivery attempt. */
function RecentAttempts() {
  const { t } = useTranslation()
  const notices = useQuery({
    queryKey: ['notices', 'list', { limit: RECENT }],
    queryFn: () => api.listNotices({ query: { limit: RECENT } }),
  })
  const ladders = useQueries({
    queries: (notices.data?.notices ?? []).map((n) => ({
      queryKey: ['notices', 'escalation', n.id],
      queryFn: async () =>
        (await api.getNoticeEscalation({ params: { notice: n.id } })).escalations,
    })),
  })
  const all: EscalationView[] = ladders.flatMap((q) => q.data ?? [])
  const rows = all.flatMap((ladder) =>
    ladder.steps.flatMap((step) => step.attempts.map((attempt) => ({ ladder, step, attempt }))),
  )
  rows.sort((a, b) => b.attempt.at - a.attempt.at)
  return (
    <>
      <h2>{t('escalation.recent')}</h2>
      {notices.isSuccess && rows.length === 0 && (
        <p className="empty">{t('escalation.noAttempts')}</p>
      )}
      {rows.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">{t('escalation.when')}</th>
              <th scope="col">{t('escalation.notice')}</th>
              <th scope="col">{t('escalation.step')}</th>
              <th scope="col">{t('escalation.result')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ ladder, step, attempt }) => (
              <tr key={`${ladder.key}:${step.index}:${attempt.attempt}`}>
                <td>
                  <UtcTime ms={attempt.at} />
                </td>
                <th scope="row">
                  <Link to={`/notices/${ladder.notice}`}>{ladder.subject}</Link>
                </th>
                <td>
                  {t(`escalation.action.${step.action}`)}
                  {step.target !== null && (
                    <span className="muted">
                      {' '}
                      → {t(`escalation.target.${step.target}`, { defaultValue: step.target })}
                    </span>
                  )}
                </td>
                <td>
                  <span className={`outcome outcome-${attempt.outcome}`}>
                    {t(`escalation.outcome.${attempt.outcome}`)}
                  </span>
                  {attempt.recipients.length > 0 && (
                    <span className="muted"> {attempt.recipients.join(', ')}</span>
                  )}
                  {attempt.smtpCode !== null && (
                    <span className="mono"> SMTP {attempt.smtpCode}</span>
                  )}
                  {attempt.httpStatus !== null && (
                    <span className="mono"> HTTP {attempt.httpStatus}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}
