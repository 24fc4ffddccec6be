import type { EventView } from '@parley/api'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link, useParams } from 'react-router'
import { api } from '../lib/api.ts'
import { markSeen, useChannels, useNode, useTimeline } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import { useLabels } from '../lib/labels.ts'
import { UtcTime } from '../lib/time.tsx'
import { Compose } from './Compose.tsx'

type Body = Record<string, unknown>

/** A channel: its timeline, virtualized so it stays smooth at any length, and the compose form. */
export function Channel() {
  const { channel = '' } = useParams()
  const { t } = useTranslation()
  const channels = useChannels()
  const info = channels.data?.find((c) => c.id === channel)
  const timeline = useTimeline(channel)
  const events = timeline.data?.events ?? []

  const arranged = useMemo(() => arrange(events), [events])
  useEffect(() => {
    if (events.length > 0)
      markSeen(
        channel,
        events.map((e) => e.id),
      )
  }, [channel, events])

  return (
    <section className="channel" aria-labelledby="page-title">
      <header className="page-head">
        <h1 id="page-title">{info?.title ?? channel}</h1>
        <span className="muted mono">{channel}</span>
        <span className="spacer" />
        <Link to={`/channels/${channel}/verify`} className="button">
          {t('channel.verify')}
        </Link>
      </header>
      {info !== undefined && (
        <p className="muted">
          {info.members
            .map(
              (m) =>
                `${m.party.toUpperCase()}${m.role === 'observer' ? ` (${t('channel.observer')})` : ''}`,
            )
            .join(' · ')}
        </p>
      )}
      {timeline.isPending && <p className="muted">{t('common.loading')}</p>}
      <Timeline {...arranged} />
      <Compose channel={channel} />
    </section>
  )
}

interface Arranged {
  readonly items: EventView[]
  readonly translations: Map<string, EventView[]>
  readonly answered: Map<string, EventView>
  readonly acknowledged: Map<string, EventView>
}

/** Translations go beside their originals; a reply marks what it answers. */
function arrange(events: readonly EventView[]): Arranged {
  const items: EventView[] = []
  const translations = new Map<string, EventView[]>()
  const answered = new Map<string, EventView>()
  const acknowledged = new Map<string, EventView>()
  for (const view of events) {
    const body = view.event.body as Body
    if (view.event.type === 'message.translate' && typeof body.of === 'string') {
      translations.set(body.of, [...(translations.get(body.of) ?? []), view])
      continue
    }
    if (view.event.type === 'notice.ack' && typeof body.notice === 'string') {
      if (!acknowledged.has(body.notice)) acknowledged.set(body.notice, view)
    } else {
      for (const ref of [body.replyTo, body.notice]) {
        if (typeof ref === 'string' && !answered.has(ref)) answered.set(ref, view)
      }
    }
    items.push(view)
  }
  return { items, translations, answered, acknowledged }
}

function Timeline({ items, translations, answered, acknowledged }: Arranged) {
  const { t } = useTranslation()
  const parent = useRef<HTMLElement>(null)
  const virtual = useVirtualizer({
    count: items.length,
    getScrollElement: () => parent.current,
    estimateSize: () => 120,
    overscan: 6,
  })
  const last = items.length - 1
  // Open at the newest item, as a conversation does.
  useEffect(() => {
    if (last >= 0) virtual.scrollToIndex(last, { align: 'end' })
  }, [last, virtual])

  if (items.length === 0) return <p className="empty">{t('channel.empty')}</p>
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus so that keyboard users can scroll it (WCAG 2.1.1)
    <section ref={parent} className="timeline" aria-label={t('channel.timeline')} tabIndex={0}>
      <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
        {virtual.getVirtualItems().map((row) => {
          const view = items[row.index]!
          return (
            <div
              key={view.id}
              ref={virtual.measureElement}
              data-index={row.index}
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                right: 0,
                transform: `translateY(${row.start}px)`,
              }}
            >
              <Item
                view={view}
                translations={translations.get(view.id) ?? []}
                answer={answered.get(view.id)}
                ack={acknowledged.get(view.id)}
                position={row.index + 1}
                size={items.length}
              />
            </div>
          )
        })}
      </div>
    </section>
  )
}

/** An incident notice as a STIX 2.1 bundle, for the CERT's own tools (docs/stix.md). */
function StixDownload({ view }: { view: EventView }) {
  const { t } = useTranslation()
  const [error, setError] = useState<unknown>(null)
  const download = async () => {
    setError(null)
    try {
      const { bundle } = await api.exportNoticeStix({
        params: { channel: view.event.channel, notice: view.id },
      })
      const url = URL.createObjectURL(
        new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/stix+json' }),
      )
      const link = document.createElement('a')
      link.href = url
      link.download = `${view.id.slice(0, 12)}.stix.json`
      link.click()
      URL.revokeObjectURL(url)
    } catch (failure) {
      setError(failure)
    }
  }
  return (
    <div className="row">
      <button type="button" className="small" onClick={() => void download()}>
        {t('item.stix')}
      </button>
      {error !== null && <span role="alert">{describeError(t, error)}</span>}
    </div>
  )
}

