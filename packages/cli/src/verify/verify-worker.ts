// A worker thread of `parley verify`: the per-line checks (shape, key, signature, hash), which
// are independent of each other, so lines can be checked on every core at once.
import {
  checkTranscriptLine,
  installCryptoBackend,
  type LineFact,
  parseTranscriptHeader,
} from '@parley/protocol'
import { nodeCrypto } from '@parley/server'
import { serveTasks } from './worker-pool.ts'

// Each worker thread is a core's worth of signature checks: synchronous node:crypto keeps it
// on this thread instead of hopping to libuv's shared pool for every hash and signature.
installCryptoBackend(nodeCrypto)

/** Lines to check; `null` marks a line the main thread already judged (not sent). */
export interface CheckTask {
  readonly firstLine: number
  readonly lines: readonly (string | null)[]
}

export type CheckResult = (LineFact | null)[]

// Checks in flight per batch. With the synchronous backend a check runs to completion when it
// starts, so lanes only interleave the little that still awaits; more would keep more parsed
// lines alive at once, which V8 then promotes to its old generation and collects at a higher cost.
const LANES = 32

let header: ReturnType<typeof parseTranscriptHeader> | undefined

serveTasks<CheckTask, CheckResult>(async (task, data) => {
  header ??= parseTranscriptHeader(data as string)
  const known = header
  const facts: CheckResult = new Array(task.lines.length).fill(null)
  let next = 0
  const lane = async () => {
    while (next < task.lines.length) {
      const i = next++
      const text = task.lines[i] ?? null
      if (text !== null) {
        facts[i] = await checkTranscriptLine(known, text, task.firstLine + i)
      }
    }
  }
  await Promise.all(Array.from({ length: LANES }, lane))
  return facts
})
