import type { SignedReceipt } from '@parley/protocol'
import { isServerError, ServerError } from '../../errors.ts'
import { type CheckedReceipt, checkReceipt, projectReceipt } from '../../ledger/index.ts'
import { hostedParties, type NodeContext } from '../../node/context.ts'
import {
  type Chain,
  markRejected,
  nextBatch,
  type OutboxItem,
  recordDelivery,
} from '../../node/outbox.repository.ts'
import type { FederationClient } from '../../signed-http/federation-client.ts'
import { isDatabaseUnavailable } from '../../store/database-errors.ts'
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from './federation.service.ts'
import { peerFailure, peerRefused } from './peer-failure.ts'
import { markPeerFailing, markPeerHealthy } from './peers.repository.ts'
import { PushWindow } from './push-window.ts'

/** Backoff after `failures` failed pushes: `baseMs` doubling up to `capMs`, never giving up. */
export function backoffSchedule(baseMs: number, capMs: number): (failures: number) => number {
  return (failures) => Math.min(capMs, baseMs * 2 ** Math.max(0, failures - 1))
}

/** Backoff after a failed push: 0.5 s doubling up to 30 s (DESIGN §4.7). */
export const backoffDelay = backoffSchedule(500, 30_000)

/**
 * How long an idle worker waits before it reads its outbox anyway. A commit wakes its
 * destinations' workers in process, so this read is only the safety net for a wake that was
 * missed (outbox rows written by another path, a wake lost with its connection).
 */
const IDLE_READ_MS = 30_000

/** Batches in flight per destination when the config does not say (`delivery.window`). */
export const DEFAULT_WINDOW = 4

export interface PushWorkerOptions {
  readonly ctx: NodeContext
  readonly url: string
  /** The client signing as `party` (the author of the batch's first event). */
  readonly clientFor: (party: string) => FederationClient
  /** Resolves once the URL proved it holds its parties' keys (DESIGN §4.6); nothing before. */
  readonly bound: () => Promise<void>
  /** Called when the peer answered again after failing: time for anti-entropy. */
  readonly onReconnect: (url: string) => void
  /** Test hook: a shorter backoff. */
  readonly backoff?: (failures: number) => number
  /** Most batches in flight at once (default {@link DEFAULT_WINDOW}), never two of one chain. */
  readonly window?: number
}

/** A peer's checked answer to one push. */
interface Answer {
  readonly sent: readonly string[]
  /** The chains of the events it neither receipts nor refuses: it holds them waiting. */
  readonly waiting: readonly Chain[]
  readonly receipts: readonly CheckedReceipt[]
  readonly refused: readonly { readonly id: string; readonly code: string }[]
}

/**
 * Pushes one destination's outbox in order, in batches of at most 500 events and 4 MiB, with
 * up to `window` batches in flight (see {@link PushWindow}: never two of one chain, so a
 * stream of posts in many channels does not wait on one round trip at a time, and the peer
 * still never sees an event before its predecessor). A batch is done when the peer's signed
 * receipts for it are stored; until then it is sent again, after a backoff capped at 30 s. It
 * never gives up; `stop()` ends it after the calls in flight.
 *
 * Order matters within a chain (one author in one channel), not across chains. A chain whose
 * events the peer holds waiting (a gap on its side, or an event it refused and that the rest
 * chain on) is set aside for its own backoff, while every other chain keeps flowing: a fork
 * in one channel must not hold up the others.
 */
export class PushWorker {
  readonly url: string
  readonly #options: PushWorkerOptions
  readonly #abort = new AbortController()
  readonly #window: PushWindow<OutboxItem>
  readonly #flights = new Set<Promise<void>>()
  #failures = 0
  /** No new batch before this time (ms): the backoff after a failed or fruitless push. */
  #retryAt = 0
  /** Chains set aside: `channel\nauthor` → until when (ms), and how often in a row. */
  readonly #parked = new Map<string, { chain: Chain; until: number; times: number }>()
  #healthy = false
  #marking: Promise<void> = Promise.resolve()
  #interrupt: ((why: 'wake' | 'nudge' | 'flight') => void) | undefined
  #pending = false
  #running: Promise<void> | undefined

  constructor(options: PushWorkerOptions) {
    this.url = options.url
    this.#options = options
    this.#window = new PushWindow(options.window ?? DEFAULT_WINDOW)
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
    this.#retryAt = 0
    this.#pending = true
    this.#interrupt?.('nudge')
  }

  async stop(): Promise<void> {
    this.#abort.abort(new Error('node shutting down'))
    await this.#running
  }

