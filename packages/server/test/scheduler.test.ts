import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import pg from 'pg'
import pino from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { build, type ParleyApp } from '../src/app.ts'
import { loadConfig, type NodeConfig } from '../src/config.ts'
import { ManualClock } from '../src/node/clock.ts'
import { type JobRun, Scheduler } from '../src/node/scheduler.ts'
import { initNodeDirectory } from '../src/node-identity.ts'
import { type Database, openDatabase } from '../src/store/database.ts'
import { jsonb } from '../src/store/jsonb.ts'
import { migrateToLatest } from '../src/store/migrate.ts'
import { testDatabase, testDialect } from './support/database.ts'

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0)
const log = pino({ level: 'silent' })

/** Each run of a handler: which job, at what time on the clock, which attempt. */
interface Fired {
  readonly key: string
  readonly at: number
  readonly attempt: number
}

function recorder(clock: ManualClock) {
  const fired: Fired[] = []
  const handler = async (job: JobRun) => {
    fired.push({ key: job.key, at: clock.now(), attempt: job.attempt })
  }
  return { fired, handler, keys: () => fired.map((f) => f.key) }
}

async function jobRow(database: Database, key: string) {
  return database.db
    .selectFrom('jobs')
    .select(['state', 'attempts', 'last_error', 'due_at'])
    .where('key', '=', key)
    .executeTakeFirstOrThrow()
}

