import { describe, expect, it } from 'vitest'
import { formatUtc, formatUtcDate, formatUtcInput, parseUtc } from './datetime.ts'

// 2026-12-07 14:02:09 UTC; in Moscow it is already 17:02, in New York still 09:02.
const MOMENT = Date.UTC(2026, 11, 7, 14, 2, 9)
const MINUTE = Date.UTC(2026, 11, 7, 14, 2)

describe('times are shown in UTC, in the notation of the UI language', () => {
  it('writes English dates year first and Russian dates day first, both in UTC', () => {
    expect(formatUtc(MOMENT, 'en')).toBe('2026-12-07 14:02 UTC')
    expect(formatUtc(MOMENT, 'ru')).toBe('07.12.2026 14:02 UTC')
    expect(formatUtc(MOMENT, 'en', true)).toBe('2026-12-07 14:02:09 UTC')
    expect(formatUtc(MOMENT, 'ru', true)).toBe('07.12.2026 14:02:09 UTC')
  })

  it('keeps the UTC day when the local day is another one', () => {
    const lateEvening = Date.UTC(2026, 0, 1, 23, 30)
    expect(formatUtcDate(lateEvening, 'ru')).toBe('01.01.2026')
    expect(formatUtcDate(lateEvening, 'en')).toBe('2026-01-01')
  })

  it('fills an input with what it accepts back', () => {
    expect(formatUtcInput(MOMENT, 'en')).toBe('2026-12-07 14:02')
    expect(formatUtcInput(MOMENT, 'ru')).toBe('07.12.2026 14:02')
    expect(formatUtcInput(MOMENT, 'ru', true)).toBe('07.12.2026')
    for (const lang of ['en', 'ru'] as const) {
      expect(parseUtc(formatUtcInput(MOMENT, lang), lang)).toEqual({ ok: true, ms: MINUTE })
      expect(parseUtc(formatUtc(MOMENT, lang), lang)).toEqual({ ok: true, ms: MINUTE })
    }
  })
})

describe('a typed date and time is read as UTC in the notation of the UI language', () => {
  it('reads DD.MM.YYYY HH:mm in Russian and YYYY-MM-DD HH:mm in English', () => {
    expect(parseUtc('07.12.2026 14:02', 'ru')).toEqual({ ok: true, ms: MINUTE })
    expect(parseUtc('2026-12-07 14:02', 'en')).toEqual({ ok: true, ms: MINUTE })
    expect(parseUtc('2026-12-07T14:02', 'en')).toEqual({ ok: true, ms: MINUTE })
  })

  it('takes an optional UTC suffix and stray spaces', () => {
    expect(parseUtc('  07.12.2026   14:02 UTC ', 'ru')).toEqual({ ok: true, ms: MINUTE })
    expect(parseUtc('2026-12-07 14:02 utc', 'en')).toEqual({ ok: true, ms: MINUTE })
  })

  it('takes a date alone as midnight UTC only where a date is enough', () => {
    expect(parseUtc('07.12.2026', 'ru', { dateOnly: true })).toEqual({
      ok: true,
      ms: Date.UTC(2026, 11, 7),
    })
    expect(parseUtc('2026-12-07', 'en', { dateOnly: true })).toEqual({
      ok: true,
      ms: Date.UTC(2026, 11, 7),
    })
    expect(parseUtc('07.12.2026', 'ru')).toEqual({ ok: false, reason: 'format' })
    expect(parseUtc('2026-12-07', 'en')).toEqual({ ok: false, reason: 'format' })
  })

  it('refuses the other language’s notation instead of guessing which is day and month', () => {
    expect(parseUtc('2026-12-07 14:02', 'ru')).toEqual({ ok: false, reason: 'format' })
    expect(parseUtc('07.12.2026 14:02', 'en')).toEqual({ ok: false, reason: 'format' })
    expect(parseUtc('12/07/2026 14:02', 'en')).toEqual({ ok: false, reason: 'format' })
  })

  it('refuses empty input, half-typed input and words', () => {
    expect(parseUtc('', 'ru')).toEqual({ ok: false, reason: 'empty' })
    expect(parseUtc('   ', 'en')).toEqual({ ok: false, reason: 'empty' })
    expect(parseUtc('7.12.2026 14:02', 'ru')).toEqual({ ok: false, reason: 'format' })
    expect(parseUtc('07.12.2026 14', 'ru')).toEqual({ ok: false, reason: 'format' })
    expect(parseUtc('2026-12-07 14:2', 'en')).toEqual({ ok: false, reason: 'format' })
    expect(parseUtc('tomorrow', 'en')).toEqual({ ok: false, reason: 'format' })
    expect(parseUtc('завтра', 'ru')).toEqual({ ok: false, reason: 'format' })
  })

  it('refuses a day that does not exist rather than rolling it into the next month', () => {
    expect(parseUtc('31.02.2026 10:00', 'ru')).toEqual({ ok: false, reason: 'date' })
    expect(parseUtc('2026-13-01 10:00', 'en')).toEqual({ ok: false, reason: 'date' })
    expect(parseUtc('00.12.2026 10:00', 'ru')).toEqual({ ok: false, reason: 'date' })
    expect(parseUtc('29.02.2025 10:00', 'ru')).toEqual({ ok: false, reason: 'date' })
    expect(parseUtc('29.02.2028 10:00', 'ru')).toEqual({ ok: true, ms: Date.UTC(2028, 1, 29, 10) })
    expect(parseUtc('1969-12-31 23:59', 'en')).toEqual({ ok: false, reason: 'date' })
  })

  it('refuses a time of day that does not exist', () => {
    expect(parseUtc('07.12.2026 24:00', 'ru')).toEqual({ ok: false, reason: 'time' })
    expect(parseUtc('2026-12-07 14:60', 'en')).toEqual({ ok: false, reason: 'time' })
  })
})
