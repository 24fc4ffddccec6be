import { createServer } from 'node:net'

/** Ports of one test worker: a slice of its own, below the kernel's ephemeral range. */
const SLICE = 500
const FIRST = 20_000
/** Linux hands out ephemeral ports from 32768 up: no outgoing connection takes one below. */
const SLICES = Math.floor((32_768 - FIRST) / SLICE)

const worker = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 0)
// Several Vitest runs on one machine (developers sharing it, a mutation run beside a test run)
// number their workers alike: the run's main process (every worker's parent) shifts its
// slices, so two runs seldom share one (seen: EADDRINUSE at 20500-20502, worker 1 of two runs).
const base = FIRST + ((worker + process.ppid) % SLICES) * SLICE
let next = 0

/**
 * A port for a node to listen on later. A port the kernel picked (`listen(0)`) and let go is
 * ephemeral: any outgoing connection or `listen(0)` made meanwhile, by this worker or another,
 * can be handed it before the node binds it (seen: EADDRINUSE under two busy workers). So
 * each worker takes ports from a slice of its own below the ephemeral range, in turn, and
 * skips one that something else holds.
 */
export async function reservePort(): Promise<number> {
  for (let tried = 0; tried < SLICE; tried++) {
    const port = base + (next++ % SLICE)
    if (await isFree(port)) return port
  }
  throw new Error(`no free port in ${base}..${base + SLICE - 1}`)
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * `count` consecutive free ports (a demo's nodes take base..base+count-1), from the top of
 * this worker's slice, which reservePort reaches last: they are bound again at a restart, and
 * another Vitest run on the same machine takes its ports from the bottom of the same slice.
 */
export async function reservePortRun(count: number): Promise<number> {
  for (let first = base + SLICE - count; first >= base; first--) {
    const ports = Array.from({ length: count }, (_, i) => first + i)
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return first
  }
  throw new Error(`no ${count} consecutive free ports in ${base}..${base + SLICE - 1}`)
}
