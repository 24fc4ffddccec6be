import type { Jurisdiction } from '@parley/api'

const DAY = 86_400_000

/**
 * When a rights request must be answered, from the time it was received: CCPA 45 calendar
 * days (Cal. Code Regs. tit. 11 § 7021), GDPR one month (Art. 12(3)): the same day of the next
 * month at the same UTC time, or that month's last day when it is shorter (31 January → 28 or
 * 29 February), as the CJEU reads a period "of one month" (C-171/03 and Regulation 1182/71).
 */
export function rightsDeadline(jurisdiction: Jurisdiction, receivedAt: number): number {
  if (jurisdiction === 'ccpa') return receivedAt + 45 * DAY
  const at = new Date(receivedAt)
  const year = at.getUTCFullYear()
  const month = at.getUTCMonth() + 1
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
  const day = Math.min(at.getUTCDate(), lastDay)
  return Date.UTC(
    year,
    month,
    day,
    at.getUTCHours(),
    at.getUTCMinutes(),
    at.getUTCSeconds(),
    at.getUTCMilliseconds(),
  )
}
