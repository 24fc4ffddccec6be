import type { EscalationConfig, EscalationStep } from '@parley/api'

/**
 * The ladder a party has until its admins set one: the console alarm and an e-mail to the
 * officers on duty at once, then an e-mail to the named contacts when the deadline passes.
 * No webhook, since it needs an endpoint and a secret.
 */
export const DEFAULT_LADDER: readonly EscalationStep[] = [
  { action: 'alarm', at: { from: 'start', offsetMs: 0 } },
  { action: 'email', to: 'duty', at: { from: 'start', offsetMs: 0 } },
  { action: 'email', to: 'contacts', at: { from: 'due', offsetMs: 0 } },
]

export const DEFAULT_CONFIG: EscalationConfig = {
  contacts: [],
  ladders: {
    routine: [...DEFAULT_LADDER],
    priority: [...DEFAULT_LADDER],
    flash: [...DEFAULT_LADDER],
  },
}

/**
 * When a step falls due: its offset from the deadline's start (the signed receipt time) or from
 * its due time, but never before the start, so "30 minutes before the deadline" of a 15-minute
 * flash deadline runs at once.
 */
export function stepDueAt(step: EscalationStep, startedAt: number, dueAt: number): number {
  const base = step.at.from === 'start' ? startedAt : dueAt
  return Math.max(startedAt, base + step.at.offsetMs)
}

/** What a step is aimed at, as the API shows it: `duty`, `contacts`, or a webhook's URL. */
export function stepTarget(step: EscalationStep): string | null {
  if (step.action === 'email') return step.to
  if (step.action === 'webhook') return step.url
  return null
}

/**
 * The delay before the next try of a failed delivery: 30 s doubling per attempt up to 1 h, but
 * never shorter than what the receiver asked for with `Retry-After`.
 */
export function retryDelay(attempt: number, retryAfterMs: number | null): number {
  const backoff = Math.min(3_600_000, 30_000 * 2 ** (attempt - 1))
  return Math.max(backoff, retryAfterMs ?? 0)
}

/**
 * A `Retry-After` header in ms from `now`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3);
 * null when absent or unreadable. Capped at a day, so a hostile receiver cannot park a step.
 */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (header === null) return null
  const text = header.trim()
  let ms: number
  if (/^[0-9]+$/.test(text)) ms = Number(text) * 1000
  else {
    const date = Date.parse(text)
    if (Number.isNaN(date)) return null
    ms = date - now
  }
  return Math.min(86_400_000, Math.max(0, ms))
}
