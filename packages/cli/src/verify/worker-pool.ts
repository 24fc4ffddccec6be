import {
  parentPort,
  type ResourceLimits,
  type Transferable,
  Worker,
  workerData,
} from 'node:worker_threads'

/** Main thread → worker. */
interface TaskMessage<Task> {
  readonly id: number
  readonly task: Task
}

/** Worker → main thread. */
type ResultMessage<Result> =
  | { readonly id: number; readonly result: Result }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string } }

interface Pending<Task, Result> {
  readonly id: number
  readonly task: Task
  readonly transfer: readonly Transferable[]
  readonly resolve: (result: Result) => void
  readonly reject: (error: Error) => void
}

interface Slot<Task, Result> {
  readonly worker: Worker
  readonly running: Map<number, Pending<Task, Result>>
}

export interface WorkerPoolOptions {
  /** Number of worker threads, typically `os.availableParallelism()`. */
  readonly size: number
  /**
   * Tasks handed to one worker at a time. Above 1, a worker finds its next task waiting in its
   * queue when it finishes one, instead of idling while the main thread handles the result.
   */
  readonly tasksPerWorker?: number
  /** Passed to every worker as `workerData`. */
  readonly workerData?: unknown
  /** V8 heap limits of each worker. */
  readonly resourceLimits?: ResourceLimits
}

/**
 * A fixed set of worker threads running one script that serves tasks with {@link serveTasks}.
 * `run` resolves with the task's result; the caller keeps its own order (a task's promise
 * settles whenever its worker finishes). If a worker dies, every task not yet finished rejects
 * and the pool refuses new ones: a crash is a bug, not something to retry around.
 */
export class WorkerPool<Task, Result> {
  readonly size: number
  readonly #slots: Slot<Task, Result>[]
  readonly #queue: Pending<Task, Result>[] = []
  readonly #tasksPerWorker: number
  #nextId = 1
  #failure: Error | undefined
  #closed = false

  constructor(script: URL, options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(`a worker pool needs at least one worker, got ${options.size}`)
    }
    this.size = options.size
    this.#tasksPerWorker = Math.max(1, options.tasksPerWorker ?? 2)
    this.#slots = Array.from({ length: options.size }, () => {
      const slot: Slot<Task, Result> = {
        worker: new Worker(script, {
          workerData: options.workerData,
          ...(options.resourceLimits === undefined
            ? {}
            : { resourceLimits: options.resourceLimits }),
        }),
        running: new Map(),
      }
      slot.worker.on('message', (message: ResultMessage<Result>) => this.#settle(slot, message))
      slot.worker.on('error', (error) => this.#fail(error))
      slot.worker.on('messageerror', (error) => this.#fail(error))
      slot.worker.on('exit', (code) => {
        if (!this.#closed)
          this.#fail(new Error(`a worker thread exited unexpectedly (code ${code})`))
      })
      return slot
    })
  }

  /** Runs a task on the least busy worker; `transfer` lists buffers moved, not copied. */
  run(task: Task, transfer: readonly Transferable[] = []): Promise<Result> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    if (this.#closed) return Promise.reject(new Error('the worker pool is closed'))
    return new Promise<Result>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, task, transfer, resolve, reject })
      this.#dispatch()
    })
  }

  /** Terminates every worker; tasks still running reject. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const closed = new Error('the worker pool was closed')
    for (const pending of this.#queue.splice(0)) pending.reject(closed)
    for (const slot of this.#slots) {
      for (const pending of slot.running.values()) pending.reject(closed)
      slot.running.clear()
    }
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()))
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let best: Slot<Task, Result> | undefined
      for (const slot of this.#slots) {
        if (
          slot.running.size < this.#tasksPerWorker &&
          slot.running.size < (best?.running.size ?? Infinity)
        ) {
          best = slot
        }
      }
      if (best === undefined) return
      const pending = this.#queue.shift()!
      best.running.set(pending.id, pending)
      const message: TaskMessage<Task> = { id: pending.id, task: pending.task }
      best.worker.postMessage(message, pending.transfer)
    }
  }

  #settle(slot: Slot<Task, Result>, message: ResultMessage<Result>): void {
    const pending = slot.running.get(message.id)
    if (pending === undefined) return
    slot.running.delete(message.id)
    if ('error' in message) {
      const error = new Error(message.error.message)
      error.name = message.error.name
      pending.reject(error)
    } else {
      pending.resolve(message.result)
    }
    this.#dispatch()
  }

  #fail(error: Error): void {
    if (this.#failure !== undefined || this.#closed) return
    this.#failure = error
    for (const pending of this.#queue.splice(0)) pending.reject(error)
    for (const slot of this.#slots) {
      for (const pending of slot.running.values()) pending.reject(error)
      slot.running.clear()
    }
    this.#closed = true
    for (const slot of this.#slots) void slot.worker.terminate()
  }
}

/**
 * Worker side of a {@link WorkerPool}: answers each task with `handle(task, workerData)`.
 * A thrown error rejects that task only; `transferOf` names result buffers to move, not copy.
 */
export function serveTasks<Task, Result>(
  handle: (task: Task, data: unknown) => Result | Promise<Result>,
  transferOf?: (result: Result) => readonly Transferable[],
): void {
  const port = parentPort
  if (port === null) throw new Error('serveTasks must run inside a worker thread')
  port.on('message', async ({ id, task }: TaskMessage<Task>) => {
    let reply: ResultMessage<Result>
    let transfer: readonly Transferable[] = []
    try {
      const result = await handle(task, workerData)
      reply = { id, result }
      if (transferOf !== undefined) transfer = transferOf(result)
    } catch (error) {
      const { name, message } =
        error instanceof Error ? error : { name: 'Error', message: String(error) }
      reply = { id, error: { name, message } }
    }
    port.postMessage(reply, transfer)
  })
}
