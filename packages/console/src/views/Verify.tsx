import type { TranscriptReport } from '@parley/protocol'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link, useParams } from 'react-router'
import { api } from '../lib/api.ts'
import { useChannels } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import type { VerifyMessage } from '../lib/verify.worker.ts'

/**
 * Verifies the channel's transcript here, in the browser, with the protocol package's verifier
 * in a Web Worker: the officer need not trust the node's word that its log holds.
 */
export function Verify() {
  const { channel = '' } = useParams()
  const { t, i18n } = useTranslation()
  const channels = useChannels()
  const title = channels.data?.find((c) => c.id === channel)?.title ?? channel
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null)
  const [report, setReport] = useState<TranscriptReport | null>(null)
  const [transcript, setTranscript] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const number = new Intl.NumberFormat(i18n.language)

  const run = async () => {
    setError(null)
    setReport(null)
    setProgress({ done: 0, total: 1 })
    try {
      const { transcript: text } = await api.getTranscript({ params: { channel } })
      setTranscript(text)
      const worker = new Worker(new URL('../lib/verify.worker.ts', import.meta.url), {
        type: 'module',
      })
      worker.onmessage = (event: MessageEvent<VerifyMessage>) => {
        if (event.data.kind === 'progress')
          setProgress({ done: event.data.done, total: event.data.total })
        else {
          setReport(event.data.report)
          worker.terminate()
        }
      }
      worker.postMessage({ transcript: text })
    } catch (failure) {
      setError(failure)
      setProgress(null)
    }
  }
  const download = () => {
    if (transcript === null) return
    const url = URL.createObjectURL(new Blob([transcript], { type: 'application/x-ndjson' }))
    const link = document.createElement('a')
    link.href = url
    link.download = `${channel}.parley`
    link.click()
    URL.revokeObjectURL(url)
  }
  const parties = report === null ? 0 : Object.keys(report.parties).length
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('verify.title', { channel: title })}</h1>
      <p className="muted">{t('verify.help')}</p>
      <div className="row">
        <button type="button" className="primary" onClick={() => void run()}>
          {t('verify.run')}
        </button>
        <button type="button" disabled={transcript === null} onClick={download}>
          {t('verify.download')}
        </button>
        <Link to={`/channels/${channel}`}>{t('verify.back')}</Link>
      </div>
      {error !== null && (
        <div className="alert alert-error" role="alert">
          {describeError(t, error)}
        </div>
      )}
      {progress !== null && (
        <p>
          <label>
            {t('verify.progress', {
              done: number.format(progress.done),
              total: number.format(progress.total),
            })}{' '}
            <progress className="progress" max={progress.total} value={progress.done} />
          </label>
        </p>
      )}
      {report !== null && (
        <div role="status">
          <p className={report.ok ? 'result-ok' : 'result-bad'}>
            {report.ok
              ? t('verify.ok', { events: number.format(report.events), parties })
              : t('verify.failed', {
                  events: number.format(report.events),
                  parties,
                  failures: number.format(report.failureCount),
                })}
          </p>
          {report.failures.length > 0 && (
            <ul>
              {report.failures.slice(0, 50).map((f) => (
                <li key={`${f.line}-${f.code}`} className="mono">
                  {t('verify.failure', { line: f.line, code: f.code, message: f.message })}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  )
}
