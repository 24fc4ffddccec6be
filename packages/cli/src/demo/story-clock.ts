/**
 * The clock of a told story: it runs in real time, so delivery, retries and timeouts behave as
 * they always do, and jumps forward to the moment the next scene takes place. Every node of a
 * demo or test federation reads the same one, as nodes synchronised by NTP would.
 */
export class StoryClock {
  #origin: number

  constructor(start: number) {
    this.#origin = start - performance.now()
  }

  /** Milliseconds since the Unix epoch, story time; never goes back. */
  readonly now = (): number => Math.floor(this.#origin + performance.now())

  /** Moves the clock forward to `time`; a node's clock never goes back, and neither does this. */
  jumpTo(time: number): void {
    const now = this.now()
    if (time < now) {
      const at = (ms: number) => new Date(ms).toISOString()
      throw new Error(`the story clock cannot go back from ${at(now)} to ${at(time)}`)
    }
    this.#origin += time - now
  }
}