  /**
   * Fills the window while there is something to send and no backoff runs, then waits for a
   * wake, an answer, a set-aside chain falling due or the end of the backoff.
   */
  async #loop(): Promise<void> {
    const { ctx } = this.#options
    while (!this.#abort.signal.aborted) {
      this.#pending = false
      const backingOff = this.#retryAt > ctx.now()
      if (!backingOff && !this.#window.full) {
        let batch: OutboxItem[]
        try {
          batch = await this.#nextBatch()
        } catch (error) {
          this.#failed(error)
          continue
        }
        if (batch.length > 0) {
          this.#launch(batch)
          continue
        }
      }
      if (backingOff) await this.#sleep(this.#retryAt - ctx.now(), 'backoff')
      else if (this.#window.full) await this.#sleep(IDLE_READ_MS, 'full')
      // Idle, or only set-aside chains left: wait for work, or for the first to be due.
      else await this.#sleep(Math.min(IDLE_READ_MS, this.#untilUnparked()), 'idle')
    }
    await Promise.allSettled([...this.#flights])
    await this.#marking
  }

  /** Sends a batch in the background, holding its rows and chains in the window until done. */
  #launch(batch: OutboxItem[]): void {
    const ticket = this.#window.open(batch)
    const flight = this.#push(batch, ticket).finally(() => {
      this.#window.settled(ticket)
      this.#flights.delete(flight)
      this.#flightMoved()
    })
    this.#flights.add(flight)
  }

  async #push(batch: readonly OutboxItem[], ticket: number): Promise<void> {
    const { ctx } = this.#options
    try {
      await this.#options.bound()
      const answer = await this.#send(batch)
      // The chains the peer holds waiting are set aside before the window frees them.
      this.#park(batch, answer.waiting)
      this.#window.answered(ticket)
      this.#flightMoved()
      await this.#settle(answer)
      if (this.#failures > 0) this.#options.onReconnect(this.url)
      this.#failures = 0
      if (!this.#healthy) {
        this.#healthy = true
        // Not written (our database is away): the next answer writes it again.
        if (!(await this.#markPeer(() => markPeerHealthy(ctx.db, this.url, ctx.now())))) {
          this.#healthy = false
        }
      }
    } catch (error) {
      this.#failed(error)
    }
  }

  /** Counts a failed push (or outbox read) and backs off; the batch goes again after it. */
  #failed(error: unknown): void {
    if (this.#abort.signal.aborted) return
    const { ctx } = this.#options
    this.#failures++
    this.#retryAt = ctx.now() + this.#backoff(this.#failures)
    const reason = isServerError(error) ? `${error.code}: ${error.message}` : String(error)
    if (isDatabaseUnavailable(error)) {
      // Our database, not the peer: nothing to hold against it. Unstored receipts are no
      // loss, as the batch goes again and the peer receipts what it holds once more.
      ctx.log.warn(
        { peer: this.url, failures: this.#failures, reason },
        'push paused: database unavailable',
      )
      return
    }
    this.#healthy = false
    ctx.telemetry.pushFailed(this.url)
    ctx.log.warn({ peer: this.url, failures: this.#failures, reason }, 'push failed')
    const failure = peerFailure(error)
    void this.#markPeer(() => markPeerFailing(ctx.db, this.url, ctx.now(), failure))
  }

  /**
   * Writes the peer's failing or healthy state, one write after another in the order the
   * pushes ended, so a failure's write can never land after a later success's and leave a
   * peer that answers shown as unreachable.
   */
  #markPeer(write: () => Promise<unknown>): Promise<boolean> {
    const written = this.#marking.then(write).then(
      () => true,
      () => false,
    )
    this.#marking = written.then(() => {})
    return written
  }

  #backoff(failures: number): number {
    return (this.#options.backoff ?? backoffDelay)(failures)
  }

  /** Sets aside the chains the peer holds waiting; chains it took in full are due again. */
  #park(batch: readonly OutboxItem[], waiting: readonly Chain[]): void {
    for (const { channel, author } of batch) this.#parked.delete(`${channel}\n${author}`)
    const now = this.#options.ctx.now()
    for (const chain of waiting) {
      const key = `${chain.channel}\n${chain.author}`
      const times = (this.#parked.get(key)?.times ?? 0) + 1
      const until = now + this.#backoff(times)
      this.#parked.set(key, { chain, until, times })
    }
  }

  /** The chains still set aside now. */
  #skipped(): Chain[] {
    const now = this.#options.ctx.now()
    return [...this.#parked.values()].filter((p) => p.until > now).map((p) => p.chain)
  }

  /** How long until the first set-aside chain is due (forever when none is). */
  #untilUnparked(): number {
    const now = this.#options.ctx.now()
    let first = Number.POSITIVE_INFINITY
    for (const { until } of this.#parked.values()) if (until > now) first = Math.min(first, until)
    return first - now
  }

  async #nextBatch(): Promise<OutboxItem[]> {
    const { db } = this.#options.ctx
    const window = this.#window
    // Rows sent and not yet settled are still undelivered: read past them.
    const skip = [...this.#skipped(), ...window.busyChains()]
    const read = await nextBatch(db, this.url, MAX_BATCH_EVENTS + window.held, 0, skip)
    const batch: OutboxItem[] = []
    let bytes = 16
    for (const item of window.choose(read)) {
      bytes += item.raw.length + 1
      if (batch.length === MAX_BATCH_EVENTS || (bytes > MAX_BATCH_BYTES && batch.length > 0)) break
      batch.push(item)
    }
    return batch
  }

  /**
   * Sends one batch and checks the peer's signed receipts (a bad one fails the push). Says
   * what the answer settles, and which chains the peer holds waiting.
   */
  async #send(batch: readonly OutboxItem[]): Promise<Answer> {
    const { ctx } = this.#options
    const client = this.#options.clientFor(batch[0]!.author)
    // The stored canonical texts are the signed bytes: sent as they are, never re-serialized.
    const body = `{"events":[${batch.map((item) => item.raw).join(',')}]}`
    const sentAt = performance.now()
    const reply = await client.postJsonText(`${this.url}/federation/v1/events`, body, {
      signal: this.#abort.signal,
    })
    if (!reply.ok) throw peerRefused(this.url, reply.status, reply.body)
    const result = reply.body as {
      receipts?: SignedReceipt[]
      rejected?: { id: string | null; code: string }[]
    }
    const sent = batch.map((item) => item.eventId)
    const isSent = new Set(sent)
    const receipts: CheckedReceipt[] = []
    for (const checked of await Promise.all(
      (result.receipts ?? []).map((signed) => checkReceipt(ctx.db, signed)),
    )) {
      if (!checked.ok) {
        throw new ServerError('PEER_RESPONSE_INVALID', {
          url: this.url,
          reason: `a receipt is refused (${checked.code})`,
        })
      }
      receipts.push(checked)
    }
    ctx.telemetry.receipted(this.url, (performance.now() - sentAt) / 1000)
    const refused = (result.rejected ?? []).filter(
      (rejection): rejection is { id: string; code: string } =>
        rejection.id !== null && isSent.has(rejection.id),
    )
    const settled = new Set([
      ...receipts.flatMap((checked) => checked.receipt.events.filter((id) => isSent.has(id))),
      ...refused.map((rejection) => rejection.id),
    ])
    const waiting = new Map<string, Chain>()
    for (const { eventId, channel, author } of batch) {
      if (!settled.has(eventId)) waiting.set(`${channel}\n${author}`, { channel, author })
    }
    return {
      sent,
      waiting: [...waiting.values()],
      receipts,
      refused,
    }
  }

  /** Stores the receipts of an answer with the delivery marks they justify, atomically. */
  async #settle({ sent, receipts, refused }: Answer): Promise<void> {
    const { ctx } = this.#options
    const now = ctx.now()
    if (receipts.length === 1 && refused.length === 0 && !ctx.projections.projectsReceipts) {
      // The usual answer: one statement does it all, no transaction needed.
      await recordDelivery(ctx.db, this.url, receipts[0]!, sent, now)
      return
    }
    const projecting = { hosted: hostedParties(ctx), projections: ctx.projections }
    await ctx.db.transaction().execute(async (trx) => {
      for (const checked of receipts) {
        await recordDelivery(trx, this.url, checked, sent, now)
        await projectReceipt(trx, checked.id, projecting)
      }
      for (const rejection of refused) {
        await markRejected(trx, this.url, rejection.id, rejection.code)
      }
    })
    for (const rejection of refused) {
      ctx.log.warn({ peer: this.url, event: rejection.id, code: rejection.code }, 'peer refused')
    }
  }

  /** An answer came in or a batch is done: the window has room, or a chain is free. */
  #flightMoved(): void {
    this.#pending = true
    this.#interrupt?.('flight')
  }

  /**
   * Waits `ms`, or less: `stop()` and `nudge()` always end the wait, anything new ends an idle
   * one, a batch answered ends one for room in the window, and only a nudge ends a backoff (so
   * a busy sender does not hammer a peer that is down).
   */
  #sleep(ms: number, mode: 'idle' | 'full' | 'backoff'): Promise<void> {
    if (this.#abort.signal.aborted) return Promise.resolve()
    if (mode === 'idle' && this.#pending) return Promise.resolve()
    if (mode === 'full' && !this.#window.full) return Promise.resolve()
    const { clock } = this.#options.ctx
    return new Promise((resolve) => {
      const signal = this.#abort.signal
      const done = () => {
        clock.clearTimer(timer)
        signal.removeEventListener('abort', done)
        this.#interrupt = undefined
        resolve()
      }
      const timer = Number.isFinite(ms) ? clock.setTimer(ms, done) : undefined
      signal.addEventListener('abort', done, { once: true })
      this.#interrupt = (why) => {
        if (mode === 'idle' || why === 'nudge' || (mode === 'full' && why === 'flight')) done()
      }
    })
  }
}
