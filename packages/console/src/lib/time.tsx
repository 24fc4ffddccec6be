import { useTranslation } from 'react-i18next'

/** `2026-12-07 14:02 UTC`: the time every officer of every party reads alike. */
export function utc(ms: number, seconds = false): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, seconds ? 19 : 16)} UTC`
}

/** `14:02 UTC`, for today's times in dense lists. */
export function utcClock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`
}

/** A time in UTC, with the reader's local time on hover (and to assistive technology). */
export function UtcTime({ ms, short = false }: { ms: number; short?: boolean }) {
  const { t, i18n } = useTranslation()
  const local = new Intl.DateTimeFormat(i18n.language, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  }).format(ms)
  return (
    <time dateTime={new Date(ms).toISOString()} title={t('time.local', { time: local })}>
      {short ? utcClock(ms) : utc(ms)}
    </time>
  )
}
