/**
 * The node's one durable scheduler: deadlines, escalations, ping tests and every other piece of
 * timed work are jobs in the `jobs` table, run by handlers the features register by kind.
 *
 * Why not pg-boss or graphile-worker: both read "due" from the database's `now()`, so a test
 * cannot move their time with the node's injected clock; both install and migrate their own
 * schema outside the node's migrations; and both expect a pool of real connections (graphile
 * holds one for LISTEN/NOTIFY, pg-boss runs its supervisor and maintenance on others). PGlite
 * is one connection in the node's own process, with no LISTEN from another session, so each
 * would need an adapter and would still not run on the clock. What the node needs is small:
 * one table, one claim query, a lease and a timer.
 *
 * The rules:
 * - A job is `(kind, key)`: scheduling an existing key keeps the job as it is (`replace`
 *   re-arms it unless it is running), so the same deadline is scheduled once, and a job that
 *   finished stays done.
 * - A claim leases due jobs with `FOR UPDATE SKIP LOCKED`, so several node processes on one
 *   PostgreSQL never take the same job; on PGlite, one connection, the same SQL runs unlocked.
 *   The lease is renewed while the handler runs; a lease that lapses (the process died) makes
 *   the job claimable again, which is how a job interrupted by a crash runs once more.
 * - A handler that throws is retried after `min(cap, base · 2^(attempts−1))`; after
 *   `maxAttempts` claims the job is `dead`, with its last error, and is logged.
 * - A job is done when its handler returns, or earlier, in the handler's own transaction, when
 *   it calls `complete(trx)`: then its effect and its completion commit together, and a crash
 *   between them cannot run it twice.
 * - Time is the injected clock's: due means `due_at <= clock.now()`, and the scheduler wakes at
 *   the next due time (or after `pollEvery`, for jobs other processes schedule) with the clock's
 *   timer. What fell due while the node was down runs at `start()`.
 */
import { randomUUID } from 'node:crypto'
import type { JsonValue } from '@parley/protocol'
import type { FastifyBaseLogger } from 'fastify'
import {
  type Kysely,
  sql,
  type Transaction,
  type UpdateQueryBuilder,
  type UpdateResult,
} from 'kysely'
import { jsonb } from '../store/jsonb.ts'
import type { DB } from '../store/tables.ts'
import type { Clock, Timer } from './clock.ts'

/** A job as a handler sees it. */
export interface JobRun {
  readonly id: number
  readonly kind: string
  readonly key: string
  readonly payload: JsonValue
  /** 1 on the first run; a run after a failure or a lapsed lease counts on. */
  readonly attempt: number
  readonly dueAt: number
  /**
   * Marks the job done inside the handler's transaction, so that its effect and its completion
   * commit together. Throws `JobLeaseLost` (rolling that transaction back) when this run no
   * longer holds the job.
   */
  complete(trx: Transaction<DB>): Promise<void>
}

export type JobHandler = (job: JobRun) => Promise<void>

/**
 * A handler that runs the due jobs of its kind together, as many as one claim took: it does
 * their work in one transaction and calls `complete(trx)` in it, which marks every one of them
 * done with that transaction's commit. When it throws, each job fails and is retried alone in
 * the next claim's batch, as a single handler's would be.
 */
export type BatchJobHandler = (
  jobs: readonly JobRun[],
  complete: (trx: Transaction<DB>) => Promise<void>,
) => Promise<void>

export interface JobSpec {
  readonly kind: string
  readonly key: string
  /** When it falls due, ms on the node's clock. */
  readonly dueAt: number
  readonly payload?: JsonValue
}

export interface SchedulerOptions {
  readonly db: Kysely<DB>
  readonly clock: Clock
  readonly log: FastifyBaseLogger
  /** How long a claim holds a job before another instance may take it (default 60 s). */
  readonly leaseMs?: number
  /** Claims before a failing job is dead (default 10). */
  readonly maxAttempts?: number
  /** First retry delay, doubling per attempt (default 1 s), up to `retryCapMs` (default 1 h). */
  readonly retryBaseMs?: number
  readonly retryCapMs?: number
  /** Longest sleep between two looks at the table (default 30 s). */
  readonly pollEvery?: number
  /** Jobs claimed at once (default 16). */
  readonly batch?: number
  /** Jobs of a kind that runs in batches claimed, and run in one transaction, at once (default 500). */
  readonly batchJobs?: number
}

/** A handler's run that no longer holds its job (its lease lapsed and was taken over). */
export class JobLeaseLost extends Error {}