function contentOf(body: Body): string | null {
  for (const field of ['subject', 'title', 'summary', 'note']) {
    if (typeof body[field] === 'string') return body[field] as string
  }
  return null
}

function Item(props: {
  view: EventView
  translations: readonly EventView[]
  answer: EventView | undefined
  ack: EventView | undefined
  position: number
  size: number
}) {
  const { view, translations, answer } = props
  const { t } = useTranslation()
  const L = useLabels()
  const body = view.event.body as Body
  // An event with no words of its own (a join, an acceptance) is said by its type alone.
  const text = typeof body.text === 'string' ? body.text : contentOf(body)
  const tlp = typeof body.tlp === 'string' ? body.tlp : null
  const urgency = typeof body.urgency === 'string' ? body.urgency : null
  return (
    <article
      className={`item${urgency === 'flash' ? ' item-flash' : ''}`}
      id={view.id}
      aria-posinset={props.position}
      aria-setsize={props.size}
      aria-labelledby={`${view.id}-head`}
    >
      <header id={`${view.id}-head`} className="item-head">
        <strong className="party">{view.event.author.toUpperCase()}</strong>
        {view.event.officer !== undefined && (
          <span className="officer" title={view.event.officer}>
            {t('item.officer', { id: view.event.officer.slice(-6) })}
          </span>
        )}
        <span className="type">
          {t(`type.${view.event.type}`, { defaultValue: view.event.type })}
        </span>
        {tlp !== null && (
          <span className={`tlp tlp-${tlp.replace('+', '-')}`}>{L(`tlp.${tlp}`)}</span>
        )}
        {urgency !== null && urgency !== 'routine' && (
          <span className={`urgency urgency-${urgency}`}>{L(`urgency.${urgency}`)}</span>
        )}
        <span className="spacer" />
        <UtcTime ms={view.event.time} />
      </header>
      <div className="item-body">
        {text !== null && (
          <div className="original" lang={typeof body.lang === 'string' ? body.lang : undefined}>
            {text}
          </div>
        )}
        {translations.map((tr) => (
          <div key={tr.id} className="translation" lang={String((tr.event.body as Body).lang)}>
            <span className="note">
              {t('item.translation', {
                lang: String((tr.event.body as Body).lang),
                party: tr.event.author.toUpperCase(),
              })}
            </span>
            {String((tr.event.body as Body).text)}
          </div>
        ))}
      </div>
      <Proof view={view} answer={answer} ack={props.ack} />
      {view.event.type === 'notice.open' && body.kind === 'incident' && (
        <StixDownload view={view} />
      )}
    </article>
  )
}

/** queued → delivered at T (signed receipt) → answered: where the item stands, per recipient. */
function Proof(props: {
  view: EventView
  answer: EventView | undefined
  ack: EventView | undefined
}) {
  const { view, answer, ack } = props
  const { t } = useTranslation()
  const delivery = view.delivery ?? []
  const own = useNode().data?.parties.map((p) => p.id) ?? []
  return (
    <ol className="proof" aria-label={t('proof.label')}>
      <li className="step step-done">
        {t('proof.signed')} <span className="mono">#{view.event.seq}</span>
      </li>
      {delivery.length === 0 && !own.includes(view.event.author) && (
        <li className="step step-done">
          {t('proof.received')} <UtcTime ms={view.receivedAt} short />
        </li>
      )}
      {delivery.map((d) => (
        <li key={d.url} className={`step step-${d.state}`}>
          {d.state === 'delivered' && d.receiptAt !== undefined ? (
            <>
              {t('proof.delivered', { to: d.parties.join(', ').toUpperCase() })}{' '}
              <UtcTime ms={d.receiptAt} short /> <span className="muted">{t('proof.receipt')}</span>
            </>
          ) : d.state === 'failed-retrying' ? (
            <>
              {t('proof.retrying', { to: d.parties.join(', ').toUpperCase() })}
              {d.since !== undefined && (
                <>
                  {' '}
                  {t('proof.since')} <UtcTime ms={d.since} short />
                </>
              )}
            </>
          ) : d.state === 'rejected' ? (
            t('proof.rejected', { to: d.parties.join(', ').toUpperCase(), code: d.code ?? '' })
          ) : (
            t('proof.queued', { to: d.parties.join(', ').toUpperCase() })
          )}
        </li>
      ))}
      {ack !== undefined && (
        <li className="step step-done">
          <a href={`#${ack.id}`}>
            {t('proof.acknowledged', { by: ack.event.author.toUpperCase() })}
          </a>{' '}
          <UtcTime ms={ack.event.time} short />
        </li>
      )}
      {answer !== undefined && (
        <li className="step step-done">
          <a href={`#${answer.id}`}>
            {t('proof.answered', { by: answer.event.author.toUpperCase() })}
          </a>{' '}
          <UtcTime ms={answer.event.time} short />
        </li>
      )}
    </ol>
  )
}
