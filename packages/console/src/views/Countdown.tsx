import { useSyncExternalStore } from 'react'
import { useTranslation } from 'react-i18next'
import { UtcTime } from '../lib/time.tsx'

// One timer for every countdown on the page: each second it tells the countdowns, and only they
// render again, never the list that holds them.
const listeners = new Set<() => void>()
let ticker: ReturnType<typeof setInterval> | undefined

function subscribe(listener: () => void): () => void {
  listeners.add(listener)
  ticker ??= setInterval(() => {
    for (const notify of listeners) notify()
  }, 1_000)
  return () => {
    listeners.delete(listener)
    if (listeners.size === 0) {
      clearInterval(ticker)
      ticker = undefined
    }
  }
}

const currentSecond = () => Math.floor(Date.now() / 1_000)

/** The time now, to the second; the component using it renders again once a second. */
export function useSecond(): number {
  return useSyncExternalStore(subscribe, currentSecond) * 1_000
}

/** `2 d 03:04:05`, `03:04:05` or `04:05`: how long, in the way a watch officer reads a clock. */
export function formatDuration(ms: number, day = 'd'): string {
  const total = Math.floor(Math.abs(ms) / 1_000)
  const days = Math.floor(total / 86_400)
  const hours = Math.floor((total % 86_400) / 3_600)
  const minutes = Math.floor((total % 3_600) / 60)
  const seconds = total % 60
  const two = (n: number) => String(n).padStart(2, '0')
  const clock =
    hours > 0 || days > 0
      ? `${two(hours)}:${two(minutes)}:${two(seconds)}`
      : `${two(minutes)}:${two(seconds)}`
  return days > 0 ? `${days} ${day} ${clock}` : clock
}

/** Deadlines due within this are "soon": shown amber in lists, listed in the inbox. */
export const SOON_MS = 60 * 60_000

/**
 * A live countdown to a deadline: the due time in UTC (local time on hover) and how long is
 * left, or how long it is overdue. It ticks on its own, once a second.
 */
export function Countdown({ dueAt }: { dueAt: number }) {
  const { t } = useTranslation()
  const now = useSecond()
  const left = dueAt - now
  const state = left < 0 ? 'overdue' : left <= SOON_MS ? 'soon' : 'later'
  return (
    <span className={`countdown countdown-${state}`}>
      <span role="timer">
        {left < 0
          ? t('countdown.overdue', { time: formatDuration(left, t('countdown.day')) })
          : t('countdown.left', { time: formatDuration(left, t('countdown.day')) })}
      </span>{' '}
      <span className="muted">
        (<UtcTime ms={dueAt} />)
      </span>
    </span>
  )
}
