import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useId, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { api } from '../lib/api.ts'
import { useChannels } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import { findOriginals, unforwardableMarking } from '../lib/originals.ts'

/** The longest note a forward carries (the protocol's limit). */
const MAX_NOTE = 5000

export interface ForwardFormProps {
  /** The channel the item is in. */
  readonly from: string
  /** What is forwarded, as the officer knows it (a red line's title, an agreement's). */
  readonly what: string
  /** The ids of the signed events that make up the item, read when the officer forwards. */
  readonly events: () => Promise<readonly string[]>
}

type Outcome = { kind: 'sent' | 'held'; channel: string; title: string }

/**
 * Forwards an item's signed originals, unchanged, into another channel of the officer's:
 * checked before it is sent (a channel chosen, the note's length, no TLP:RED or AMBER+STRICT),
 * and the node's refusals shown in the officer's language.
 */
export function ForwardForm(props: ForwardFormProps) {
  const { t } = useTranslation()
  const id = useId()
  const client = useQueryClient()
  const channels = useChannels()
  const [open, setOpen] = useState(false)
  const [target, setTarget] = useState('')
  const [note, setNote] = useState('')
  const [problems, setProblems] = useState<string[]>([])
  const [error, setError] = useState<unknown>(null)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const [busy, setBusy] = useState(false)
  const targets = (channels.data ?? []).filter((c) => c.id !== props.from && c.status === 'active')

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(null)
    setOutcome(null)
    const found: string[] = []
    if (target === '') found.push(t('forward.needChannel'))
    if (note.length > MAX_NOTE) found.push(t('forward.noteTooLong', { max: MAX_NOTE }))
    setProblems(found)
    if (found.length > 0) return
    setBusy(true)
    try {
      const ids = await props.events()
      const originals = await findOriginals(props.from, ids)
      if (originals.some((o) => o === undefined)) {
        setProblems([t('forward.notFound')])
        return
      }
      const marking = originals.map((o) => unforwardableMarking(o!.event.body)).find(Boolean)
      if (marking !== undefined) {
        setProblems([t('forward.marked', { tlp: marking.toUpperCase() })])
        return
      }
      const body = {
        from: props.from,
        items: originals.map((o) => ({ event: o!.event, sig: o!.sig })),
        ...(note.trim() === '' ? {} : { note: note.trim() }),
      }
      const answer = await api.compose({
        params: { channel: target },
        body: { type: 'forward', body } as never,
      })
      const title = targets.find((c) => c.id === target)?.title ?? target
      setOutcome({ kind: 'release' in answer ? 'held' : 'sent', channel: target, title })
      setNote('')
      await client.invalidateQueries({ queryKey: ['forwards', target] })
      await client.invalidateQueries({ queryKey: ['releases'] })
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="forward">
      <button
        type="button"
        className="small"
        aria-expanded={open}
        aria-controls={`${id}-form`}
        aria-label={t('forward.openLabel', { what: props.what })}
        onClick={() => setOpen(!open)}
      >
        {t('forward.open')}
      </button>
      {open && (
        <form
          id={`${id}-form`}
          className="card forward-form"
          onSubmit={submit}
          noValidate
          aria-label={t('forward.formLabel', { what: props.what })}
        >
          {problems.length > 0 && (
            <div className="alert alert-error" role="alert">
              <ul>
                {problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </div>
          )}
          {error !== null && (
            <div className="alert alert-error" role="alert">
              {describeError(t, error)}
            </div>
          )}
          {outcome !== null && (
            <div className="alert alert-ok" role="status">
              {outcome.kind === 'held' ? (
                t('compose.held')
              ) : (
                <>
                  {t('forward.sent', { channel: outcome.title })}{' '}
                  <Link to={`/channels/${outcome.channel}/forwards`}>{t('forwards.link')}</Link>
                </>
              )}
            </div>
          )}
          {channels.isSuccess && targets.length === 0 ? (
            <p className="muted">{t('forward.noChannel')}</p>
          ) : (
            <div className="row">
              <label className="field">
                <span>{t('forward.to')}</span>
                <select
                  value={target}
                  aria-invalid={problems.includes(t('forward.needChannel'))}
                  onChange={(e) => setTarget(e.target.value)}
                >
                  <option value="">{t('compose.choose')}</option>
                  {targets.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.title}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field grow">
                <span>{t('forward.note')}</span>
                <input
                  value={note}
                  aria-invalid={note.length > MAX_NOTE}
                  onChange={(e) => setNote(e.target.value)}
                />
              </label>
              <button type="submit" className="primary" disabled={busy}>
                {t('forward.submit')}
              </button>
            </div>
          )}
          <p className="hint">{t('forward.help')}</p>
        </form>
      )}
    </div>
  )
}