describe('the scheduler', () => {
  let database: Database
  let clock: ManualClock
  let scheduler: Scheduler

  beforeAll(async () => {
    database = await testDatabase()
  })
  afterAll(async () => {
    await database.close()
  })
  beforeEach(async () => {
    await scheduler?.stop()
    await database.db.deleteFrom('jobs').execute()
    clock = new ManualClock(T0)
    scheduler = new Scheduler({
      db: database.db,
      clock,
      log,
      retryBaseMs: 1_000,
      retryCapMs: 4_000,
      maxAttempts: 5,
    })
  })

  it('runs a job once at its due time, never before, waking on the clock', async () => {
    const { fired, handler } = recorder(clock)
    scheduler.handle('deadline', handler)
    await scheduler.start()
    await scheduler.schedule(database.db, { kind: 'deadline', key: 'n1', dueAt: T0 + 60_000 })
    await clock.advance(59_999)
    await scheduler.idle()
    expect(fired).toEqual([])
    await clock.advance(1)
    await scheduler.idle()
    expect(fired).toEqual([{ key: 'n1', at: T0 + 60_000, attempt: 1 }])
    await clock.advance(3_600_000)
    await scheduler.idle()
    expect(fired).toHaveLength(1)
    expect((await jobRow(database, 'n1')).state).toBe('done')
  })

  it('schedules a key once: the same deadline set twice is one job, also after it ran', async () => {
    const { keys, handler } = recorder(clock)
    scheduler.handle('deadline', handler)
    const job = { kind: 'deadline', key: 'n1', dueAt: T0 + 1_000 }
    expect(await scheduler.schedule(database.db, job)).toBe(true)
    expect(await scheduler.schedule(database.db, { ...job, dueAt: T0 + 5_000 })).toBe(false)
    await clock.advance(1_000)
    expect(await scheduler.runDue()).toBe(1)
    expect(await scheduler.schedule(database.db, job)).toBe(false)
    await clock.advance(10_000)
    expect(await scheduler.runDue()).toBe(0)
    expect(keys()).toEqual(['n1'])
  })

  it('reschedules a pending job on request, and commits a job only with its transaction', async () => {
    const { fired, handler } = recorder(clock)
    scheduler.handle('deadline', handler)
    await scheduler.schedule(database.db, { kind: 'deadline', key: 'n1', dueAt: T0 + 1_000 })
    await scheduler.schedule(
      database.db,
      { kind: 'deadline', key: 'n1', dueAt: T0 + 2_000 },
      { replace: true },
    )
    await database.db
      .transaction()
      .execute(async (trx) => {
        await scheduler.schedule(trx, { kind: 'deadline', key: 'n2', dueAt: T0 })
        throw new Error('the event that set the deadline was refused')
      })
      .catch(() => {})
    await clock.advance(1_000)
    expect(await scheduler.runDue()).toBe(0)
    await clock.advance(1_000)
    expect(await scheduler.runDue()).toBe(1)
    expect(fired).toEqual([{ key: 'n1', at: T0 + 2_000, attempt: 1 }])
  })

  it('retries a failing handler with capped exponential backoff, then marks the job dead', async () => {
    const times: number[] = []
    scheduler.handle('ping', async () => {
      times.push(clock.now() - T0)
      throw new Error('peer did not answer')
    })
    await scheduler.start()
    await scheduler.schedule(database.db, { kind: 'ping', key: 'p1', dueAt: T0 })
    await scheduler.idle()
    await clock.advance(60_000)
    await scheduler.idle()
    // 1 s, 2 s, then the 4 s cap; the fifth failure is the last.
    expect(times).toEqual([0, 1_000, 3_000, 7_000, 11_000])
    expect(await jobRow(database, 'p1')).toMatchObject({
      state: 'dead',
      attempts: 5,
      last_error: 'peer did not answer',
    })
  })

  it('runs again a job whose lease lapsed (its process died mid-run), once', async () => {
    const { fired, handler } = recorder(clock)
    scheduler.handle('deadline', handler)
    // What a process that claimed the job and then died leaves behind.
    await database.db
      .insertInto('jobs')
      .values({
        kind: 'deadline',
        key: 'n1',
        payload: 'null',
        state: 'running',
        due_at: T0 - 5_000,
        attempts: 1,
        leased_by: 'a process that died',
        leased_until: T0 + 55_000,
        created_at: T0 - 10_000,
      })
      .execute()
    await scheduler.start()
    expect(fired).toEqual([])
    await clock.advance(55_000)
    await scheduler.idle()
    expect(fired).toEqual([{ key: 'n1', at: T0 + 55_000, attempt: 2 }])
    await clock.advance(120_000)
    await scheduler.idle()
    expect(fired).toHaveLength(1)
  })

  it('keeps the lease of a long handler, so no other instance takes its job', async () => {
    let release: () => void = () => {}
    const runs: number[] = []
    scheduler.handle('long', async (job) => {
      runs.push(job.attempt)
      await new Promise<void>((resolve) => {
        release = resolve
      })
    })
    const other = new Scheduler({ db: database.db, clock, log })
    other.handle('long', async (job) => {
      runs.push(job.attempt)
    })
    await scheduler.schedule(database.db, { kind: 'long', key: 'l1', dueAt: T0 })
    const running = scheduler.runDue()
    const leaseEnd = async () =>
      (
        await database.db
          .selectFrom('jobs')
          .select('leased_until')
          .where('key', '=', 'l1')
          .executeTakeFirstOrThrow()
      ).leased_until
    const renewed = async () => {
      while ((await leaseEnd()) !== clock.now() + 60_000) {
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    await renewed()
    // Three lease lengths later the first instance still holds its job.
    for (let i = 0; i < 9; i++) {
      await clock.advance(20_000)
      await renewed()
      expect(await other.runDue()).toBe(0)
    }
    release()
    expect(await running).toBe(1)
    expect(runs).toEqual([1])
    expect((await jobRow(database, 'l1')).state).toBe('done')
  })

  it('counts a job done with its handler’s transaction, even if the handler fails after', async () => {
    const runs: number[] = []
    scheduler.handle('deadline', async (job) => {
      runs.push(job.attempt)
      await database.db.transaction().execute((trx) => job.complete(trx))
      throw new Error('crashed after the commit')
    })
    await scheduler.schedule(database.db, { kind: 'deadline', key: 'n1', dueAt: T0 })
    await scheduler.runDue()
    await clock.advance(3_600_000)
    await scheduler.runDue()
    expect(runs).toEqual([1])
    expect((await jobRow(database, 'n1')).state).toBe('done')
  })

  it('runs the due jobs of a batch kind together, done with the one transaction that did their work', async () => {
    const batches: string[][] = []
    scheduler.handleBatch('deadline', async (jobs, complete) => {
      batches.push(jobs.map((job) => job.key))
      await database.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('jobs')
          .values({
            kind: 'effect',
            key: `of ${jobs.length}`,
            payload: jsonb(null),
            state: 'done',
            due_at: clock.now(),
            created_at: clock.now(),
          })
          .execute()
        await complete(trx)
      })
    })
    for (let i = 0; i < 40; i++) {
      await scheduler.schedule(database.db, { kind: 'deadline', key: `n${i}`, dueAt: T0 + i })
    }
    await scheduler.schedule(database.db, { kind: 'deadline', key: 'later', dueAt: T0 + 60_000 })
    await clock.advance(1_000)
    expect(await scheduler.runDue()).toBe(40)
    // One batch, in due order, and its effect committed with every job's completion.
    expect(batches).toEqual([Array.from({ length: 40 }, (_, i) => `n${i}`)])
    expect((await jobRow(database, 'of 40')).state).toBe('done')
    for (const key of ['n0', 'n39']) expect((await jobRow(database, key)).state).toBe('done')
    expect((await jobRow(database, 'later')).state).toBe('pending')
    expect(() => scheduler.handle('deadline', async () => {})).toThrow(/exists already/)
  })

  it('retries every job of a failed batch, and none whose batch was rolled back counts as done', async () => {
    const attempts: number[][] = []
    scheduler.handleBatch('deadline', async (jobs, complete) => {
      attempts.push(jobs.map((job) => job.attempt))
      await database.db.transaction().execute(async (trx) => {
        await complete(trx)
        if (attempts.length === 1) throw new Error('the escalation port refused')
      })
    })
    for (const key of ['a', 'b', 'c']) {
      await scheduler.schedule(database.db, { kind: 'deadline', key, dueAt: T0 })
    }
    await scheduler.runDue()
    expect(attempts).toEqual([[1, 1, 1]])
    expect(await jobRow(database, 'a')).toMatchObject({
      state: 'pending',
      attempts: 1,
      last_error: 'the escalation port refused',
      due_at: T0 + 1_000,
    })
    await clock.advance(1_000)
    await scheduler.runDue()
    expect(attempts).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ])
    for (const key of ['a', 'b', 'c']) expect((await jobRow(database, key)).state).toBe('done')
    await clock.advance(3_600_000)
    expect(await scheduler.runDue()).toBe(0)
    expect(attempts).toHaveLength(2)
  })

  it('fires each job exactly once and never before it is due, whatever the schedule (property)', async () => {
    const jobs = fc.array(
      fc.record({ key: fc.integer({ min: 0, max: 30 }), due: fc.integer({ min: 0, max: 20_000 }) }),
      { maxLength: 25 },
    )
    const steps = fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 12 })
    await fc.assert(
      fc.asyncProperty(
        jobs,
        steps,
        fc.integer({ min: 0, max: 11 }),
        async (specs, advances, at) => {
          await scheduler.stop()
          await database.db.deleteFrom('jobs').execute()
          const clock = new ManualClock(T0)
          const instance = new Scheduler({ db: database.db, clock, log })
          const fired = new Map<string, number[]>()
          instance.handle('deadline', async (job) => {
            fired.set(job.key, [...(fired.get(job.key) ?? []), clock.now()])
          })
          await instance.start()
          // The first schedule of a key decides its due time; some are scheduled mid-way.
          const due = new Map<string, number>()
          const scheduleAll = async (list: typeof specs) => {
            for (const { key, due: offset } of list) {
              const dueAt = T0 + offset
              if (!due.has(`k${key}`)) due.set(`k${key}`, Math.max(dueAt, clock.now()))
              await instance.schedule(database.db, { kind: 'deadline', key: `k${key}`, dueAt })
            }
          }
          const split = Math.floor(specs.length / 2)
          await scheduleAll(specs.slice(0, split))
          for (const [i, step] of advances.entries()) {
            if (i === at) await scheduleAll(specs.slice(split))
            await clock.advance(step)
            await instance.idle()
          }
          if (at >= advances.length) await scheduleAll(specs.slice(split))
          await clock.advance(25_000)
          await instance.idle()
          await instance.stop()
          for (const [key, times] of fired) {
            expect(times).toHaveLength(1)
            expect(times[0]).toBeGreaterThanOrEqual(due.get(key)!)
          }
          expect([...fired.keys()].sort()).toEqual([...due.keys()].sort())
        },
      ),
      { numRuns: 20 },
    )
  })
})