type Db = Kysely<DB> | Transaction<DB>

/** An update of one job, limited to this run's lease. */
type JobUpdate = UpdateQueryBuilder<DB, 'jobs', 'jobs', UpdateResult>

interface Claimed {
  id: number
  kind: string
  key: string
  payload: JsonValue
  attempts: number
  due_at: number
}

export class Scheduler {
  /** This instance's lease holder name. */
  readonly id = randomUUID()
  readonly #db: Kysely<DB>
  readonly #clock: Clock
  readonly #log: FastifyBaseLogger
  readonly #leaseMs: number
  readonly #maxAttempts: number
  readonly #retryBaseMs: number
  readonly #retryCapMs: number
  readonly #pollEvery: number
  readonly #batch: number
  readonly #batchJobs: number
  readonly #handlers = new Map<string, JobHandler>()
  /** Kinds whose due jobs run together, one transaction per claim. */
  readonly #batchHandlers = new Map<string, BatchJobHandler>()
  /** Jobs whose handler runs in this instance now. */
  readonly #running = new Set<number>()
  #started = false
  #run: Promise<number> | undefined
  #queued: Promise<number> | undefined
  #wake: Timer | undefined
  #renew: Timer | undefined

  constructor(options: SchedulerOptions) {
    this.#db = options.db
    this.#clock = options.clock
    this.#log = options.log
    this.#leaseMs = options.leaseMs ?? 60_000
    this.#maxAttempts = options.maxAttempts ?? 10
    this.#retryBaseMs = options.retryBaseMs ?? 1_000
    this.#retryCapMs = options.retryCapMs ?? 3_600_000
    this.#pollEvery = options.pollEvery ?? 30_000
    this.#batch = options.batch ?? 16
    this.#batchJobs = options.batchJobs ?? 500
  }

  /** Registers the handler of a kind of job; features do so at `build()`. */
  handle(kind: string, handler: JobHandler): void {
    this.#claimable(kind)
    this.#handlers.set(kind, handler)
    // Jobs of this kind may be due already.
    this.#wakeBy(this.#clock.now())
  }

  /**
   * Registers a handler that runs a kind's due jobs together: for work that is many small
   * writes, such as deadlines falling due by the thousand, where one transaction per job would
   * leave the later ones waiting behind the earlier.
   */
  handleBatch(kind: string, handler: BatchJobHandler): void {
    this.#claimable(kind)
    this.#batchHandlers.set(kind, handler)
    this.#wakeBy(this.#clock.now())
  }

