import { useTranslation } from 'react-i18next'
import { type DateLanguage, formatUtc } from './datetime.ts'

/** `2026-12-07 14:02 UTC`: the time every officer of every party reads alike. */
export function utc(ms: number, seconds = false, lang: DateLanguage = 'en'): string {
  return formatUtc(ms, lang, seconds)
}

/** `14:02 UTC`, for today's times in dense lists. */
export function utcClock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`
}

/** The UI language as a date notation. */
export function useDateLanguage(): DateLanguage {
  const { i18n } = useTranslation()
  return i18n.language === 'ru' ? 'ru' : 'en'
}

// A formatter costs about a millisecond to create and every time on screen needs one: one per
// language, made on first use (issue 12: it was most of the long tasks while scrolling).
const localFormats = new Map<string, Intl.DateTimeFormat>()

/** The reader's local time, for the hover of a time shown in UTC. */
export function localTime(ms: number, lang: string): string {
  let format = localFormats.get(lang)
  if (format === undefined) {
    format = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'medium' })
    localFormats.set(lang, format)
  }
  return format.format(ms)
}

/** A time in UTC, in the UI language's notation, with the reader's local time on hover. */
export function UtcTime({ ms, short = false }: { ms: number; short?: boolean }) {
  const { t, i18n } = useTranslation()
  const lang = useDateLanguage()
  return (
    <time
      dateTime={new Date(ms).toISOString()}
      title={t('time.local', { time: localTime(ms, i18n.language) })}
    >
      {short ? utcClock(ms) : utc(ms, false, lang)}
    </time>
  )
}
