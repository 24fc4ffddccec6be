import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { Link, useParams } from 'react-router'
import { api } from '../lib/api.ts'
import { useChannels } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import { UtcTime } from '../lib/time.tsx'

/**
 * What was forwarded into a channel, with each original's provenance: the channel it comes
 * from, its author and time, its signature as this node checks it, who forwarded it and when.
 */
export function Forwards() {
  const { channel = '' } = useParams()
  const { t } = useTranslation()
  const channels = useChannels().data ?? []
  const titleOf = (id: string) => channels.find((c) => c.id === id)?.title
  const view = useQuery({
    queryKey: ['forwards', channel],
    queryFn: () => api.listForwards({ params: { channel } }),
  })
  return (
    <section aria-labelledby="page-title">
      <header className="page-head">
        <h1 id="page-title">{t('forwards.title', { channel: titleOf(channel) ?? channel })}</h1>
        <span className="spacer" />
        <Link to={`/channels/${channel}`}>{t('verify.back')}</Link>
      </header>
      {view.error !== null && <p role="alert">{describeError(t, view.error)}</p>}
      {view.data?.items.length === 0 && <p className="empty">{t('forwards.none')}</p>}
      <ul className="plain">
        {(view.data?.items ?? []).map((item) => {
          const original = item.original.event as {
            type: string
            time: number
            body: { text?: unknown; title?: unknown }
          }
          const { text, title } = original.body
          const from = titleOf(item.from)
          return (
            <li key={`${item.forward}-${item.item}`} className="card forwarded">
              <p>
                <strong>{item.author.toUpperCase()}</strong> · {t(`type.${original.type}`)}
                {typeof title === 'string' && <> · {title}</>}
              </p>
              {typeof text === 'string' && <p>{text}</p>}
              <p className={item.signature.state === 'verified' ? 'result-ok' : 'result-bad'}>
                {t(`forwards.sig.${item.signature.state}`, { code: item.signature.code ?? '' })}
              </p>
              <p className="muted provenance">
                {t('forwards.origin', { party: item.author.toUpperCase() })}{' '}
                <UtcTime ms={original.time} />
                {' · '}
                {from === undefined ? (
                  t('forwards.fromUnknown', { channel: item.from })
                ) : (
                  <>
                    {t('forwards.from')} <Link to={`/channels/${item.from}`}>{from}</Link>
                  </>
                )}
              </p>
              <p className="muted">
                {t('forwards.by', { party: item.forwardedBy.toUpperCase() })}{' '}
                <UtcTime ms={item.forwardedAt} />
              </p>
            </li>
          )
        })}
      </ul>
    </section>
  )
}
