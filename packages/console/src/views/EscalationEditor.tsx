import {
  type EscalationConfig,
  type EscalationConfigView,
  type EscalationStep,
  isApiRequestError,
} from '@parley/api'
import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, type ReactNode, useId, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api.ts'
import { describeError } from '../lib/errors.ts'
import { useLabels } from '../lib/labels.ts'
import { Bilingual } from './Bilingual.tsx'
import { URGENCIES } from './NoticesShared.tsx'

type Urgency = (typeof URGENCIES)[number]
type Action = EscalationStep['action']

/** A step as the form holds it: every field of every action, the time in whole minutes. */
interface StepDraft {
  readonly action: Action
  readonly to: 'duty' | 'contacts'
  readonly url: string
  readonly secret: string
  readonly from: 'start' | 'due'
  readonly direction: 'after' | 'before'
  readonly minutes: string
}
interface Draft {
  readonly contacts: readonly { readonly name: string; readonly email: string }[]
  readonly ladders: Readonly<Record<Urgency, readonly StepDraft[]>>
}

// The limits of `@parley/api`'s EscalationConfigSchema, checked before anything is sent.
const MAX_STEPS = 16
const MAX_CONTACTS = 32
const MAX_MINUTES = 30 * 24 * 60
const EMAIL = /^[^\s@]+@[^\s@]+$/
const URL = /^https?:\/\/[^\s]+$/
const SECRET = /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/
const MINUTE = 60_000

function toDraft(config: EscalationConfig): Draft {
  const step = (s: EscalationStep): StepDraft => ({
    action: s.action,
    to: s.action === 'email' ? s.to : 'duty',
    url: s.action === 'webhook' ? s.url : '',
    secret: s.action === 'webhook' ? s.secret : '',
    from: s.at.from,
    direction: s.at.offsetMs < 0 ? 'before' : 'after',
    minutes: String(Math.abs(s.at.offsetMs) / MINUTE),
  })
  return {
    contacts: config.contacts,
    ladders: {
      routine: config.ladders.routine.map(step),
      priority: config.ladders.priority.map(step),
      flash: config.ladders.flash.map(step),
    },
  }
}

function toConfig(draft: Draft): EscalationConfig {
  const step = (s: StepDraft): EscalationStep => {
    const minutes = Number(s.minutes)
    const at = { from: s.from, offsetMs: (s.direction === 'before' ? -1 : 1) * minutes * MINUTE }
    if (s.action === 'email') return { action: 'email', to: s.to, at }
    if (s.action === 'webhook') return { action: 'webhook', url: s.url, secret: s.secret, at }
    return { action: 'alarm', at }
  }
  return {
    contacts: draft.contacts.map((c) => ({ name: c.name.trim(), email: c.email.trim() })),
    ladders: {
      routine: draft.ladders.routine.map(step),
      priority: draft.ladders.priority.map(step),
      flash: draft.ladders.flash.map(step),
    },
  }
}

/** Each field's problem, by its path in the config (`ladders.flash.2.url`): catalog keys. */
function validate(draft: Draft): Map<string, string> {
  const found = new Map<string, string>()
  if (draft.contacts.length > MAX_CONTACTS) found.set('contacts', 'escalationForm.tooManyContacts')
  draft.contacts.forEach((c, i) => {
    const name = c.name.trim()
    if (name === '' || name.length > 200) found.set(`contacts.${i}.name`, 'escalationForm.needName')
    if (!EMAIL.test(c.email.trim()) || c.email.trim().length > 254) {
      found.set(`contacts.${i}.email`, 'escalationForm.badEmail')
    }
  })
  for (const urgency of URGENCIES) {
    const steps = draft.ladders[urgency]
    if (steps.length > MAX_STEPS) found.set(`ladders.${urgency}`, 'escalationForm.tooManySteps')
    steps.forEach((s, i) => {
      const at = `ladders.${urgency}.${i}`
      const minutes = Number(s.minutes)
      if (!/^\d+$/.test(s.minutes.trim()) || minutes > MAX_MINUTES) {
        found.set(`${at}.at`, 'escalationForm.badMinutes')
      }
      if (s.action === 'webhook') {
        if (!URL.test(s.url) || s.url.length > 2000) found.set(`${at}.url`, 'escalationForm.badUrl')
        if (!SECRET.test(s.secret)) found.set(`${at}.secret`, 'escalationForm.badSecret')
      }
    })
  }
  return found
}

