import { isApiRequestError, type ReleaseView } from '@parley/api'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api.ts'
import { useChannels } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import { useLabels } from '../lib/labels.ts'
import { UtcTime } from '../lib/time.tsx'
import { GuardFindings, type GuardMatch, guardMatches } from './GuardFindings.tsx'

/** The release queue: what drafters of this party composed and a second officer must let out. */
export function Releases() {
  const { t } = useTranslation()
  const releases = useQuery({
    queryKey: ['releases'],
    queryFn: async () => (await api.listReleases({ query: { status: 'pending' } })).releases,
  })
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('releases.title')}</h1>
      <p className="muted">{t('releases.help')}</p>
      {releases.isPending && <p className="muted">{t('common.loading')}</p>}
      {releases.isError && (
        <div className="alert alert-error" role="alert">
          {describeError(t, releases.error)}
        </div>
      )}
      {releases.data?.length === 0 && <p className="empty">{t('releases.empty')}</p>}
      <ul className="cards">
        {(releases.data ?? []).map((item) => (
          <li key={item.id}>
            <ReleaseCard item={item} />
          </li>
        ))}
      </ul>
    </section>
  )
}

function ReleaseCard({ item }: { item: ReleaseView }) {
  const { t } = useTranslation()
  const L = useLabels()
  const client = useQueryClient()
  const channels = useChannels()
  const [rejecting, setRejecting] = useState(false)
  const [reason, setReason] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [matches, setMatches] = useState<GuardMatch[]>([])
  const body = item.body as Record<string, unknown>
  const text = typeof body.text === 'string' ? body.text : JSON.stringify(item.body, null, 2)
  const title = channels.data?.find((c) => c.id === item.channel)?.title ?? item.channel

  const done = () => {
    void client.invalidateQueries({ queryKey: ['releases'] })
    void client.invalidateQueries({ queryKey: ['timeline', item.channel] })
  }
  const approve = async () => {
    setError(null)
    try {
      await api.approveRelease({ params: { release: item.id } })
      done()
    } catch (failure) {
      if (isApiRequestError(failure, 'RELEASE_GUARD_BLOCKED'))
        setMatches(guardMatches(failure.details))
      else setError(failure)
    }
  }
  const reject = async (event: FormEvent) => {
    event.preventDefault()
    if (reason.trim() === '') return
    try {
      await api.rejectRelease({ params: { release: item.id }, body: { reason: reason.trim() } })
      done()
    } catch (failure) {
      setError(failure)
    }
  }
  return (
    <article className="card" aria-labelledby={`${item.id}-title`}>
      <header className="item-head">
        <strong id={`${item.id}-title`}>{t(`type.${item.type}`)}</strong>
        <span>{t('releases.in', { channel: title })}</span>
        {typeof body.tlp === 'string' && (
          <span className={`tlp tlp-${body.tlp.replace('+', '-')}`}>{L(`tlp.${body.tlp}`)}</span>
        )}
        {typeof body.urgency === 'string' && body.urgency !== 'routine' && (
          <span className={`urgency urgency-${body.urgency}`}>{L(`urgency.${body.urgency}`)}</span>
        )}
        <span className="spacer" />
        <span className="muted">{t('releases.by', { officer: item.drafter.slice(-6) })}</span>
        <UtcTime ms={item.createdAt} />
      </header>
      {matches.length > 0 ? (
        <GuardFindings text={text} matches={matches} />
      ) : (
        <pre className="release-text">{text}</pre>
      )}
      {error !== null && (
        <div className="alert alert-error" role="alert">
          {describeError(t, error)}
        </div>
      )}
      {rejecting ? (
        <form className="row" onSubmit={reject}>
          <label className="field grow">
            <span>{t('releases.reason')}</span>
            <input required value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <button type="submit" className="danger" disabled={reason.trim() === ''}>
            {t('releases.confirmReject')}
          </button>
          <button type="button" onClick={() => setRejecting(false)}>
            {t('common.cancel')}
          </button>
        </form>
      ) : (
        <div className="row">
          <button type="button" className="primary" onClick={() => void approve()}>
            {t('releases.approve')}
          </button>
          <button type="button" onClick={() => setRejecting(true)}>
            {t('releases.reject')}
          </button>
        </div>
      )}
    </article>
  )
}
