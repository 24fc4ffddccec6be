import type { Chain } from '../../node/outbox.repository.ts'

/** What the window needs to know of an outbox row. */
export interface WindowItem {
  readonly outboxId: number
  readonly channel: string
  readonly author: string
}

const chainKey = (item: Chain): string => `${item.channel}\n${item.author}`

/**
 * The batches a push worker has in flight to one destination, and what the next batch may
 * carry. Up to `size` batches are in flight at once, but never two holding events of the same
 * chain (one author in one channel): a chain's next batch goes only once the peer answered the
 * one before, so the peer can never be handed an event before its predecessor, whatever order
 * it processes concurrent requests in, and a failed batch is never overtaken by a later one of
 * its chains. A row stays held from the moment it is sent until its answer is stored (settled),
 * so it is never sent twice at once; its chain is free again as soon as the answer is in.
 */
export class PushWindow<T extends WindowItem> {
  readonly size: number
  readonly #flights = new Map<number, { chains: Set<string>; ids: Set<number> }>()
  /** The chains of the batches sent and not yet answered. */
  readonly #busy = new Set<string>()
  readonly #held = new Set<number>()
  #next = 1

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('a window holds 1 batch or more')
    this.size = size
  }

  /** Batches sent and not yet settled. */
  get inFlight(): number {
    return this.#flights.size
  }

  /** Whether another batch may be sent now. */
  get full(): boolean {
    return this.#flights.size >= this.size
  }

  /** Rows sent and not yet settled: a read must ask for this many more to fill a batch. */
  get held(): number {
    return this.#held.size
  }

  /** The chains waiting for an answer: a read leaves them out. */
  busyChains(): Chain[] {
    const chains: Chain[] = []
    for (const key of this.#busy) {
      const [channel, author] = key.split('\n') as [string, string]
      chains.push({ channel, author })
    }
    return chains
  }

  /**
   * Of rows read oldest first, those the next batch may carry: not held, and of no chain
   * waiting for an answer (the read leaves those out already; this keeps it true).
   */
  choose(rows: readonly T[]): T[] {
    return rows.filter((row) => !this.#held.has(row.outboxId) && !this.#busy.has(chainKey(row)))
  }

  /** Marks a batch sent; returns its ticket. */
  open(batch: readonly T[]): number {
    if (this.full) throw new Error('the push window is full')
    const chains = new Set(batch.map(chainKey))
    for (const key of chains) {
      if (this.#busy.has(key)) throw new Error('a chain is in flight twice')
    }
    const ids = new Set(batch.map((row) => row.outboxId))
    for (const key of chains) this.#busy.add(key)
    for (const id of ids) this.#held.add(id)
    const ticket = this.#next++
    this.#flights.set(ticket, { chains, ids })
    return ticket
  }

  /** The peer answered: its chains may go on (after the caller set aside those it holds). */
  answered(ticket: number): void {
    const flight = this.#flights.get(ticket)
    if (flight === undefined) return
    for (const key of flight.chains) this.#busy.delete(key)
    flight.chains.clear()
  }

  /** The answer is stored, or the push failed: its rows may be read again. */
  settled(ticket: number): void {
    const flight = this.#flights.get(ticket)
    if (flight === undefined) return
    for (const key of flight.chains) this.#busy.delete(key)
    for (const id of flight.ids) this.#held.delete(id)
    this.#flights.delete(ticket)
  }
}
