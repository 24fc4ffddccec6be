import type { EscalationStep } from '@parley/api'
import { useQuery } from '@tanstack/react-query'
import type { TFunction } from 'i18next'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api.ts'
import { describeError } from '../lib/errors.ts'
import { useLabels } from '../lib/labels.ts'
import { useSession } from '../lib/session.ts'
import { UtcTime } from '../lib/time.tsx'
import { formatDuration } from './Countdown.tsx'
import { EscalationAttempts } from './EscalationAttempts.tsx'
import { EscalationEditor } from './EscalationEditor.tsx'
import { URGENCIES } from './NoticesShared.tsx'

/** Where receivers fetch the node's Ed25519 key to check `v1a` webhook signatures. */
export const WEBHOOK_KEY_PATH = '/.well-known/parley-webhook-key'

/**
 * The party's escalation ladder per urgency, its contacts and webhooks, and what it did lately:
 * an admin edits the ladders and contacts; anyone else is told the role it needs.
 */
export function Escalation() {
  const { t } = useTranslation()
  const L = useLabels()
  const officer = useSession().data?.officer
  const party = officer?.party ?? ''
  const admin = officer?.roles.includes('admin') ?? false
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
          {admin ? (
            <EscalationEditor view={view} />
          ) : (
            <>
              <div className="cards">
                {URGENCIES.map((urgency) => (
                  <article key={urgency} className="card" aria-labelledby={`ladder-${urgency}`}>
                    <h2 id={`ladder-${urgency}`}>
                      <span className={`urgency urgency-${urgency}`}>
                        {L(`urgency.${urgency}`)}
                      </span>
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
            </>
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
      {admin && <EscalationAttempts party={party} />}
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
