import type { Roster } from '@parley/api'

const MINUTE = 60_000
const DAY = 86_400_000

function minutes(clock: string): number {
  const [hours, mins] = clock.split(':').map(Number) as [number, number]
  return hours * 60 + mins
}

/** ISO weekday (1 = Monday) of a UTC day that starts at `dayStart`. */
function isoWeekday(dayStart: number): number {
  const day = new Date(dayStart).getUTCDay()
  return day === 0 ? 7 : day
}

/**
 * The officers a roster puts on duty at `t` (UTC ms), sorted: those of the weekly shifts
 * covering `t`, less the officers an override covering `t` replaces, plus the overrides'
 * officers. A shift covers `[start, end)`, so at a hand-over minute only the incoming watch is
 * on duty, never both or neither.
 */
export function onDutyAt(roster: Roster, t: number): string[] {
  const replaced = new Set<string>()
  const extra = new Set<string>()
  for (const override of roster.overrides) {
    if (override.from <= t && t < override.until) {
      extra.add(override.officer)
      if (override.replaces !== undefined) replaced.add(override.replaces)
    }
  }
  const onDuty = new Set<string>(extra)
  const today = Math.floor(t / DAY) * DAY
  for (const shift of roster.shifts) {
    if (replaced.has(shift.officer) || onDuty.has(shift.officer)) continue
    const from = minutes(shift.from) * MINUTE
    const until = minutes(shift.until) * MINUTE
    const length = until > from ? until - from : DAY - from + until
    // A shift that began yesterday may still run (a night watch).
    for (const dayStart of [today - DAY, today]) {
      const start = dayStart + from
      if (shift.days.includes(isoWeekday(dayStart)) && start <= t && t < start + length) {
        onDuty.add(shift.officer)
        break
      }
    }
  }
  return [...onDuty].sort()
}

/**
 * The first time after `t`, within 8 days, when the set of officers on duty changes: the next
 * hand-over. Null when the roster stays the same that long (or is empty).
 */
export function nextHandover(roster: Roster, t: number): number | null {
  const boundaries = new Set<number>()
  const today = Math.floor(t / DAY) * DAY
  for (let day = -1; day <= 8; day++) {
    const dayStart = today + day * DAY
    for (const shift of roster.shifts) {
      if (!shift.days.includes(isoWeekday(dayStart))) continue
      const from = minutes(shift.from) * MINUTE
      const until = minutes(shift.until) * MINUTE
      const length = until > from ? until - from : DAY - from + until
      boundaries.add(dayStart + from)
      boundaries.add(dayStart + from + length)
    }
  }
  for (const override of roster.overrides) {
    boundaries.add(override.from)
    boundaries.add(override.until)
  }
  const now = onDutyAt(roster, t).join(',')
  const horizon = t + 8 * DAY
  for (const at of [...boundaries].filter((b) => b > t && b <= horizon).sort((a, b) => a - b)) {
    if (onDutyAt(roster, at).join(',') !== now) return at
  }
  return null
}