/**
 * The field a node's refusal concerns: `details.path` of ESCALATION_CONFIG_INVALID, or the
 * schema path in REQUEST_INVALID's reason (`body/ladders/flash/0/url must match …`).
 */
function refusedField(error: unknown): string | null {
  if (isApiRequestError(error, 'ESCALATION_CONFIG_INVALID')) {
    const path = (error.details as { path?: unknown } | undefined)?.path
    return typeof path === 'string' ? path : null
  }
  if (isApiRequestError(error, 'REQUEST_INVALID')) {
    const reason = (error.details as { reason?: unknown } | undefined)?.reason
    const path = typeof reason === 'string' ? /^body\/(\S+)/.exec(reason)?.[1] : undefined
    if (path === undefined) return null
    // A time's two parts are one field in the form.
    return path.replaceAll('/', '.').replace(/\.at\.(from|offsetMs)$/, '.at')
  }
  return null
}

const BLANK_STEP: StepDraft = {
  action: 'alarm',
  to: 'duty',
  url: '',
  secret: '',
  from: 'start',
  direction: 'after',
  minutes: '0',
}

/** An admin's editor of the party's contacts and ladders (`PUT /escalation/:party`). */
export function EscalationEditor({ view }: { view: EscalationConfigView }) {
  const { t } = useTranslation()
  const L = useLabels()
  const client = useQueryClient()
  const [draft, setDraft] = useState<Draft>(() => toDraft(view.config))
  const [problems, setProblems] = useState<Map<string, string>>(new Map())
  const [refusal, setRefusal] = useState<{ error: unknown; field: string | null } | null>(null)
  const [state, setState] = useState<'editing' | 'saving' | 'saved'>('editing')

  const change = (next: Draft) => {
    setDraft(next)
    if (state === 'saved') setState('editing')
  }
  const setSteps = (urgency: Urgency, steps: readonly StepDraft[]) =>
    change({ ...draft, ladders: { ...draft.ladders, [urgency]: steps } })

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const found = validate(draft)
    setProblems(found)
    setRefusal(null)
    if (found.size > 0) return
    setState('saving')
    try {
      const saved = await api.setEscalationConfig({
        params: { party: view.party },
        body: toConfig(draft),
      })
      client.setQueryData(['escalation', view.party], saved)
      setDraft(toDraft(saved.config))
      setState('saved')
    } catch (failure) {
      setRefusal({ error: failure, field: refusedField(failure) })
      setState('editing')
    }
  }

  const errorAt = (path: string): string | null => {
    const key = problems.get(path)
    if (key !== undefined) return t(key)
    if (refusal !== null && refusal.field === path) return describeError(t, refusal.error)
    return null
  }

  return (
    <form className="escalation-editor" onSubmit={submit} noValidate aria-labelledby="edit-title">
      <h2 id="edit-title">{t('escalationForm.title')}</h2>
      <p className="muted">{t('escalationForm.help')}</p>
      {problems.size > 0 && (
        <div className="alert alert-error" role="alert">
          {t('escalationForm.problems', { count: problems.size })}
        </div>
      )}
      {refusal !== null && (
        <div className="alert alert-error" role="alert">
          {refusal.field === null
            ? describeError(t, refusal.error)
            : t('escalationForm.refusedAt', { error: describeError(t, refusal.error) })}
        </div>
      )}
      <div className="cards">
        {URGENCIES.map((urgency) => (
          <fieldset key={urgency} className="card ladder-editor">
            <legend>
              <span className={`urgency urgency-${urgency}`}>{L(`urgency.${urgency}`)}</span>
            </legend>
            {draft.ladders[urgency].length === 0 ? (
              <p className="empty">{t('escalation.noSteps')}</p>
            ) : (
              <ol className="ladder">
                {draft.ladders[urgency].map((step, i) => (
                  <StepEditor
                    // biome-ignore lint/suspicious/noArrayIndexKey: a ladder's steps are known by their place
                    key={i}
                    urgency={urgency}
                    index={i}
                    count={draft.ladders[urgency].length}
                    step={step}
                    errorAt={errorAt}
                    onChange={(next) =>
                      setSteps(
                        urgency,
                        draft.ladders[urgency].map((s, j) => (j === i ? next : s)),
                      )
                    }
                    onMove={(by) => {
                      const steps = [...draft.ladders[urgency]]
                      const [moved] = steps.splice(i, 1)
                      steps.splice(i + by, 0, moved!)
                      setSteps(urgency, steps)
                    }}
                    onRemove={() =>
                      setSteps(
                        urgency,
                        draft.ladders[urgency].filter((_, j) => j !== i),
                      )
                    }
                  />
                ))}
              </ol>
            )}
            <FieldError id={`ladders-${urgency}-error`} text={errorAt(`ladders.${urgency}`)} />
            <button
              type="button"
              disabled={draft.ladders[urgency].length >= MAX_STEPS}
              onClick={() => setSteps(urgency, [...draft.ladders[urgency], BLANK_STEP])}
            >
              {t('escalationForm.addStep', { urgency: L(`urgency.${urgency}`) })}
            </button>
          </fieldset>
        ))}
      </div>
      <fieldset className="contacts-editor">
        <legend>
          <Bilingual k="escalation.contacts" />
        </legend>
        {draft.contacts.length === 0 && <p className="empty">{t('escalation.noContacts')}</p>}
        {draft.contacts.map((contact, i) => {
          const update = (next: Partial<typeof contact>) =>
            change({
              ...draft,
              contacts: draft.contacts.map((c, j) => (j === i ? { ...c, ...next } : c)),
            })
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: contacts are edited in place by their row
            <div key={i} className="row contact-row">
              <TextField
                label={<Bilingual k="escalationForm.name" />}
                path={`contacts.${i}.name`}
                value={contact.name}
                error={errorAt(`contacts.${i}.name`)}
                onChange={(name) => update({ name })}
              />
              <TextField
                label={<Bilingual k="escalationForm.email" />}
                path={`contacts.${i}.email`}
                value={contact.email}
                type="email"
                error={errorAt(`contacts.${i}.email`)}
                onChange={(email) => update({ email })}
              />
              <button
                type="button"
                aria-label={t('escalationForm.removeContact', { n: i + 1 })}
                onClick={() =>
                  change({ ...draft, contacts: draft.contacts.filter((_, j) => j !== i) })
                }
              >
                {t('escalationForm.remove')}
              </button>
            </div>
          )
        })}
        <FieldError id="contacts-error" text={errorAt('contacts')} />
        <button
          type="button"
          disabled={draft.contacts.length >= MAX_CONTACTS}
          onClick={() =>
            change({ ...draft, contacts: [...draft.contacts, { name: '', email: '' }] })
          }
        >
          {t('escalationForm.addContact')}
        </button>
      </fieldset>
      <div className="row">
        <button type="submit" className="primary" disabled={state === 'saving'}>
          {t('escalationForm.save')}
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(toDraft(view.config))
            setProblems(new Map())
            setRefusal(null)
            setState('editing')
          }}
        >
          {t('escalationForm.reset')}
        </button>
        {state === 'saved' && (
          <span className="alert alert-ok" role="status">
            {t('escalationForm.saved')}
          </span>
        )}
      </div>
    </form>
  )
}

