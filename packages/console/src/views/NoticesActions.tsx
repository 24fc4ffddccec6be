import type { CompositionInput, NoticeDetailView } from '@parley/api'
import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api.ts'
import { channelMoved } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import { Bilingual } from './Bilingual.tsx'
import { type TLPS, useOwnParty } from './NoticesShared.tsx'
import { TlpOptions } from './Options.tsx'

type Outcome = { kind: 'done' | 'held'; what: 'ack' | 'reply' | 'close' } | null

/** Acknowledge, reply (interim or final) and close: each composed through the API. */
export function NoticeActions({ notice }: { notice: NoticeDetailView }) {
  const { t, i18n } = useTranslation()
  const client = useQueryClient()
  const own = useOwnParty()
  const [error, setError] = useState<unknown>(null)
  const [outcome, setOutcome] = useState<Outcome>(null)
  const [busy, setBusy] = useState(false)
  const [text, setText] = useState('')
  const [final, setFinal] = useState(false)
  const [tlp, setTlp] = useState<(typeof TLPS)[number]>(notice.tlp)
  const [resolution, setResolution] = useState('')
  const [invalid, setInvalid] = useState<string | null>(null)

  const mine = notice.recipients.find((r) => r.party === own)
  const open = notice.closedAt === null
  const compose = async (what: 'ack' | 'reply' | 'close', body: CompositionInput) => {
    setBusy(true)
    setError(null)
    setOutcome(null)
    try {
      const answer = await api.compose({ params: { channel: notice.channel }, body })
      setOutcome({ kind: 'release' in answer ? 'held' : 'done', what })
      channelMoved(client, notice.channel)
      await client.invalidateQueries({ queryKey: ['notices'] })
      return true
    } catch (failure) {
      setError(failure)
      return false
    } finally {
      setBusy(false)
    }
  }
  const reply = async (event: FormEvent) => {
    event.preventDefault()
    if (text.trim() === '') return setInvalid('notices.needReply')
    setInvalid(null)
    const lang = i18n.language === 'ru' ? 'ru' : 'en'
    const ok = await compose('reply', {
      type: 'notice.reply',
      body: { notice: notice.id, text, lang, tlp, ...(final ? { final: true } : {}) },
    })
    if (ok) setText('')
  }
  const close = async (event: FormEvent) => {
    event.preventDefault()
    if (resolution.trim() === '') return setInvalid('notices.needResolution')
    setInvalid(null)
    const ok = await compose('close', {
      type: 'notice.close',
      body: { notice: notice.id, resolution },
    })
    if (ok) setResolution('')
  }

  if (!open && outcome === null) return null
  return (
    <section className="card actions" aria-labelledby="actions-title">
      <h2 id="actions-title">{t('notices.actions')}</h2>
      {error !== null && (
        <div className="alert alert-error" role="alert">
          {describeError(t, error)}
        </div>
      )}
      {invalid !== null && (
        <div className="alert alert-error" role="alert">
          {t(invalid)}
        </div>
      )}
      {outcome !== null && (
        <div className="alert alert-ok" role="status">
          {t(`notices.${outcome.kind}.${outcome.what}`)}
        </div>
      )}
      {open && mine !== undefined && mine.acknowledgedAt === null && (
        <p>
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => void compose('ack', { type: 'notice.ack', body: { notice: notice.id } })}
          >
            {t('notices.acknowledge')}
          </button>{' '}
          <span className="muted">{t('notices.acknowledgeHelp')}</span>
        </p>
      )}
      {open && (
        <form className="stack" onSubmit={reply} noValidate>
          <label className="field">
            <span>
              <Bilingual label="field.reply.text" />
            </span>
            <textarea
              rows={3}
              value={text}
              aria-invalid={invalid === 'notices.needReply'}
              onChange={(e) => setText(e.target.value)}
            />
          </label>
          <div className="row">
            <label className="field">
              <span>
                <Bilingual label="field.tlp" />
              </span>
              <select value={tlp} onChange={(e) => setTlp(e.target.value as (typeof TLPS)[number])}>
                <TlpOptions />
              </select>
            </label>
            <label className="check">
              <input type="checkbox" checked={final} onChange={(e) => setFinal(e.target.checked)} />{' '}
              <Bilingual label="field.reply.final" />
            </label>
            <span className="spacer" />
            <button type="submit" disabled={busy}>
              {final ? t('notices.sendFinal') : t('notices.sendInterim')}
            </button>
          </div>
        </form>
      )}
      {open && own === notice.opener && (
        <form className="row" onSubmit={close} noValidate>
          <label className="field grow">
            <span>
              <Bilingual label="field.close.resolution" />
            </span>
            <input
              value={resolution}
              aria-invalid={invalid === 'notices.needResolution'}
              onChange={(e) => setResolution(e.target.value)}
            />
          </label>
          <button type="submit" className="danger" disabled={busy}>
            {t('notices.close')}
          </button>
        </form>
      )}
    </section>
  )
}
