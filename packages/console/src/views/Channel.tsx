import type { EventView } from '@parley/api'
import { useQueryClient } from '@tanstack/react-query'
import { useVirtualizer } from '@tanstack/react-virtual'
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link, useParams } from 'react-router'
import { api } from '../lib/api.ts'
import {
  markRead,
  onChannelMoved,
  PAGE_SIZE,
  useChannels,
  useNode,
  useTimeline,
  useTimelinePages,
} from '../lib/data.ts'
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
  const pages = useTimelinePages(channel)
  const events = useMemo(
    () => merge(pages.data?.pages.flatMap((p) => p.events) ?? [], timeline.data?.events ?? []),
    [pages.data, timeline.data],
  )

  // Newer events: read on after the newest cursor, page by page until a page is not full.
  const { fetchNextPage } = pages
  useEffect(
    () =>
      onChannelMoved(channel, () => {
        const readOn = async () => {
          const answer = await fetchNextPage({ cancelRefetch: false })
          const last = answer.data?.pages.at(-1)
          if (last !== undefined && last.events.length >= PAGE_SIZE) await readOn()
        }
        void readOn()
      }),
    [channel, fetchNextPage],
  )
  const arranged = useMemo(() => arrange(events), [events])
  // The newest item in view is read: the marker moves there on the node, for every browser.
  const client = useQueryClient()
  const marked = useRef<string | null>(null)
  const seenNewest = (id: string) => {
    if (marked.current === id) return
    marked.current = id
    void markRead(client, channel, id).catch(() => {
      marked.current = null
    })
  }

  return (
    <section className="channel" aria-labelledby="page-title">
      <header className="page-head">
        <h1 id="page-title">{info?.title ?? channel}</h1>
        <span className="muted mono">{channel}</span>
        <span className="spacer" />
        <Link to={`/channels/${channel}/forwards`} className="button">
          {t('forwards.link')}
        </Link>
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
      {pages.isPending && <p className="muted">{t('common.loading')}</p>}
      <Timeline
        {...arranged}
        older={pages.hasPreviousPage}
        loadingOlder={pages.isFetchingPreviousPage}
        loadOlder={() => void pages.fetchPreviousPage({ cancelRefetch: false })}
        seenNewest={seenNewest}
      />
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

/**
 * The pages read so far, then whatever the newest page holds beyond them; an event in both is
 * shown as the newest page has it, since that one is read again while a delivery is pending.
 */
function merge(paged: readonly EventView[], newest: readonly EventView[]): EventView[] {
  const fresh = new Map(newest.map((view) => [view.id, view]))
  const out: EventView[] = []
  const seen = new Set<string>()
  for (const view of paged) {
    if (seen.has(view.id)) continue
    seen.add(view.id)
    out.push(fresh.get(view.id) ?? view)
  }
  for (const view of newest) if (!seen.has(view.id)) out.push(view)
  return out
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

function Timeline({
  items,
  translations,
  answered,
  acknowledged,
  older,
  loadingOlder,
  loadOlder,
  seenNewest,
}: Arranged & {
  older: boolean
  loadingOlder: boolean
  loadOlder: () => void
  seenNewest: (id: string) => void
}) {
  const { t } = useTranslation()
  const parent = useRef<HTMLElement>(null)
  const virtual = useVirtualizer({
    count: items.length,
    getScrollElement: () => parent.current,
    estimateSize: () => 92,
    overscan: 6,
    getItemKey: (index) => items[index]!.id,
  })
  const rows = virtual.getVirtualItems()
  // The newest item counts as seen once it is on screen.
  const newestShown = rows.some((row) => row.index === items.length - 1)
  const newestKey = items.at(-1)?.id
  useEffect(() => {
    if (newestShown && newestKey !== undefined) seenNewest(newestKey)
  }, [newestShown, newestKey, seenNewest])

  // Older pages are read as the officer nears the top.
  const nearTop = (rows[0]?.index ?? Number.POSITIVE_INFINITY) < 5
  useEffect(() => {
    if (nearTop && older && !loadingOlder) loadOlder()
  }, [nearTop, older, loadingOlder, loadOlder])

  // When older items are prepended, the item at the top of the view stays where it was: the
  // scroll offset moves down by exactly what was put above it.
  const anchor = useRef<{ id: string; within: number } | null>(null)
  const firstId = items[0]?.id
  const newestId = items.at(-1)?.id
  const opened = useRef(false)
  const atBottom = useRef(true)
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a prepended page (a new first item) moves the anchor
  useLayoutEffect(() => {
    const held = anchor.current
    if (held === null) return
    const index = items.findIndex((view) => view.id === held.id)
    const start = index < 0 ? undefined : virtual.getOffsetForIndex(index, 'start')?.[0]
    if (start !== undefined) virtual.scrollToOffset(start + held.within)
  }, [firstId])
  // Open at the newest item, as a conversation does, and follow new items while at the bottom.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new newest item moves the view
  useEffect(() => {
    if (newestId === undefined) return
    if (!opened.current || atBottom.current) {
      opened.current = true
      virtual.scrollToIndex(items.length - 1, { align: 'end' })
    }
  }, [newestId])
  // Where the view stands, kept at every scroll: the top item and how far into it.
  const remember = () => {
    const element = parent.current
    if (element === null) return
    atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40
    const top = virtual.getVirtualItems().find((row) => row.end > element.scrollTop)
    anchor.current =
      top === undefined ? null : { id: String(top.key), within: element.scrollTop - top.start }
  }

  if (items.length === 0) return <p className="empty">{t('channel.empty')}</p>
  return (
    <>
      <p className="muted timeline-edge" role="status">
        {loadingOlder ? t('channel.loadingOlder') : older ? '' : t('channel.start')}
      </p>
      <section
        ref={parent}
        className="timeline"
        aria-label={t('channel.timeline')}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus so that keyboard users can scroll it (WCAG 2.1.1)
        tabIndex={0}
        onScroll={remember}
      >
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {rows.map((row) => {
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
                  translations={translations.get(view.id) ?? NO_TRANSLATIONS}
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
    </>
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

const NO_TRANSLATIONS: readonly EventView[] = []

interface ItemProps {
  view: EventView
  translations: readonly EventView[]
  answer: EventView | undefined
  ack: EventView | undefined
}

function Item(props: ItemProps & { position: number; size: number }) {
  const { view } = props
  return (
    <article
      className={`item${(view.event.body as Body).urgency === 'flash' ? ' item-flash' : ''}`}
      id={view.id}
      aria-posinset={props.position}
      aria-setsize={props.size}
      aria-labelledby={`${view.id}-head`}
    >
      <ItemContent
        view={view}
        translations={props.translations}
        answer={props.answer}
        ack={props.ack}
      />
    </article>
  )
}

// A page put above the others renumbers every row (`aria-posinset`) and every scroll step
// renders the list again; what a row shows changes only with its event, its translations, its
// answer or its acknowledgement, so only then is it rendered again.
const sameItem = (a: ItemProps, b: ItemProps) =>
  a.view === b.view &&
  a.answer === b.answer &&
  a.ack === b.ack &&
  a.translations.length === b.translations.length &&
  a.translations.every((tr, i) => tr === b.translations[i])

const ItemContent = memo(function ItemContent(props: ItemProps) {
  const { view, translations, answer } = props
  const { t } = useTranslation()
  const L = useLabels()
  const body = view.event.body as Body
  // An event with no words of its own (a join, an acceptance) is said by its type alone.
  const text = typeof body.text === 'string' ? body.text : contentOf(body)
  const tlp = typeof body.tlp === 'string' ? body.tlp : null
  const urgency = typeof body.urgency === 'string' ? body.urgency : null
  return (
    <>
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
    </>
  )
}, sameItem)

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
