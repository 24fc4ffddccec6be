import {
  CISA_SECTORS,
  type CompositionInput,
  isApiRequestError,
  missingFields,
  type NoticeTemplateField,
} from '@parley/api'
import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { api } from '../lib/api.ts'
import { channelMoved, useChannels } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import { useLabels } from '../lib/labels.ts'
import { Bilingual } from './Bilingual.tsx'
import { GuardFindings, type GuardMatch, guardMatches } from './GuardFindings.tsx'
import { NOTICE_KINDS, type TLPS } from './NoticesShared.tsx'
import { LanguageOptions, TlpOptions, type Urgency, UrgencyOptions } from './Options.tsx'

type Kind = (typeof NOTICE_KINDS)[number]
type Tlp = (typeof TLPS)[number]
type Indicator = {
  type: 'ipv4' | 'domain' | 'url' | 'asn' | 'sha256' | 'cve' | 'other'
  value: string
  tlp: Tlp
}
const INDICATOR_TYPES: readonly Indicator['type'][] = [
  'ipv4',
  'domain',
  'url',
  'asn',
  'sha256',
  'cve',
  'other',
]

/** `2026-12-07T14:02` typed as UTC, to UTC ms; '' when empty or not a time. */
function utcInput(value: string): number | undefined {
  if (value === '') return undefined
  const ms = Date.parse(`${value}:00Z`)
  return Number.isNaN(ms) ? undefined : ms
}

/** The field of the first match, with its text, for the guard's findings to mark in place. */
function guardField(
  matches: readonly GuardMatch[],
  texts: { subject: string; summary: string; observed: string; requested: string },
): { field: string; text: string } {
  const fields: Record<string, string> = {
    '/subject': texts.subject,
    '/summary': texts.summary,
    '/observedActivity/description': texts.observed,
    '/requestedAction': texts.requested,
  }
  const field = matches.find((m) => m.path in fields)?.path ?? '/subject'
  return { field, text: fields[field] ?? '' }
}

/**
 * A formal notice from the template: the fields its kind requires are marked and checked here
 * with `@parley/api`'s own table, before the node checks them again.
 */
