import { describe, expect, it } from 'vitest'
import type { FixtureResult, FixtureTask } from './worker-pool.fixture.ts'
import { WorkerPool } from './worker-pool.ts'

const fixture = new URL('./worker-pool.fixture.ts', import.meta.url)

function pool(size: number) {
  return new WorkerPool<FixtureTask, FixtureResult>(fixture, {
    size,
    workerData: { factor: 10 },
  })
}

describe('WorkerPool', () => {
  it('answers every task with its own result, using every worker', async () => {
    const workers = pool(3)
    try {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => workers.run({ op: 'scale', value: i, delayMs: 5 })),
      )
      expect(results.map((r) => r.value)).toEqual(Array.from({ length: 30 }, (_, i) => i * 10))
      expect(new Set(results.map((r) => r.threadId)).size).toBe(3)
    } finally {
      await workers.close()
    }
  })

  it('moves transferred buffers to the worker instead of copying them', async () => {
    const workers = pool(1)
    try {
      const buffer = new ArrayBuffer(1024)
      const result = await workers.run({ op: 'measure', buffer }, [buffer])
      expect(result.value).toBe(1024)
      expect(buffer.byteLength).toBe(0)
    } finally {
      await workers.close()
    }
  })

  it('rejects only the task that threw, and keeps serving others', async () => {
    const workers = pool(2)
    try {
      const failed = workers.run({ op: 'throw', message: 'bad input' })
      await expect(failed).rejects.toThrow('bad input')
      await expect(failed).rejects.toHaveProperty('name', 'RangeError')
      expect((await workers.run({ op: 'scale', value: 4 })).value).toBe(40)
    } finally {
      await workers.close()
    }
  })

  it('rejects running and later tasks once a worker crashes', async () => {
    const workers = pool(1)
    try {
      const slow = workers.run({ op: 'scale', value: 1, delayMs: 2000 })
      const crash = workers.run({ op: 'crash' })
      await expect(crash).rejects.toThrow('worker bug')
      await expect(slow).rejects.toThrow('worker bug')
      await expect(workers.run({ op: 'scale', value: 1 })).rejects.toThrow('worker bug')
    } finally {
      await workers.close()
    }
  })

  it('rejects tasks still queued when closed', async () => {
    const workers = pool(1)
    const queued = Array.from({ length: 5 }, () =>
      workers.run({ op: 'scale', value: 1, delayMs: 1000 }),
    )
    const outcomes = Promise.allSettled(queued)
    await workers.close()
    for (const outcome of await outcomes) {
      expect(outcome).toMatchObject({
        status: 'rejected',
        reason: { message: expect.stringContaining('closed') },
      })
    }
    await expect(workers.run({ op: 'scale', value: 1 })).rejects.toThrow('closed')
  })

  it('refuses a pool without workers', () => {
    expect(() => pool(0)).toThrow(RangeError)
  })
})
