import { useEffect, useId, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { formatUtcInput, type ParsedUtc, parseUtc } from '../lib/datetime.ts'
import { localTime, useDateLanguage } from '../lib/time.tsx'

export interface DateTimeInputProps {
  readonly label: string
  /** The moment the input holds, in ms since the epoch; undefined when nothing valid is typed. */
  readonly value: number | undefined
  /** Every edit, read as UTC in the UI language's notation (refusals included). */
  readonly onChange: (parsed: ParsedUtc) => void
  /** A date alone is enough (midnight UTC). */
  readonly dateOnly?: boolean
  readonly required?: boolean
  /** Show a refusal before the field is left (the form was submitted). */
  readonly showError?: boolean
}

/**
 * A date and time typed as text in the UI language's notation (`07.12.2026 14:02` in Russian,
 * `2026-12-07 14:02` in English), always UTC, with the reader's local time on hover. A native
 * date picker would follow the browser's locale and time zone instead of the console's.
 */
export function DateTimeInput(props: DateTimeInputProps) {
  const { t, i18n } = useTranslation()
  const lang = useDateLanguage()
  const id = useId()
  const dateOnly = props.dateOnly === true
  const show = (ms: number | undefined) =>
    ms === undefined ? '' : formatUtcInput(ms, lang, dateOnly)
  const [text, setText] = useState(() => show(props.value))
  const [left, setLeft] = useState(false)
  // A switch of language rewrites a valid moment in the new notation; a half-typed one stays.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only the language rewrites the text
  useEffect(() => {
    if (props.value !== undefined) setText(show(props.value))
  }, [lang])
  const parsed = parseUtc(text, lang, { dateOnly })
  const refusal = parsed.ok
    ? undefined
    : parsed.reason === 'empty'
      ? props.required === true
        ? 'empty'
        : undefined
      : parsed.reason
  const format = t(dateOnly ? 'dateInput.formatDate' : 'dateInput.format')
  const visible = refusal !== undefined && (left || props.showError === true)
  return (
    <div className="field date-input">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type="text"
        inputMode="numeric"
        autoComplete="off"
        spellCheck={false}
        value={text}
        placeholder={format}
        required={props.required}
        aria-invalid={visible}
        aria-describedby={`${id}-hint${visible ? ` ${id}-error` : ''}`}
        title={
          parsed.ok ? t('time.local', { time: localTime(parsed.ms, i18n.language) }) : undefined
        }
        onChange={(e) => {
          setText(e.target.value)
          props.onChange(parseUtc(e.target.value, lang, { dateOnly }))
        }}
        onBlur={() => setLeft(true)}
      />
      <span id={`${id}-hint`} className="hint">
        {t('dateInput.hint', { format })}
      </span>
      {visible && (
        <span id={`${id}-error`} className="field-error" role="alert">
          {t(`dateInput.refusal.${refusal}`, { format })}
        </span>
      )}
    </div>
  )
}
