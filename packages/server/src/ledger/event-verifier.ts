import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { authenticateEvent, type PartyKey, type Rejection } from '@parley/protocol'
import type { Checking } from './chain-state.ts'

/** A slice of a batch, as the main thread sends it: `count` JSON texts, one per line. */
export interface VerifyTask {
  readonly id: number
  readonly keys: readonly (readonly [string, readonly PartyKey[]])[]
  /** UTF-8 of the texts joined by '\n' (JSON text never holds a raw newline); transferred. */
  readonly lines: ArrayBuffer
}

/** A worker's answer: per text, its id and canonical text, or why it was refused. */
export interface VerifyReply {
  readonly id: number
  readonly results?: readonly (VerifiedText | Rejection)[]
  readonly error?: string
}

export interface VerifiedText {
  readonly ok: true
  readonly id: string
  /** `JCS({ event, sig })`, which the main thread parses back instead of a structured clone. */
  readonly raw: string
}

export interface EventVerifierOptions {
  /** Worker threads; 0 checks every batch on the calling thread. Default: every core. */
  readonly workers?: number
  /** Smaller batches are checked on the calling thread: a worker's round trip would cost more. */
  readonly minBatch?: number
}

interface Slot {
  readonly worker: Worker
  readonly running: Map<number, Running>
}

interface Running {
  readonly resolve: (results: readonly (VerifiedText | Rejection)[]) => void
  readonly reject: (error: Error) => void
}

/**
 * DESIGN §4.4 steps 1–3 for a node's big batches (a push, a log page) across cores: each
 * worker thread checks a slice of the batch, so the signatures of a page are verified on every
 * core while the main thread commits the page before it. Workers start on the first big batch
 * and hold the process open only while they work, so an idle node pays nothing for them.
 * The inputs are values parsed from JSON (a request body, a stored row): each crosses to a
 * worker as its JSON text, which reads back as the same value.
 */
export class EventVerifier {
  readonly #size: number
  readonly #minBatch: number
  #workers: Slot[] = []
  #nextId = 1
  #closed = false

  constructor(options: EventVerifierOptions = {}) {
    this.#size = Math.max(0, Math.floor(options.workers ?? availableParallelism()))
    this.#minBatch = Math.max(1, options.minBatch ?? 64)
  }

  /** One result per input, in input order, exactly as `authenticateEvent` gives each. */
  async authenticate(
    signedEvents: readonly unknown[],
    keys: ReadonlyMap<string, readonly PartyKey[]>,
  ): Promise<Checking[]> {
    if (this.#closed || this.#size === 0 || signedEvents.length < this.#minBatch) {
      return authenticateHere(signedEvents, keys)
    }
    const workers = this.#start()
    const slice = Math.ceil(signedEvents.length / workers.length)
    const keyList = [...keys]
    try {
      const parts = await Promise.all(
        workers.map((slot, i) =>
          this.#run(slot, keyList, signedEvents.slice(i * slice, (i + 1) * slice)),
        ),
      )
      return parts.flat().map(fromReply)
    } catch {
      // A worker that died is a bug to fix, not a reason to refuse a peer's events.
      await this.#stop()
      return authenticateHere(signedEvents, keys)
    }
  }

  /** Stops the workers; later batches are checked on the calling thread. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#stop()
  }

  #start() {
    if (this.#workers.length > 0) return this.#workers
    this.#workers = Array.from({ length: this.#size }, () => {
      const slot: Slot = {
        worker: new Worker(new URL('./event-verifier-worker.ts', import.meta.url), {
          // A batch's garbage dies young; a small young generation keeps each worker's RSS low.
          resourceLimits: { maxYoungGenerationSizeMb: 8 },
        }),
        running: new Map(),
      }
      slot.worker.unref()
      const failAll = (error: Error) => {
        for (const running of slot.running.values()) running.reject(error)
        slot.running.clear()
      }
      slot.worker.on('message', (reply: VerifyReply) => {
        const running = slot.running.get(reply.id)
        if (running === undefined) return
        slot.running.delete(reply.id)
        if (slot.running.size === 0) slot.worker.unref()
        if (reply.results === undefined) running.reject(new Error(reply.error))
        else running.resolve(reply.results)
      })
      slot.worker.on('error', failAll)
      slot.worker.on('exit', (code) => failAll(new Error(`verifier worker exited (${code})`)))
      return slot
    })
    return this.#workers
  }

  #run(
    slot: Slot,
    keys: VerifyTask['keys'],
    signedEvents: readonly unknown[],
  ): Promise<readonly (VerifiedText | Rejection)[]> {
    if (signedEvents.length === 0) return Promise.resolve([])
    const lines = new TextEncoder().encode(signedEvents.map((e) => JSON.stringify(e)).join('\n'))
    const task: VerifyTask = { id: this.#nextId++, keys, lines: lines.buffer }
    return new Promise((resolve, reject) => {
      slot.running.set(task.id, { resolve, reject })
      slot.worker.ref()
      slot.worker.postMessage(task, [lines.buffer])
    })
  }

  async #stop(): Promise<void> {
    const workers = this.#workers
    this.#workers = []
    await Promise.all(workers.map(({ worker }) => worker.terminate()))
  }
}

function authenticateHere(
  signedEvents: readonly unknown[],
  keys: ReadonlyMap<string, readonly PartyKey[]>,
): Promise<Checking[]> {
  return Promise.all(
    signedEvents.map((signed) => authenticateEvent(signed, (party) => keys.get(party) ?? [])),
  )
}

function fromReply(reply: VerifiedText | Rejection): Checking {
  if (!reply.ok) return reply
  const { event, sig } = JSON.parse(reply.raw)
  return { ok: true, event, sig, id: reply.id, raw: reply.raw }
}