function StepEditor(props: {
  urgency: Urgency
  index: number
  count: number
  step: StepDraft
  errorAt: (path: string) => string | null
  onChange: (step: StepDraft) => void
  onMove: (by: -1 | 1) => void
  onRemove: () => void
}) {
  const { t } = useTranslation()
  const { step, index: i } = props
  const at = `ladders.${props.urgency}.${i}`
  const id = useId()
  const set = (next: Partial<StepDraft>) => props.onChange({ ...step, ...next })
  const timeError = props.errorAt(`${at}.at`)
  const n = i + 1
  return (
    <li className="step-editor" data-step={`${props.urgency}-${i}`}>
      <div className="row">
        <SelectField
          label={<Bilingual k="escalationForm.action" />}
          path={`${at}.action`}
          value={step.action}
          error={null}
          options={(['alarm', 'email', 'webhook'] as const).map((a) => [
            a,
            t(`escalation.action.${a}`),
          ])}
          onChange={(action) => set({ action: action as Action })}
        />
        {step.action === 'email' && (
          <SelectField
            label={<Bilingual k="escalationForm.to" />}
            path={`${at}.to`}
            value={step.to}
            error={props.errorAt(`${at}.to`)}
            options={(['duty', 'contacts'] as const).map((v) => [v, t(`escalation.target.${v}`)])}
            onChange={(to) => set({ to: to as StepDraft['to'] })}
          />
        )}
      </div>
      {step.action === 'webhook' && (
        <div className="row">
          <TextField
            label={<Bilingual k="escalationForm.url" />}
            path={`${at}.url`}
            value={step.url}
            type="url"
            error={props.errorAt(`${at}.url`)}
            onChange={(url) => set({ url })}
          />
          <TextField
            label={<Bilingual k="escalationForm.secret" />}
            path={`${at}.secret`}
            value={step.secret}
            hint={t('escalationForm.secretHint')}
            error={props.errorAt(`${at}.secret`)}
            onChange={(secret) => set({ secret })}
          />
        </div>
      )}
      <fieldset className="row step-time">
        <legend>
          <Bilingual k="escalationForm.when" />
        </legend>
        <div className="field">
          <label htmlFor={`${id}-minutes`}>{t('escalationForm.minutes')}</label>
          <input
            id={`${id}-minutes`}
            type="text"
            inputMode="numeric"
            size={6}
            data-path={`${at}.at`}
            value={step.minutes}
            aria-invalid={timeError !== null}
            aria-describedby={timeError === null ? undefined : `${id}-time-error`}
            onChange={(e) => set({ minutes: e.target.value })}
          />
        </div>
        <SelectField
          label={t('escalationForm.direction')}
          path={`${at}.direction`}
          value={step.direction}
          error={null}
          options={[
            ['after', t('escalationForm.after')],
            ['before', t('escalationForm.before')],
          ]}
          onChange={(direction) => set({ direction: direction as StepDraft['direction'] })}
        />
        <SelectField
          label={t('escalationForm.from')}
          path={`${at}.from`}
          value={step.from}
          error={null}
          options={[
            ['start', t('escalation.fromStart')],
            ['due', t('escalation.fromDue')],
          ]}
          onChange={(from) => set({ from: from as StepDraft['from'] })}
        />
        <FieldError id={`${id}-time-error`} text={timeError} />
      </fieldset>
      <div className="row step-actions">
        <button
          type="button"
          disabled={i === 0}
          aria-label={t('escalationForm.moveUp', { n })}
          onClick={() => props.onMove(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          disabled={i === props.count - 1}
          aria-label={t('escalationForm.moveDown', { n })}
          onClick={() => props.onMove(1)}
        >
          ↓
        </button>
        <button
          type="button"
          aria-label={t('escalationForm.removeStep', { n })}
          onClick={props.onRemove}
        >
          {t('escalationForm.remove')}
        </button>
      </div>
    </li>
  )
}

function FieldError({ id, text }: { id: string; text: string | null }) {
  if (text === null) return null
  return (
    <span id={id} className="field-error" role="alert">
      {text}
    </span>
  )
}

function TextField(props: {
  label: ReactNode
  path: string
  value: string
  type?: 'text' | 'email' | 'url'
  hint?: string
  error: string | null
  onChange: (value: string) => void
}) {
  const id = useId()
  const described = [props.hint && `${id}-hint`, props.error !== null && `${id}-error`]
    .filter(Boolean)
    .join(' ')
  return (
    <div className="field grow">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type={props.type ?? 'text'}
        data-path={props.path}
        autoComplete="off"
        spellCheck={false}
        value={props.value}
        aria-invalid={props.error !== null}
        aria-describedby={described === '' ? undefined : described}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.hint !== undefined && (
        <span id={`${id}-hint`} className="hint">
          {props.hint}
        </span>
      )}
      <FieldError id={`${id}-error`} text={props.error} />
    </div>
  )
}

function SelectField(props: {
  label: ReactNode
  path: string
  value: string
  options: readonly (readonly [string, string])[]
  error: string | null
  onChange: (value: string) => void
}) {
  const id = useId()
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        data-path={props.path}
        value={props.value}
        aria-invalid={props.error !== null}
        aria-describedby={props.error === null ? undefined : `${id}-error`}
        onChange={(e) => props.onChange(e.target.value)}
      >
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
      <FieldError id={`${id}-error`} text={props.error} />
    </div>
  )
}