export function NoticeCompose() {
  const { t, i18n } = useTranslation()
  const L = useLabels()
  const client = useQueryClient()
  const channels = useChannels()
  const lang = i18n.language === 'ru' ? 'ru' : 'en'
  const [channel, setChannel] = useState('')
  const [kind, setKind] = useState<Kind>('incident')
  const [subject, setSubject] = useState('')
  const [urgency, setUrgency] = useState<Urgency>('priority')
  const [tlp, setTlp] = useState<Tlp | ''>('')
  const [severity, setSeverity] = useState('')
  const [sectors, setSectors] = useState<string[]>([])
  const [summary, setSummary] = useState('')
  const [observed, setObserved] = useState('')
  const [from, setFrom] = useState('')
  const [until, setUntil] = useState('')
  const [requested, setRequested] = useState('')
  const [indicators, setIndicators] = useState<Indicator[]>([])
  const [textLang, setTextLang] = useState(lang)
  const [problems, setProblems] = useState<string[]>([])
  const [error, setError] = useState<unknown>(null)
  const [matches, setMatches] = useState<GuardMatch[]>([])
  const [result, setResult] = useState<'sent' | 'held' | null>(null)
  const [busy, setBusy] = useState(false)

  const body = (): Extract<CompositionInput, { type: 'notice.open' }>['body'] => {
    const sev = Number(severity)
    const from_ = utcInput(from)
    const until_ = utcInput(until)
    const shown = indicators.filter((i) => i.value.trim() !== '')
    return {
      kind,
      subject: subject.trim(),
      lang: textLang,
      urgency,
      tlp: tlp === '' ? 'clear' : tlp,
      ...(summary.trim() === '' ? {} : { summary }),
      ...(sectors.length === 0 ? {} : { sectors }),
      ...(severity === '' ? {} : { severity: sev }),
      ...(observed.trim() === ''
        ? {}
        : {
            observedActivity: {
              description: observed,
              ...(from_ === undefined ? {} : { from: from_ }),
              ...(until_ === undefined ? {} : { until: until_ }),
            },
          }),
      ...(requested.trim() === '' ? {} : { requestedAction: requested }),
      ...(shown.length === 0 ? {} : { indicators: shown }),
    }
  }
  const required = (field: NoticeTemplateField) => missingFields({ kind } as never).includes(field)

  const validate = (): string[] => {
    const found: string[] = []
    if (channel === '') found.push('noticeForm.needChannel')
    if (subject.trim() === '') found.push('noticeForm.needSubject')
    if (tlp === '') found.push('noticeForm.needTlp')
    const sev = Number(severity)
    if (severity !== '' && !(Number.isInteger(sev) && sev >= 1 && sev <= 5)) {
      found.push('noticeForm.severityRange')
    }
    for (const field of missingFields(body())) found.push(`noticeForm.need.${field}`)
    return found
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const found = validate()
    setProblems(found)
    setError(null)
    setMatches([])
    setResult(null)
    if (found.length > 0) return
    setBusy(true)
    try {
      const answer = await api.compose({
        params: { channel },
        body: { type: 'notice.open', body: body() },
      })
      setResult('release' in answer ? 'held' : 'sent')
      channelMoved(client, channel)
      void client.invalidateQueries({ queryKey: ['notices'] })
      void client.invalidateQueries({ queryKey: ['releases'] })
    } catch (failure) {
      if (isApiRequestError(failure, 'RELEASE_GUARD_BLOCKED')) {
        setMatches(guardMatches(failure.details))
      } else setError(failure)
    } finally {
      setBusy(false)
    }
  }

  const mark = (field: NoticeTemplateField) =>
    required(field) ? <span className="required"> {t('noticeForm.required')}</span> : null
  const invalid = (key: string) => problems.includes(key)

  return (
    <section aria-labelledby="page-title">
      <p>
        <Link to="/notices">{t('notices.back')}</Link>
      </p>
      <h1 id="page-title">{t('noticeForm.title')}</h1>
      <p className="muted">{t('noticeForm.help')}</p>
      <form className="compose notice-form" onSubmit={submit} noValidate>
        {problems.length > 0 && (
          <div className="alert alert-error" role="alert">
            <ul>
              {problems.map((key) => (
                <li key={key}>{t(key)}</li>
              ))}
            </ul>
          </div>
        )}
        {error !== null && (
          <div className="alert alert-error" role="alert">
            {describeError(t, error)}
          </div>
        )}
        {matches.length > 0 && (
          <GuardFindings
            {...guardField(matches, { subject, summary, observed, requested })}
            matches={matches}
          />
        )}
        {result !== null && (
          <div className="alert alert-ok" role="status">
            {t(result === 'held' ? 'noticeForm.held' : 'noticeForm.sent')}
          </div>
        )}
        <div className="row">
          <label className="field">
            <span>{t('noticeForm.channel')}</span>
            <select
              value={channel}
              aria-invalid={invalid('noticeForm.needChannel')}
              onChange={(e) => setChannel(e.target.value)}
            >
              <option value="">{t('compose.choose')}</option>
              {(channels.data ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.title}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>
              <Bilingual label="field.kind" />
            </span>
            <select value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
              {NOTICE_KINDS.filter((k) => k !== 'ping').map((k) => (
                <option key={k} value={k}>
                  {L(`kind.${k}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>
              <Bilingual label="field.urgency" />
            </span>
            <select value={urgency} onChange={(e) => setUrgency(e.target.value as Urgency)}>
              <UrgencyOptions />
            </select>
          </label>
          <label className="field">
            <span>
              <Bilingual label="field.tlp" />
            </span>
            <select
              value={tlp}
              aria-invalid={invalid('noticeForm.needTlp')}
              onChange={(e) => setTlp(e.target.value as Tlp | '')}
            >
              <option value="">{t('compose.choose')}</option>
              <TlpOptions />
            </select>
          </label>
          <label className="field">
            <span>
              <Bilingual label="field.lang" />
            </span>
            <select value={textLang} onChange={(e) => setTextLang(e.target.value as 'en' | 'ru')}>
              <LanguageOptions />
            </select>
          </label>
        </div>
        <p className="hint">{L(`kind.${kind}.definition`)}</p>
        <label className="field">
          <span>
            <Bilingual label="field.subject" />
          </span>
          <input
            value={subject}
            maxLength={200}
            aria-invalid={invalid('noticeForm.needSubject')}
            onChange={(e) => setSubject(e.target.value)}
          />
        </label>
        <label className="field">
          <span>
            <Bilingual label="field.summary" />
            {mark('summary')}
          </span>
          <textarea
            rows={3}
            value={summary}
            aria-invalid={invalid('noticeForm.need.summary')}
            onChange={(e) => setSummary(e.target.value)}
          />
        </label>
        <label className="field">
          <span>
            <Bilingual label="field.severity" />
            {mark('severity')}
          </span>
          <select
            value={severity}
            aria-invalid={
              invalid('noticeForm.need.severity') || invalid('noticeForm.severityRange')
            }
            onChange={(e) => setSeverity(e.target.value)}
          >
            <option value="">{t('compose.choose')}</option>
            {[1, 2, 3, 4, 5].map((n) => (
              <option key={n} value={n}>
                {t('noticeForm.severityLevel', { n })}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="sectors" aria-invalid={invalid('noticeForm.need.sectors')}>
          <legend>
            <Bilingual label="field.sectors" />
            {mark('sectors')}
          </legend>
          {CISA_SECTORS.sectors.map((sector) => (
            <label key={sector.id} className="check">
              <input
                type="checkbox"
                checked={sectors.includes(sector.id)}
                onChange={(e) =>
                  setSectors(
                    e.target.checked
                      ? [...sectors, sector.id]
                      : sectors.filter((s) => s !== sector.id),
                  )
                }
              />{' '}
              {sector.label[lang]}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>
            <Bilingual label="field.observedActivity" />
            {mark('observedActivity')}
          </legend>
          <label className="field">
            <span>
              <Bilingual label="field.observedActivity.description" />
            </span>
            <textarea
              rows={3}
              value={observed}
              aria-invalid={invalid('noticeForm.need.observedActivity')}
              onChange={(e) => setObserved(e.target.value)}
            />
          </label>
          <div className="row">
            <label className="field">
              <span>
                <Bilingual label="field.observedActivity.from" />
              </span>
              <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
            </label>
            <label className="field">
              <span>
                <Bilingual label="field.observedActivity.until" />
              </span>
              <input
                type="datetime-local"
                value={until}
                onChange={(e) => setUntil(e.target.value)}
              />
            </label>
          </div>
        </fieldset>
        <label className="field">
          <span>
            <Bilingual label="field.requestedAction" />
            {mark('requestedAction')}
          </span>
          <textarea
            rows={2}
            value={requested}
            aria-invalid={invalid('noticeForm.need.requestedAction')}
            onChange={(e) => setRequested(e.target.value)}
          />
        </label>
        <fieldset>
          <legend>
            <Bilingual label="field.indicators" />
          </legend>
          {indicators.map((indicator, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
            <div className="row" key={i}>
              <label className="field">
                <span>
                  <Bilingual label="field.indicators.type" />
                </span>
                <select
                  value={indicator.type}
                  onChange={(e) =>
                    setIndicators(
                      indicators.map((row, j) =>
                        j === i ? { ...row, type: e.target.value as Indicator['type'] } : row,
                      ),
                    )
                  }
                >
                  {INDICATOR_TYPES.map((type) => (
                    <option key={type} value={type}>
                      {L(`indicator.${type}`)}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field grow">
                <span>
                  <Bilingual label="field.indicators.value" />
                </span>
                <input
                  value={indicator.value}
                  onChange={(e) =>
                    setIndicators(
                      indicators.map((row, j) =>
                        j === i ? { ...row, value: e.target.value } : row,
                      ),
                    )
                  }
                />
              </label>
              <label className="field">
                <span>
                  <Bilingual label="field.indicators.tlp" />
                </span>
                <select
                  value={indicator.tlp}
                  onChange={(e) =>
                    setIndicators(
                      indicators.map((row, j) =>
                        j === i ? { ...row, tlp: e.target.value as Tlp } : row,
                      ),
                    )
                  }
                >
                  <TlpOptions />
                </select>
              </label>
              <button
                type="button"
                onClick={() => setIndicators(indicators.filter((_, j) => j !== i))}
              >
                {t('noticeForm.removeIndicator')}
              </button>
            </div>
          ))}
          <button
            type="button"
            onClick={() =>
              setIndicators([
                ...indicators,
                { type: 'ipv4', value: '', tlp: tlp === '' ? 'amber' : tlp },
              ])
            }
          >
            {t('noticeForm.addIndicator')}
          </button>
        </fieldset>
        <div className="row">
          <span className="spacer" />
          <button type="submit" className="primary" disabled={busy}>
            {t('noticeForm.send')}
          </button>
        </div>
      </form>
    </section>
  )
}