  #claimable(kind: string): void {
    if (this.#handlers.has(kind) || this.#batchHandlers.has(kind)) {
      throw new Error(`a handler for job kind ${kind} exists already`)
    }
  }

  /** The kinds this instance runs, single or in batches. */
  #kinds(): string[] {
    return [...this.#handlers.keys(), ...this.#batchHandlers.keys()]
  }

  /**
   * Schedules a job, in the caller's transaction when `db` is one (the deadline then commits
   * with the event that sets it). Returns false when the key was scheduled already and is
   * kept; with `replace`, a job that is not running takes the new due time and payload and
   * starts its attempts over.
   */
  async schedule(db: Db, job: JobSpec, options: { replace?: boolean } = {}): Promise<boolean> {
    const row = {
      kind: job.kind,
      key: job.key,
      payload: jsonb(job.payload ?? null),
      state: 'pending' as const,
      due_at: job.dueAt,
      created_at: this.#clock.now(),
    }
    const inserted = await db
      .insertInto('jobs')
      .values(row)
      .onConflict((oc) => {
        const target = oc.columns(['kind', 'key'])
        return options.replace === true
          ? target
              .doUpdateSet({
                payload: row.payload,
                state: 'pending',
                due_at: row.due_at,
                attempts: 0,
                last_error: null,
                leased_by: null,
                leased_until: null,
                finished_at: null,
              })
              .where('jobs.state', '<>', 'running')
          : target.doNothing()
      })
      .returning('id')
      .executeTakeFirst()
    // Inside a transaction the row is not visible until the caller commits; the timer is a
    // hint, and a job committed after it fired is found by the next poll.
    this.#wakeBy(job.dueAt)
    return inserted !== undefined
  }

  /** Cancels a job that has not run yet; returns whether there was one. */
  async cancel(db: Db, kind: string, key: string): Promise<boolean> {
    const result = await db
      .deleteFrom('jobs')
      .where('kind', '=', kind)
      .where('key', '=', key)
      .where('state', '=', 'pending')
      .executeTakeFirst()
    return result.numDeletedRows > 0n
  }

  /** Runs what is due now, then keeps waking for what falls due next. */
  async start(): Promise<void> {
    this.#started = true
    await this.runDue()
  }

  /** Stops waking and waits for the handlers running now to finish. */
  async stop(): Promise<void> {
    this.#started = false
    this.#clock.clearTimer(this.#wake)
    this.#wake = undefined
    await this.idle()
    this.#clock.clearTimer(this.#renew)
    this.#renew = undefined
  }

  /**
   * Runs every job due on the clock now, in batches, and resolves with how many ran. A call
   * while a run is going on runs once more after it, so nothing due at the call is left.
   */
  runDue(): Promise<number> {
    if (this.#queued !== undefined) return this.#queued
    if (this.#run !== undefined) {
      this.#queued = this.#run
        .catch(() => 0)
        .then(() => {
          this.#queued = undefined
          return this.runDue()
        })
      return this.#queued
    }
    this.#run = this.#drain().finally(async () => {
      if (this.#started && this.#queued === undefined) await this.#arm()
      this.#run = undefined
    })
    return this.#run
  }

  /** Resolves once no run is going on or queued (tests: after advancing the clock). */
  async idle(): Promise<void> {
    while (this.#run !== undefined || this.#queued !== undefined) {
      await (this.#queued ?? this.#run)?.catch(() => 0)
    }
  }

  async #drain(): Promise<number> {
    let ran = 0
    for (;;) {
      const [single, batched] = await Promise.all([
        this.#claim([...this.#handlers.keys()], this.#batch),
        this.#claim([...this.#batchHandlers.keys()], this.#batchJobs),
      ])
      if (single.length + batched.length === 0) return ran
      await Promise.all([
        ...single.map((job) => this.#execute(job)),
        ...[...Map.groupBy(batched, (job) => job.kind)].map(([kind, jobs]) =>
          this.#executeBatch(kind, jobs),
        ),
      ])
      ran += single.length + batched.length
    }
  }

  async #claim(kinds: readonly string[], limit: number): Promise<Claimed[]> {
    if (kinds.length === 0) return []
    const now = this.#clock.now()
    const busy = [...this.#running]
    const result = await sql<Claimed>`
      with due as materialized (
        select id from jobs
        where kind in (${sql.join(kinds)})
          and ((state = 'pending' and due_at <= ${now})
            or (state = 'running' and leased_until <= ${now}))
          ${busy.length === 0 ? sql`` : sql`and id not in (${sql.join(busy)})`}
        order by due_at, id
        limit ${limit}
        for update skip locked
      )
      update jobs set
        state = 'running',
        attempts = jobs.attempts + 1,
        leased_by = ${this.id},
        leased_until = ${now + this.#leaseMs}
      from due
      where jobs.id = due.id
      returning jobs.id, jobs.kind, jobs.key, jobs.payload, jobs.attempts, jobs.due_at
    `.execute(this.#db)
    return result.rows
  }

  async #execute(job: Claimed): Promise<void> {
    const handler = this.#handlers.get(job.kind)!
    this.#running.add(job.id)
    this.#keepLeases()
    const held = (db: Db) => this.#held(db, [job.id])
    const run: JobRun = {
      id: job.id,
      kind: job.kind,
      key: job.key,
      payload: job.payload,
      attempt: job.attempts,
      dueAt: job.due_at,
      complete: async (trx) => {
        if ((await this.#finish(held(trx))) === 0n) {
          throw new JobLeaseLost(`job ${job.id} was taken over`)
        }
      },
    }
    let failure: unknown
    try {
      await handler(run)
    } catch (error) {
      failure = error
    }
    try {
      if (failure === undefined) await this.#finish(held(this.#db))
      else await this.#fail(job, held(this.#db), failure)
    } catch (error) {
      // The lease lapses and the job is claimed again: nothing is lost, it may run once more.
      this.#log.warn({ job: job.id, reason: String(error) }, 'job outcome not recorded')
    } finally {
      this.#running.delete(job.id)
    }
  }

  async #executeBatch(kind: string, jobs: readonly Claimed[]): Promise<void> {
    const handler = this.#batchHandlers.get(kind)!
    for (const job of jobs) this.#running.add(job.id)
    this.#keepLeases()
    const ids = jobs.map((job) => job.id)
    const runs: JobRun[] = jobs.map((job) => ({
      id: job.id,
      kind: job.kind,
      key: job.key,
      payload: job.payload,
      attempt: job.attempts,
      dueAt: job.due_at,
      complete: async () => {
        throw new Error('a batch completes together, with the handler’s complete(trx)')
      },
    }))
    let failure: unknown
    let completed = false
    try {
      await handler(runs, async (trx) => {
        const done = await this.#finish(this.#held(trx, ids))
        if (done !== BigInt(ids.length)) {
          throw new JobLeaseLost(`${ids.length - Number(done)} of ${ids.length} jobs taken over`)
        }
        completed = true
      })
    } catch (error) {
      failure = error
    }
    try {
      if (failure === undefined && !completed) await this.#finish(this.#held(this.#db, ids))
      else if (failure !== undefined) {
        for (const job of jobs) await this.#fail(job, this.#held(this.#db, [job.id]), failure)
      }
    } catch (error) {
      this.#log.warn({ kind, jobs: ids.length, reason: String(error) }, 'job outcomes not recorded')
    } finally {
      for (const id of ids) this.#running.delete(id)
    }
  }

  /** An update of jobs this instance holds the lease of. */
  #held(db: Db, ids: readonly number[]): JobUpdate {
    return db
      .updateTable('jobs')
      .where('id', 'in', ids)
      .where('state', '=', 'running')
      .where('leased_by', '=', this.id)
  }

  async #finish(job: JobUpdate): Promise<bigint> {
    const done = await job
      .set({ state: 'done', finished_at: this.#clock.now(), leased_by: null, leased_until: null })
      .executeTakeFirst()
    return done.numUpdatedRows
  }

  async #fail(job: Claimed, update: JobUpdate, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error)
    const dead = job.attempts >= this.#maxAttempts
    const retryIn = Math.min(this.#retryCapMs, this.#retryBaseMs * 2 ** (job.attempts - 1))
    const now = this.#clock.now()
    await update
      .set({
        state: dead ? 'dead' : 'pending',
        due_at: dead ? job.due_at : now + retryIn,
        last_error: reason.slice(0, 2000),
        leased_by: null,
        leased_until: null,
        finished_at: dead ? now : null,
      })
      .execute()
    const fields = { job: job.id, kind: job.kind, key: job.key, attempt: job.attempts, reason }
    if (dead) this.#log.error(fields, 'job dead after its last attempt')
    else this.#log.warn({ ...fields, retryIn }, 'job failed; retrying')
  }

  /** Renews the leases of the jobs running here, a third of a lease at a time. */
  #keepLeases(): void {
    if (this.#renew !== undefined) return
    this.#renew = this.#clock.setTimer(this.#leaseMs / 3, async () => {
      this.#renew = undefined
      if (this.#running.size === 0) return
      const ids = [...this.#running]
      await this.#db
        .updateTable('jobs')
        .set({ leased_until: this.#clock.now() + this.#leaseMs })
        .where('id', 'in', ids)
        .where('leased_by', '=', this.id)
        .execute()
        .catch((error: unknown) =>
          this.#log.warn({ reason: String(error) }, 'lease renewal failed'),
        )
        .finally(() => this.#keepLeases())
    })
  }

  /** Sets the wake-up timer for the next due job or lapsing lease, or the next poll. */
  async #arm(): Promise<void> {
    const kinds = this.#kinds()
    let next = this.#clock.now() + this.#pollEvery
    try {
      if (kinds.length > 0) {
        const row = await this.#db
          .selectNoFrom((eb) => [
            eb
              .selectFrom('jobs')
              .select((e) => e.fn.min('due_at').as('at'))
              .where('state', '=', 'pending')
              .where('kind', 'in', kinds)
              .as('due'),
            eb
              .selectFrom('jobs')
              .select((e) => e.fn.min('leased_until').as('at'))
              .where('state', '=', 'running')
              .where('kind', 'in', kinds)
              .as('lapses'),
          ])
          .executeTakeFirstOrThrow()
        for (const at of [row.due, row.lapses]) if (at !== null) next = Math.min(next, Number(at))
      }
    } catch (error) {
      this.#log.warn({ reason: String(error) }, 'scheduler could not read the next due time')
    }
    this.#wakeBy(next)
  }

  /** Makes sure the scheduler wakes no later than `at`. */
  #wakeBy(at: number): void {
    if (!this.#started) return
    if (this.#wake !== undefined && this.#wake.due <= at) return
    this.#clock.clearTimer(this.#wake)
    this.#wake = this.#clock.setTimer(at - this.#clock.now(), async () => {
      this.#wake = undefined
      await this.runDue().catch((error: unknown) => {
        this.#log.warn({ reason: String(error) }, 'scheduler run failed')
      })
    })
  }
}
