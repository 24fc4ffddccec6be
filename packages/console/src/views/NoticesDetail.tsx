import {
  CISA_SECTORS,
  type EscalationView,
  type LabelKey,
  type NoticeDetailView,
  SHIPPED_TAXONOMIES,
} from '@parley/api'
import { useQuery } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { Link, useParams } from 'react-router'
import { api } from '../lib/api.ts'
import { describeError } from '../lib/errors.ts'
import { useLabels } from '../lib/labels.ts'
import { UtcTime } from '../lib/time.tsx'
import { Bilingual } from './Bilingual.tsx'
import { Countdown } from './Countdown.tsx'
import { NoticeActions } from './NoticesActions.tsx'
import { RecipientStates, useDeadlineName } from './NoticesShared.tsx'

type Recipient = NoticeDetailView['recipients'][number]

/** A notice: its signed template in both languages, its proof, deadlines, history and ladder. */
export function NoticeDetail() {
  const { t } = useTranslation()
  const L = useLabels()
  const { notice: id = '' } = useParams()
  const notice = useQuery({
    queryKey: ['notices', 'detail', id],
    queryFn: () => api.getNotice({ params: { notice: id } }),
    // Receipts are no events on the stream: read again until every deadline is settled.
    refetchInterval: 2_000,
  })
  const ladders = useQuery({
    queryKey: ['notices', 'escalation', id],
    queryFn: async () => (await api.getNoticeEscalation({ params: { notice: id } })).escalations,
    refetchInterval: 3_000,
  })

  if (notice.isPending) return <p className="muted">{t('common.loading')}</p>
  if (notice.isError) {
    return (
      <section aria-labelledby="page-title">
        <h1 id="page-title">{t('nav.notices')}</h1>
        <div className="alert alert-error" role="alert">
          {describeError(t, notice.error)}
        </div>
      </section>
    )
  }
  const view = notice.data
  return (
    <section aria-labelledby="page-title" className="notice-detail">
      <p>
        <Link to="/notices">{t('notices.back')}</Link>
      </p>
      <div className="page-head">
        <h1 id="page-title">{view.subject}</h1>
        <span className={`urgency urgency-${view.urgency}`}>{L(`urgency.${view.urgency}`)}</span>
        {view.overdue && <span className="tag tag-overdue">{t('notices.isOverdue')}</span>}
      </div>
      <p className="muted">
        {t('notices.openedBy', { party: view.opener.toUpperCase() })} <UtcTime ms={view.openedAt} />{' '}
        · <RecipientStates notice={view} />
      </p>
      <NoticeActions notice={view} />
      <div className="notice-columns">
        <Template notice={view} />
        <div className="stack">
          {view.recipients.map((recipient) => (
            <Lifecycle key={recipient.party} notice={view} recipient={recipient} />
          ))}
        </div>
      </div>
      <History notice={view} ladders={ladders.data} laddersError={ladders.error} />
    </section>
  )
}

function Row({ label, children }: { label: LabelKey; children: ReactNode }) {
  return (
    <tr>
      <th scope="row">
        <Bilingual label={label} />
      </th>
      <td>{children}</td>
    </tr>
  )
}

function sectorName(id: string, lang: 'en' | 'ru'): string {
  for (const taxonomy of [CISA_SECTORS, ...Object.values(SHIPPED_TAXONOMIES)]) {
    const found = taxonomy.sectors.find((sector) => sector.id === id)
    if (found !== undefined) return found.label[lang]
  }
  return id
}

