/** A pending timer of a {@link Clock}; only the clock that made it can clear it. */
export interface Timer {
  readonly due: number
}

export type TimerCallback = () => void | Promise<void>

/**
 * The node's one source of time: what time it is (ms since the epoch) and timers that fire on
 * that time. Everything time-dependent takes it (the scheduler, signature windows, the nonce
 * cache, sessions, delivery's backoff), so a test moves a {@link ManualClock} and every rule
 * follows at once, with no real sleep.
 */
export interface Clock {
  now(): number
  /**
   * Calls `fire` once, `ms` from now (on the next turn when `ms` <= 0). When `fire` returns a
   * promise, a {@link ManualClock} waits for it before it fires the next timer, so the work a
   * timer starts (a job, with the retry it schedules) happens within the same `advance`; such
   * a promise must never reject, and never wait for a later timer of the same clock.
   */
  setTimer(ms: number, fire: TimerCallback): Timer
  /** Cancels a timer that has not fired yet; undefined or a fired timer is ignored. */
  clearTimer(timer: Timer | undefined): void
}

interface SystemTimer extends Timer {
  readonly handle: NodeJS.Timeout
}

/**
 * Real time with Node's timers, or a given `now` with real timers (how `build()` honours a
 * bare `now` option). Timers are unref'd: what keeps a node alive is its server or the work a
 * caller awaits, never a pending retry.
 */
export function systemClock(now: () => number = Date.now): Clock {
  return {
    now,
    setTimer(ms, fire) {
      const handle = setTimeout(() => void fire(), Math.max(0, ms))
      handle.unref()
      return { due: now() + ms, handle } satisfies SystemTimer
    },
    clearTimer(timer) {
      if (timer !== undefined) clearTimeout((timer as SystemTimer).handle)
    },
  }
}

interface ManualTimer extends Timer {
  readonly order: number
  readonly fire: TimerCallback
}

/**
 * A clock that moves only when told to. `advance(ms)` walks time forward, firing each due timer
 * in due order (ties in the order they were set) with `now()` reading that timer's due time,
 * and waits for the work each one returns, so that timers set by that work fire within the
 * same advance when they fall due in it.
 */
export class ManualClock implements Clock {
  #now: number
  #order = 0
  readonly #timers = new Set<ManualTimer>()

  constructor(start = 0) {
    this.#now = start
  }

  now = (): number => this.#now

  setTimer(ms: number, fire: TimerCallback): Timer {
    const timer: ManualTimer = { due: this.#now + Math.max(0, ms), order: this.#order++, fire }
    this.#timers.add(timer)
    return timer
  }

  clearTimer(timer: Timer | undefined): void {
    if (timer !== undefined) this.#timers.delete(timer as ManualTimer)
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.#timers.size
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms
    for (let next = this.#next(until); next !== undefined; next = this.#next(until)) {
      this.#timers.delete(next)
      this.#now = Math.max(this.#now, next.due)
      await next.fire()
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    this.#now = Math.max(this.#now, until)
  }

  #next(until: number): ManualTimer | undefined {
    let first: ManualTimer | undefined
    for (const timer of this.#timers) {
      if (timer.due > until) continue
      if (
        first === undefined ||
        timer.due < first.due ||
        (timer.due === first.due && timer.order < first.order)
      )
        first = timer
    }
    return first
  }
}
