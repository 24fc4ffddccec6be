import type { SignedReceipt } from '@parley/protocol'
import { isServerError } from '../../errors.ts'
import type { FederationClient } from '../../federation/federation-client.ts'
import { storeReceipt } from '../../ledger/index.ts'
import type { NodeContext } from '../events/events.service.ts'
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from './federation.service.ts'
import { markDelivered, markRejected, nextBatch, type OutboxItem } from './outbox.repository.ts'
import { markPeerFailing, markPeerHealthy } from './peers.repository.ts'

/** Backoff after a failed push: 0.5 s doubling up to 30 s (DESIGN §4.7), never giving up. */
export function backoffDelay(failures: number): number {
  return Math.min(30_000, 500 * 2 ** Math.max(0, failures - 1))
}

export interface PushWorkerOptions {
  readonly ctx: NodeContext
  readonly url: string
  /** The client signing as `party` (the author of the batch's first event). */
  readonly clientFor: (party: string) => FederationClient
  /** Called when the peer answers again after failing: time for anti-entropy. */
  readonly onReconnect: (url: string) => void
  /** Test hook: a shorter backoff. */
  readonly backoff?: (failures: number) => number
}

/**
 * Pushes one destination's outbox in order, in batches of at most 500 events and 4 MiB. A
 * batch is done when the peer's signed receipt for it is stored; until then it is sent again,
 * after a backoff capped at 30 s. It never gives up; `stop()` ends it after the current call.
 */
export class PushWorker {
  readonly url: string
  readonly #options: PushWorkerOptions
  readonly #abort = new AbortController()
  #failures = 0
  #healthy = false
  #interrupt: ((why: 'wake' | 'nudge') => void) | undefined
  #pending = false
  #running: Promise<void> | undefined

  constructor(options: PushWorkerOptions) {
    this.url = options.url
    this.#options = options
  }

  start(): void {
    this.#running ??= this.#loop()
  }

  /** There is (maybe) new work; a worker waiting for work pushes it now. */
  wake(): void {
    this.#pending = true
    this.#interrupt?.('wake')
  }

  /** The peer answered elsewhere (a pull): cut a running backoff short. */
  nudge(): void {
    if (this.#failures > 0) this.#failures = 1
    this.#pending = true
    this.#interrupt?.('nudge')
  }

  async stop(): Promise<void> {
    this.#abort.abort(new Error('node shutting down'))
    await this.#running
  }

  async #loop(): Promise<void> {
    const { ctx } = this.#options
    while (!this.#abort.signal.aborted) {
      this.#pending = false
      let progressed = false
      try {
        const batch = await this.#nextBatch()
        if (batch.length === 0) {
          await this.#sleep(Number.POSITIVE_INFINITY)
          continue
        }
        progressed = await this.#push(batch)
        if (this.#failures > 0) this.#options.onReconnect(this.url)
        this.#failures = 0
        if (!this.#healthy) await markPeerHealthy(ctx.db, this.url, ctx.now())
        this.#healthy = true
      } catch (error) {
        if (this.#abort.signal.aborted) break
        this.#failures++
        this.#healthy = false
        const reason = isServerError(error) ? `${error.code}: ${error.message}` : String(error)
        ctx.log.warn({ peer: this.url, failures: this.#failures, reason }, 'push failed')
        await markPeerFailing(ctx.db, this.url, ctx.now(), reason).catch(() => {})
      }
      if (this.#failures > 0 || !progressed) {
        // A batch the peer holds as pending (a gap on its side) makes no progress: wait as
        // for a failure, so an unfixable gap never turns into a hot loop.
        const failures = Math.max(this.#failures, 1)
        await this.#sleep((this.#options.backoff ?? backoffDelay)(failures), false)
      }
    }
  }

  async #nextBatch(): Promise<OutboxItem[]> {
    const items = await nextBatch(this.#options.ctx.db, this.url, MAX_BATCH_EVENTS)
    const batch: OutboxItem[] = []
    let bytes = 16
    for (const item of items) {
      bytes += item.raw.length + 1
      if (bytes > MAX_BATCH_BYTES && batch.length > 0) break
      batch.push(item)
    }
    return batch
  }

  /** Sends one batch; returns whether any of it settled (receipted or refused for good). */
  async #push(batch: readonly OutboxItem[]): Promise<boolean> {
    const { ctx } = this.#options
    const client = this.#options.clientFor(batch[0]!.author)
    const body = { events: batch.map((item) => JSON.parse(item.raw) as unknown) }
    const reply = await client.postJson(`${this.url}/federation/v1/events`, body, {
      signal: this.#abort.signal,
    })
    if (!reply.ok) {
      const error = (reply.body as { error?: { code?: string; message?: string } })?.error
      throw new Error(`${reply.status} ${error?.code ?? ''} ${error?.message ?? ''}`.trim())
    }
    const result = reply.body as {
      receipts?: SignedReceipt[]
      rejected?: { id: string | null; code: string }[]
    }
    const sent = batch.map((item) => item.eventId)
    let settled = 0
    for (const signed of result.receipts ?? []) {
      const stored = await storeReceipt(ctx.db, signed, { now: ctx.now(), covers: sent })
      if (!stored.ok) throw new Error(`${stored.code}: ${stored.message}`)
      const covered = signed.receipt.events.filter((id) => sent.includes(id))
      await markDelivered(ctx.db, this.url, covered, stored.id, ctx.now())
      settled += covered.length
    }
    for (const rejection of result.rejected ?? []) {
      if (rejection.id === null || !sent.includes(rejection.id)) continue
      ctx.log.warn({ peer: this.url, event: rejection.id, code: rejection.code }, 'peer refused')
      await markRejected(ctx.db, this.url, rejection.id, rejection.code)
      settled++
    }
    return settled > 0
  }

  /**
   * Waits `ms`, or less: `stop()` always ends the wait, `nudge()` too, and `wake()` ends an
   * idle wait (never a backoff, so a busy sender does not hammer a peer that is down).
   */
  #sleep(ms: number, idle = true): Promise<void> {
    if (this.#abort.signal.aborted || (idle && this.#pending)) return Promise.resolve()
    return new Promise((resolve) => {
      const signal = this.#abort.signal
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        this.#interrupt = undefined
        resolve()
      }
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined
      signal.addEventListener('abort', done, { once: true })
      this.#interrupt = (why) => {
        if (idle || why === 'nudge') done()
      }
    })
  }
}
