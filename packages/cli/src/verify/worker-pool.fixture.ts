// A worker for worker-pool.test.ts: each task names what the worker should do.
import { threadId } from 'node:worker_threads'
import { serveTasks } from './worker-pool.ts'

export type FixtureTask =
  | { readonly op: 'scale'; readonly value: number; readonly delayMs?: number }
  | { readonly op: 'measure'; readonly buffer: ArrayBuffer }
  | { readonly op: 'throw'; readonly message: string }
  | { readonly op: 'crash' }

export interface FixtureResult {
  readonly value: number
  readonly threadId: number
}

serveTasks<FixtureTask, FixtureResult>(async (task, data) => {
  switch (task.op) {
    case 'scale':
      if (task.delayMs) await new Promise((resolve) => setTimeout(resolve, task.delayMs))
      return { value: task.value * (data as { factor: number }).factor, threadId }
    case 'measure':
      return { value: task.buffer.byteLength, threadId }
    case 'throw':
      throw new RangeError(task.message)
    case 'crash':
      // Escapes the task's try/catch, as a bug in a worker would.
      setTimeout(() => {
        throw new Error('worker bug')
      })
      return new Promise(() => {})
  }
})
