import { ServerError } from '../../errors.ts'

const MINUTE = 60_000

/**
 * A per-address budget of anonymous writes, one fixed minute window each, on the node's clock.
 * It lives on the plugin instance (two apps in a process never share it).
 */
export class AddressLimiter {
  readonly #now: () => number
  readonly #perMinute: number
  readonly #windows = new Map<string, { start: number; count: number }>()

  constructor(now: () => number, perMinute: number) {
    this.#now = now
    this.#perMinute = perMinute
  }

  /** Counts one request from `address`; 429 `RATE_LIMITED` past the minute's budget. */
  take(address: string): void {
    const now = this.#now()
    if (this.#windows.size > 10_000) this.#forgetBefore(now - MINUTE)
    const window = this.#windows.get(address)
    if (window === undefined || now - window.start >= MINUTE) {
      this.#windows.set(address, { start: now, count: 1 })
      return
    }
    if (window.count >= this.#perMinute) {
      throw new ServerError('RATE_LIMITED', {
        retryAfter: Math.max(1, Math.ceil((window.start + MINUTE - now) / 1000)),
      })
    }
    window.count += 1
  }

  #forgetBefore(time: number): void {
    for (const [address, window] of this.#windows) {
      if (window.start < time) this.#windows.delete(address)
    }
  }
}
