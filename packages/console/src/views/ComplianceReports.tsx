import type { DraftStateView } from '@parley/api'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api.ts'
import { describeError } from '../lib/errors.ts'
import { UtcTime } from '../lib/time.tsx'
import { LanguageOptions } from './Options.tsx'

/** The protocol's assessments of a compliance report, in the order a form offers them. */
const ASSESSMENTS = ['compliant', 'partially-compliant', 'non-compliant', 'unclear'] as const
type Assessment = (typeof ASSESSMENTS)[number]
const MAX_TEXT = 20_000

/** Every paragraph of every adopted version, by its stable id, at its latest adopted wording. */
function adoptedParagraphs(state: DraftStateView) {
  const byId = new Map<string, { paragraph: string; text: string; num: number | null }>()
  for (const version of state.adopted) {
    for (const p of version.text) {
      const num = state.paragraphs.find((q) => q.eId === p.paragraph)?.num ?? null
      byId.set(p.paragraph, { paragraph: p.paragraph, text: p.text, num })
    }
  }
  return [...byId.values()]
}

/**
 * The compliance reports on an adopted agreement, threaded, each with its latest assessment and
 * status; and the form to file a report on one of its paragraphs, or to answer a thread.
 */
export function ComplianceReports(props: {
  channel: string
  draft: string
  state: DraftStateView
}) {
  const { t, i18n } = useTranslation()
  const client = useQueryClient()
  const key = ['compliance', props.channel, props.draft]
  const view = useQuery({
    queryKey: key,
    queryFn: () => api.getCompliance({ params: { channel: props.channel, draft: props.draft } }),
    refetchInterval: 3_000,
  })
  const paragraphs = adoptedParagraphs(props.state)
  const [paragraph, setParagraph] = useState('')
  const [assessment, setAssessment] = useState<Assessment | ''>('')
  const [text, setText] = useState('')
  const [lang, setLang] = useState(i18n.language === 'ru' ? 'ru' : 'en')
  const [replyTo, setReplyTo] = useState<string | null>(null)
  const [problems, setProblems] = useState<string[]>([])
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<'sent' | 'held' | null>(null)
  const [busy, setBusy] = useState(false)
  const numbered = (id: string) => {
    const num = paragraphs.find((p) => p.paragraph === id)?.num
    return num == null ? t('drafts.paragraphId', { id }) : t('drafts.paragraph', { num })
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(null)
    setDone(null)
    const found: string[] = []
    if (paragraph === '') found.push('reportForm.needParagraph')
    if (assessment === '') found.push('reportForm.needAssessment')
    if (text.length > MAX_TEXT) found.push('reportForm.tooLong')
    setProblems(found)
    if (found.length > 0) return
    setBusy(true)
    try {
      const body = {
        agreement: props.draft,
        paragraph,
        assessment,
        ...(text.trim() === '' ? {} : { text: text.trim(), lang }),
        ...(replyTo === null ? {} : { replyTo }),
      }
      const answer = await api.compose({
        params: { channel: props.channel },
        body: { type: 'compliance.report', body } as never,
      })
      setDone('release' in answer ? 'held' : 'sent')
      setText('')
      setReplyTo(null)
      await client.invalidateQueries({ queryKey: key })
      await client.invalidateQueries({ queryKey: ['releases'] })
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  const answer = (thread: { id: string; paragraph: string }) => {
    setReplyTo(thread.id)
    setParagraph(thread.paragraph)
    setDone(null)
    document.getElementById('compliance-form')?.querySelector('select')?.focus()
  }

  return (
    <section className="card" aria-labelledby="compliance">
      <h2 id="compliance">{t('drafts.compliance')}</h2>
      {view.error !== null && <p role="alert">{describeError(t, view.error)}</p>}
      {view.data?.threads.length === 0 && <p className="muted">{t('drafts.complianceNone')}</p>}
      <ul className="plain compliance-threads">
        {(view.data?.threads ?? []).map((thread) => (
          <li key={thread.id} className="compliance-thread">
            <p>
              <strong>{thread.reporter.toUpperCase()}</strong> · {numbered(thread.paragraph)} ·{' '}
              <span className={`tag assessment-${thread.assessment}`}>
                {t(`drafts.assessment.${thread.assessment}`, { defaultValue: thread.assessment })}
              </span>{' '}
              <span className={`tag thread-${thread.status}`}>
                {t(`drafts.thread.${thread.status}`)}
              </span>
            </p>
            <ol>
              {thread.reports.map((r) => (
                <li key={r.id}>
                  {r.author.toUpperCase()} <UtcTime ms={r.time} /> ·{' '}
                  {t(`drafts.assessment.${r.assessment}`, { defaultValue: r.assessment })}
                  {r.text !== undefined && (
                    <>
                      {' — '}
                      <span lang={r.lang}>{r.text}</span>
                    </>
                  )}
                </li>
              ))}
            </ol>
            <button
              type="button"
              className="small"
              onClick={() => answer(thread)}
              aria-label={t('reportForm.replyLabel', { party: thread.reporter.toUpperCase() })}
            >
              {t('reportForm.reply')}
            </button>
          </li>
        ))}
      </ul>
      <form
        id="compliance-form"
        onSubmit={submit}
        noValidate
        aria-labelledby="compliance-form-title"
      >
        <h3 id="compliance-form-title">
          {replyTo === null ? t('reportForm.file') : t('reportForm.answering')}
        </h3>
        {problems.length > 0 && (
          <div className="alert alert-error" role="alert">
            <ul>
              {problems.map((p) => (
                <li key={p}>{t(p, { max: MAX_TEXT })}</li>
              ))}
            </ul>
          </div>
        )}
        {error !== null && (
          <div className="alert alert-error" role="alert">
            {describeError(t, error)}
          </div>
        )}
        {done !== null && (
          <div className="alert alert-ok" role="status">
            {t(done === 'held' ? 'compose.held' : 'reportForm.sent')}
          </div>
        )}
        <div className="row">
          <label className="field">
            <span>{t('reportForm.paragraph')}</span>
            <select
              value={paragraph}
              aria-invalid={problems.includes('reportForm.needParagraph')}
              onChange={(e) => setParagraph(e.target.value)}
            >
              <option value="">{t('compose.choose')}</option>
              {paragraphs.map((p) => (
                <option key={p.paragraph} value={p.paragraph}>
                  {numbered(p.paragraph)}: {p.text.slice(0, 60)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>{t('reportForm.assessment')}</span>
            <select
              value={assessment}
              aria-invalid={problems.includes('reportForm.needAssessment')}
              onChange={(e) => setAssessment(e.target.value as Assessment | '')}
            >
              <option value="">{t('compose.choose')}</option>
              {ASSESSMENTS.map((a) => (
                <option key={a} value={a}>
                  {t(`drafts.assessment.${a}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>{t('reportForm.lang')}</span>
            <select value={lang} onChange={(e) => setLang(e.target.value)}>
              <LanguageOptions />
            </select>
          </label>
        </div>
        <label className="field">
          <span>{t('reportForm.text')}</span>
          <textarea
            rows={3}
            value={text}
            aria-invalid={problems.includes('reportForm.tooLong')}
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        <div className="row">
          {replyTo !== null && (
            <button type="button" onClick={() => setReplyTo(null)}>
              {t('common.cancel')}
            </button>
          )}
          <span className="spacer" />
          <button type="submit" className="primary" disabled={busy}>
            {t('reportForm.submit')}
          </button>
        </div>
      </form>
    </section>
  )
}
