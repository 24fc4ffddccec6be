/**
 * Dates and times as officers type and read them: always in UTC, written the way the UI
 * language writes dates. English `2026-12-07 14:02 UTC`, Russian `07.12.2026 14:02 UTC`.
 * Pure functions, so the input component and every displayed time agree to the character.
 */

/** The languages whose date notation the console knows. */
export type DateLanguage = 'en' | 'ru'

/** Why a typed date or time is refused: nothing typed, not the notation, or no such moment. */
export type DateRefusal = 'empty' | 'format' | 'date' | 'time'

export type ParsedUtc =
  | { readonly ok: true; readonly ms: number }
  | {
      readonly ok: false
      readonly reason: DateRefusal
    }

export interface ParseOptions {
  /** A date alone is enough (midnight UTC); otherwise the time of day is required. */
  readonly dateOnly?: boolean
}

const two = (n: number) => String(n).padStart(2, '0')

/** The date part of a moment, in UTC, in the language's notation. */
export function formatUtcDate(ms: number, lang: DateLanguage): string {
  const d = new Date(ms)
  const [year, month, day] = [d.getUTCFullYear(), two(d.getUTCMonth() + 1), two(d.getUTCDate())]
  return lang === 'ru' ? `${day}.${month}.${year}` : `${year}-${month}-${day}`
}

/** `2026-12-07 14:02 UTC` or `07.12.2026 14:02 UTC` (seconds when asked for). */
export function formatUtc(ms: number, lang: DateLanguage, seconds = false): string {
  const clock = new Date(ms).toISOString().slice(11, seconds ? 19 : 16)
  return `${formatUtcDate(ms, lang)} ${clock} UTC`
}

/** What an input shows for a moment: the notation it accepts back, without the `UTC` suffix. */
export function formatUtcInput(ms: number, lang: DateLanguage, dateOnly = false): string {
  const date = formatUtcDate(ms, lang)
  return dateOnly ? date : `${date} ${new Date(ms).toISOString().slice(11, 16)}`
}

// Day first with dots in Russian (ГОСТ Р 7.0.97), ISO 8601 order in English; a space or `T`
// before the time, and an optional `UTC` after it, since that is how the console shows times.
const NOTATION: Record<DateLanguage, RegExp> = {
  en: /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})(?:[ T]+(?<hour>\d{2}):(?<minute>\d{2}))?$/,
  ru: /^(?<day>\d{2})\.(?<month>\d{2})\.(?<year>\d{4})(?: +(?<hour>\d{2}):(?<minute>\d{2}))?$/,
}

/** Reads a date and time typed in the language's notation as a moment in UTC. */
export function parseUtc(text: string, lang: DateLanguage, options: ParseOptions = {}): ParsedUtc {
  const trimmed = text
    .trim()
    .replace(/\s*UTC$/i, '')
    .replace(/\s+/g, ' ')
  if (trimmed === '') return { ok: false, reason: 'empty' }
  const parts = NOTATION[lang].exec(trimmed)?.groups
  if (parts === undefined) return { ok: false, reason: 'format' }
  if (parts.hour === undefined && options.dateOnly !== true) return { ok: false, reason: 'format' }
  const [year, month, day] = [Number(parts.year), Number(parts.month), Number(parts.day)]
  const [hour, minute] = [Number(parts.hour ?? 0), Number(parts.minute ?? 0)]
  if (hour > 23 || minute > 59) return { ok: false, reason: 'time' }
  const ms = Date.UTC(year, month - 1, day, hour, minute)
  const back = new Date(ms)
  // Date.UTC rolls 31.02 over into March: a day that does not exist is refused, not moved.
  if (
    year < 1970 ||
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day
  ) {
    return { ok: false, reason: 'date' }
  }
  return { ok: true, ms }
}
