import { Counter, Histogram, Registry } from 'prom-client'

/** Seconds: from a fsync'd commit (~1 ms) up to a push stuck behind a slow peer. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
]

/** Where an event came from: signed here, or received from a peer (push, pull, drain). */
export type Origin = 'local' | 'received'

/**
 * What the node counts as it works, for `/metrics`: each is a counter or histogram updated in
 * memory where the work happens (a few additions, no I/O, no allocation on the hot path), so
 * recording costs the commit and push paths nothing measurable. One per node, on its context.
 */
export class Telemetry {
  readonly registry = new Registry()
  readonly #commitSeconds = new Histogram({
    name: 'parley_commit_seconds',
    help: 'Duration of the transactions that store events, from BEGIN to COMMIT done',
    labelNames: ['origin'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  })
  readonly #stored = new Counter({
    name: 'parley_events_stored_total',
    help: 'Events this node stored since it started',
    labelNames: ['origin'],
    registers: [this.registry],
  })
  readonly #refused = new Counter({
    name: 'parley_events_refused_total',
    help: 'Events this node refused since it started, by stable error code',
    labelNames: ['origin', 'code'],
    registers: [this.registry],
  })
  readonly #pushFailures = new Counter({
    name: 'parley_push_failures_total',
    help: 'Failed pushes to each peer node (refused, unreachable, bad answer) since start',
    labelNames: ['peer'],
    registers: [this.registry],
  })
  readonly #receiptSeconds = new Histogram({
    name: 'parley_receipt_seconds',
    help: 'Time from sending a push to each peer node until its signed receipts are checked',
    labelNames: ['peer'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  })

  /** A transaction that stored `stored` events committed after `seconds`. */
  committed(origin: Origin, seconds: number, stored: number): void {
    this.#commitSeconds.observe({ origin }, seconds)
    if (stored > 0) this.#stored.inc({ origin }, stored)
  }

  refused(origin: Origin, code: string): void {
    this.#refused.inc({ origin, code })
  }

  pushFailed(peer: string): void {
    this.#pushFailures.inc({ peer })
  }

  receipted(peer: string, seconds: number): void {
    this.#receiptSeconds.observe({ peer }, seconds)
  }
}