/** The template's fields, labelled in both languages; the free text in its own language. */
function Template({ notice }: { notice: NoticeDetailView }) {
  const { t, i18n } = useTranslation()
  const L = useLabels()
  const lang = i18n.language === 'ru' ? 'ru' : 'en'
  const body = notice.body
  return (
    <div className="card">
      <h2>{t('notices.template')}</h2>
      <table className="grid template" lang={undefined}>
        <tbody>
          <Row label="field.kind">{L(`kind.${body.kind}`)}</Row>
          <Row label="field.subject">
            <span lang={body.lang}>{body.subject}</span>
          </Row>
          <Row label="field.tlp">
            <span className={`tlp tlp-${body.tlp.replace('+', '-')}`}>{L(`tlp.${body.tlp}`)}</span>
          </Row>
          <Row label="field.lang">{body.lang}</Row>
          {body.severity !== undefined && <Row label="field.severity">{body.severity} / 5</Row>}
          {body.sectors !== undefined && body.sectors.length > 0 && (
            <Row label="field.sectors">
              {body.sectors.map((s) => sectorName(s, lang)).join(', ')}
            </Row>
          )}
          {body.summary !== undefined && (
            <Row label="field.summary">
              <span lang={body.lang} className="prose">
                {body.summary}
              </span>
            </Row>
          )}
          {body.observedActivity !== undefined && (
            <Row label="field.observedActivity">
              <span lang={body.lang} className="prose">
                {body.observedActivity.description}
              </span>
              {body.observedActivity.from !== undefined && (
                <div>
                  <Bilingual label="field.observedActivity.from" />:{' '}
                  <UtcTime ms={body.observedActivity.from} />
                </div>
              )}
              {body.observedActivity.until !== undefined && (
                <div>
                  <Bilingual label="field.observedActivity.until" />:{' '}
                  <UtcTime ms={body.observedActivity.until} />
                </div>
              )}
            </Row>
          )}
          {body.requestedAction !== undefined && (
            <Row label="field.requestedAction">
              <span lang={body.lang} className="prose">
                {body.requestedAction}
              </span>
            </Row>
          )}
          {body.indicators !== undefined && body.indicators.length > 0 && (
            <Row label="field.indicators">
              <ul className="plain">
                {body.indicators.map((indicator) => (
                  <li key={`${indicator.type}:${indicator.value}`}>
                    <span className="muted">{L(`indicator.${indicator.type}`)}</span>{' '}
                    <span className="mono">{indicator.value}</span>{' '}
                    <span className={`tlp tlp-${indicator.tlp.replace('+', '-')}`}>
                      {L(`tlp.${indicator.tlp}`)}
                    </span>
                  </li>
                ))}
              </ul>
            </Row>
          )}
          {body.pointsOfContact !== undefined && body.pointsOfContact.length > 0 && (
            <Row label="field.pointsOfContact">
              <ul className="plain">
                {body.pointsOfContact.map((poc) => (
                  <li key={poc.name}>
                    {poc.name}
                    {poc.role === undefined ? '' : `, ${poc.role}`}
                    {poc.email === undefined ? '' : ` · ${poc.email}`}
                    {poc.phone === undefined ? '' : ` · ${poc.phone}`}
                  </li>
                ))}
              </ul>
            </Row>
          )}
        </tbody>
      </table>
      <p className="muted">{t('notices.freeText')}</p>
    </div>
  )
}