describe.skipIf(testDialect === 'pglite')('two schedulers on one PostgreSQL', () => {
  // PGlite is one connection inside one process: two node processes cannot share it, so there
  // is no second instance to race with there.
  it('never fire one job twice', async () => {
    const admin =
      process.env.PARLEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
    const name = `parley_t_${randomBytes(8).toString('hex')}`
    const query = async (statement: string) => {
      const client = new pg.Client({ connectionString: admin })
      await client.connect()
      await client.query(statement).finally(() => client.end())
    }
    await query(`create database ${name}`)
    const url = new URL(admin)
    url.pathname = `/${name}`
    const [a, b] = [
      await openDatabase({ url: url.toString() }),
      await openDatabase({ url: url.toString() }),
    ]
    try {
      await migrateToLatest(a.db)
      const clock = new ManualClock(T0)
      const runs = new Map<string, number>()
      const instances = [a, b].map((database) => {
        const scheduler = new Scheduler({ db: database.db, clock, log, batch: 7 })
        scheduler.handle('deadline', async (job) => {
          runs.set(job.key, (runs.get(job.key) ?? 0) + 1)
          await new Promise((resolve) => setImmediate(resolve))
        })
        return scheduler
      })
      for (let i = 0; i < 300; i++) {
        await instances[i % 2]!.schedule(a.db, {
          kind: 'deadline',
          key: `n${i}`,
          dueAt: T0 + (i % 5) * 1_000,
        })
      }
      let ran = 0
      for (let second = 0; second < 5; second++) {
        const counts = await Promise.all(
          instances.flatMap((scheduler) => [scheduler.runDue(), scheduler.runDue()]),
        )
        ran += counts.reduce((sum, n) => sum + n, 0)
        await clock.advance(1_000)
      }
      const counts = await Promise.all(instances.map((scheduler) => scheduler.runDue()))
      ran += counts.reduce((sum, n) => sum + n, 0)
      expect(runs.size).toBe(300)
      expect([...runs.values()].every((n) => n === 1)).toBe(true)
      expect(ran).toBe(300)
    } finally {
      await a.close()
      await b.close()
      await query(`drop database if exists ${name} with (force)`)
    }
  })
})

