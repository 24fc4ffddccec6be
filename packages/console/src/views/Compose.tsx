import { isApiRequestError } from '@parley/api'
import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api.ts'
import { channelMoved } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import { Bilingual } from './Bilingual.tsx'
import { GuardFindings, type GuardMatch, guardMatches } from './GuardFindings.tsx'
import { LanguageOptions, type Tlp, TlpOptions, type Urgency, UrgencyOptions } from './Options.tsx'

const MAX_TEXT = 20_000

/** A message to the channel: checked here before it is sent, and by the node again. */
export function Compose({ channel }: { channel: string }) {
  const { t, i18n } = useTranslation()
  const client = useQueryClient()
  const [text, setText] = useState('')
  const [lang, setLang] = useState(i18n.language === 'ru' ? 'ru' : 'en')
  const [tlp, setTlp] = useState<Tlp | ''>('')
  const [urgency, setUrgency] = useState<Urgency>('routine')
  const [invalid, setInvalid] = useState<string[]>([])
  const [error, setError] = useState<unknown>(null)
  const [matches, setMatches] = useState<GuardMatch[]>([])
  const [sentText, setSentText] = useState('')
  const [result, setResult] = useState<'sent' | 'held' | null>(null)
  const [busy, setBusy] = useState(false)

  const validate = () => {
    const problems: string[] = []
    if (text.trim() === '') problems.push('compose.needText')
    if (text.length > MAX_TEXT) problems.push('compose.tooLong')
    if (tlp === '') problems.push('compose.needTlp')
    return problems
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const problems = validate()
    setInvalid(problems)
    setResult(null)
    setError(null)
    setMatches([])
    if (problems.length > 0 || tlp === '') return
    setBusy(true)
    try {
      const answer = await api.postMessage({
        params: { channel },
        body: { text, lang, tlp, urgency },
      })
      setResult('release' in answer ? 'held' : 'sent')
      setText('')
      setUrgency('routine')
      channelMoved(client, channel)
      void client.invalidateQueries({ queryKey: ['releases'] })
    } catch (failure) {
      if (isApiRequestError(failure, 'RELEASE_GUARD_BLOCKED')) {
        setMatches(guardMatches(failure.details))
        setSentText(text)
      } else setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="compose" onSubmit={submit} noValidate aria-labelledby="compose-title">
      <h2 id="compose-title">{t('compose.title')}</h2>
      {invalid.length > 0 && (
        <div className="alert alert-error" role="alert">
          <ul>
            {invalid.map((key) => (
              <li key={key}>{t(key, { max: MAX_TEXT })}</li>
            ))}
          </ul>
        </div>
      )}
      {error !== null && (
        <div className="alert alert-error" role="alert">
          {describeError(t, error)}
        </div>
      )}
      {matches.length > 0 && <GuardFindings text={sentText} matches={matches} />}
      {result !== null && (
        <div className="alert alert-ok" role="status">
          {t(result === 'held' ? 'compose.held' : 'compose.sent')}
        </div>
      )}
      <label className="field">
        <span>
          <Bilingual k="compose.text" />
        </span>
        <textarea
          name="text"
          rows={3}
          value={text}
          aria-invalid={invalid.includes('compose.needText') || invalid.includes('compose.tooLong')}
          onChange={(e) => setText(e.target.value)}
        />
        <span className="hint">{t('compose.count', { count: text.length, max: MAX_TEXT })}</span>
      </label>
      <div className="row">
        <label className="field">
          <span>
            <Bilingual label="field.tlp" />
          </span>
          <select
            name="tlp"
            value={tlp}
            aria-invalid={invalid.includes('compose.needTlp')}
            onChange={(e) => setTlp(e.target.value as Tlp | '')}
          >
            <option value="">{t('compose.choose')}</option>
            <TlpOptions />
          </select>
        </label>
        <label className="field">
          <span>
            <Bilingual label="field.urgency" />
          </span>
          <select
            name="urgency"
            value={urgency}
            onChange={(e) => setUrgency(e.target.value as Urgency)}
          >
            <UrgencyOptions />
          </select>
        </label>
        <label className="field">
          <span>
            <Bilingual label="field.lang" />
          </span>
          <select name="lang" value={lang} onChange={(e) => setLang(e.target.value)}>
            <LanguageOptions />
          </select>
        </label>
        <span className="spacer" />
        <button type="submit" className="primary" disabled={busy}>
          {t('compose.send')}
        </button>
      </div>
    </form>
  )
}