/** One recipient's proof, step by step, and its deadlines with live countdowns. */
function Lifecycle({ notice, recipient }: { notice: NoticeDetailView; recipient: Recipient }) {
  const { t } = useTranslation()
  const L = useLabels()
  const name = useDeadlineName()
  const closed = notice.closedAt
  return (
    <section className="card" aria-labelledby={`life-${recipient.party}`}>
      <h2 id={`life-${recipient.party}`}>
        {t('notices.lifecycleOf', { party: recipient.party.toUpperCase() })}
      </h2>
      <ol className="proof lifecycle" aria-label={t('proof.label')}>
        <li className="step step-done">
          {L('state.sent')} <UtcTime ms={notice.openedAt} short />
        </li>
        {recipient.deliveredAt === null ? (
          <li className="step step-waiting">{t('notices.notDelivered')}</li>
        ) : (
          <li className="step step-delivered">
            {L('state.delivered')} <UtcTime ms={recipient.deliveredAt} short />{' '}
            <span className="muted">{t('proof.receipt')}</span>
          </li>
        )}
        {recipient.acknowledgedAt !== null && (
          <li className="step step-done step-acknowledged">
            {t('notices.acknowledgedBy', {
              id: recipient.acknowledgedBy?.slice(-6) ?? recipient.party.toUpperCase(),
            })}{' '}
            <UtcTime ms={recipient.acknowledgedAt} short />
          </li>
        )}
        {recipient.repliedAt !== null && (
          <li className="step step-done">
            {L('state.replied')} <UtcTime ms={recipient.repliedAt} short />
            {recipient.finalAt !== null && ` (${t('notices.final')})`}
          </li>
        )}
        {closed !== null && (
          <li className="step step-done">
            {L('state.closed')} <UtcTime ms={closed} short />
          </li>
        )}
      </ol>
      {recipient.receipt !== null && (
        <p className="muted small">
          {t('notices.receiptId')} <span className="mono">{recipient.receipt.slice(0, 16)}…</span>
        </p>
      )}
      <table className="grid deadlines">
        <caption className="sr-only">{t('notices.deadlines')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('notices.deadline')}</th>
            <th scope="col">{t('notices.owedBy')}</th>
            <th scope="col">{t('notices.due')}</th>
            <th scope="col">{t('notices.status')}</th>
          </tr>
        </thead>
        <tbody>
          {recipient.deadlines.map((deadline) => (
            <tr key={deadline.name} className={`deadline-${deadline.status}`}>
              <th scope="row">{name(deadline.name)}</th>
              <td>{(deadline.by === 'opener' ? notice.opener : recipient.party).toUpperCase()}</td>
              <td>
                {deadline.dueAt === null ? (
                  <span className="muted">{t('notices.startsAtReceipt')}</span>
                ) : deadline.status === 'pending' || deadline.status === 'overdue' ? (
                  <Countdown dueAt={deadline.dueAt} />
                ) : (
                  <UtcTime ms={deadline.dueAt} />
                )}
              </td>
              <td>
                <span className={`status status-${deadline.status}`}>
                  {t(`notices.deadlineStatus.${deadline.status}`)}
                </span>
                {deadline.metAt !== null && (
                  <>
                    {' '}
                    <UtcTime ms={deadline.metAt} short />
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

type Line = { at: number; key: string; text: ReactNode }

/** Events, receipts, overdue firings and each ladder step with its delivery, in time order. */
function History({
  notice,
  ladders,
  laddersError,
}: {
  notice: NoticeDetailView
  ladders: EscalationView[] | undefined
  laddersError: unknown
}) {
  const { t } = useTranslation()
  const name = useDeadlineName()
  const lines: Line[] = notice.history.map((entry, i) => ({
    at: entry.at,
    key: `h${i}`,
    text: (
      <>
        <strong>{t(`notices.what.${entry.what}`, { party: entry.party.toUpperCase() })}</strong>
        {entry.officer !== null && (
          <span className="muted"> {t('item.officer', { id: entry.officer.slice(-6) })}</span>
        )}
        {entry.final === true && <span className="tag">{t('notices.final')}</span>}
        {entry.deadline !== undefined && <span> · {name(entry.deadline)}</span>}
        {entry.receipt !== null && <span className="muted"> {t('proof.receipt')}</span>}
        {entry.text !== undefined && (
          <blockquote lang={entry.lang} className="prose">
            {entry.text}
          </blockquote>
        )}
      </>
    ),
  }))
  for (const ladder of ladders ?? []) {
    for (const step of ladder.steps) {
      const last = step.attempts.at(-1)
      lines.push({
        at: last?.at ?? step.dueAt,
        key: `${ladder.key}:${step.index}`,
        text: (
          <span className={`ladder-step ladder-${step.state}`}>
            <strong>
              {t('notices.ladderStep', {
                n: step.index + 1,
                party: ladder.party.toUpperCase(),
                action: t(`escalation.action.${step.action}`),
              })}
            </strong>
            {step.target !== null && (
              <span className={step.action === 'webhook' ? 'mono' : undefined}>
                {' '}
                {t(`escalation.target.${step.target}`, { defaultValue: step.target })}
              </span>
            )}{' '}
            · {t(`escalation.state.${step.state}`)}
            {last !== undefined && (
              <span className="muted">
                {' '}
                · {t(`escalation.outcome.${last.outcome}`)}
                {last.recipients.length > 0 && ` → ${last.recipients.join(', ')}`}
                {last.smtpCode !== null && ` (SMTP ${last.smtpCode})`}
                {last.httpStatus !== null && ` (HTTP ${last.httpStatus})`}
              </span>
            )}
          </span>
        ),
      })
    }
  }
  lines.sort((a, b) => a.at - b.at)
  return (
    <div className="card">
      <h2>{t('notices.history')}</h2>
      {laddersError !== null && <p className="muted">{describeError(t, laddersError)}</p>}
      {ladders !== undefined && ladders.length === 0 && (
        <p className="muted">{t('notices.noLadder')}</p>
      )}
      <ol className="history">
        {lines.map((line) => (
          <li key={line.key}>
            <UtcTime ms={line.at} /> {line.text}
          </li>
        ))}
      </ol>
    </div>
  )
}