describe('the scheduler across restarts of a node', () => {
  let dir: string
  let config: NodeConfig
  let database: Database
  const clock = new ManualClock(T0)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-scheduler-'))
    await initNodeDirectory({ dir, node: 'usa', parties: [{ id: 'usa', name: 'US' }], now: 0 })
    config = loadConfig(join(dir, 'parley.json'), {})
    database = await testDatabase()
  })
  afterAll(async () => {
    await database.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** A node on the shared database and clock, with a recording handler for `deadline`. */
  async function startNode(fired: Fired[]): Promise<ParleyApp> {
    const app = await build(config, { database, clock, federate: false, logger: false })
    app.scheduler.handle('deadline', async (job) => {
      fired.push({ key: job.key, at: clock.now(), attempt: job.attempt })
    })
    await app.ready()
    return app
  }

  it('fires pending jobs once after a restart, and what fell due while down once at start-up', async () => {
    const fired: Fired[] = []
    let app = await startNode(fired)
    for (const [key, offset] of [
      ['before', 1_000],
      ['while-down', 5_000],
      ['after', 60_000],
    ] as const) {
      await app.scheduler.schedule(app.db, { kind: 'deadline', key, dueAt: T0 + offset })
    }
    await clock.advance(1_000)
    await app.scheduler.idle()
    expect(fired.map((f) => f.key)).toEqual(['before'])
    await app.close()

    // Down for a minute less a second: `while-down` falls due meanwhile and nothing runs.
    await clock.advance(58_000)
    expect(fired).toHaveLength(1)
    app = await startNode(fired)
    expect(fired.map((f) => f.key)).toEqual(['before', 'while-down'])
    expect(fired[1]!.at).toBe(T0 + 59_000)
    await clock.advance(1_000)
    await app.scheduler.idle()
    await clock.advance(3_600_000)
    await app.scheduler.idle()
    expect(fired.map((f) => f.key)).toEqual(['before', 'while-down', 'after'])
    expect(fired[2]!.at).toBe(T0 + 60_000)
    await app.close()
  })
})
