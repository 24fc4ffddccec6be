// Which functions run inside a page's long tasks: a V8 CPU profile (CDP `Profiler.stop`) cut to
// the spans the page's PerformanceObserver reported as long tasks.

/** The part of a CDP `Profiler.Profile` read here. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number
    readonly callFrame: {
      readonly functionName: string
      readonly url: string
      readonly lineNumber: number
      readonly columnNumber: number
    }
  }[]
  /** Microseconds, on the profiler's clock. */
  readonly startTime: number
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

// A sample taken this long after the one before says the renderer was off the CPU, not busy:
// the sampling interval asked for is 0.25 ms.
const OFF_CPU = '(off the CPU: a gap over 10 ms between samples)'
const GAP_MS = 10

/** A function and the time the profile's samples spent in its own code. */
export interface SelfTime {
  readonly name: string
  readonly ms: number
}

/** The function the page runs for a few milliseconds so that its samples tie the clocks. */
const CLOCK_MARK = 'parleyClockMark'

const frameName = (frame: CpuProfile['nodes'][number]['callFrame']) => {
  const file = frame.url === '' ? '' : ` ${frame.url.replace(/^.*\//, '')}:${frame.lineNumber + 1}`
  return `${frame.functionName === '' ? '(anonymous)' : frame.functionName}${file}`
}

/**
 * Self time per function inside the given tasks (`start`, `duration` in ms on the page's
 * `performance.now()` clock), most first. `markAt` is the `performance.now()` at which the page
 * entered `CLOCK_MARK`; its first sample gives the offset between the two clocks.
 */
export function longTaskSelfTimes(
  profile: CpuProfile,
  markAt: number,
  tasks: readonly { readonly start: number; readonly duration: number }[],
): SelfTime[] {
  const names = new Map(profile.nodes.map((node) => [node.id, frameName(node.callFrame)]))
  const markNodes = new Set(
    profile.nodes.filter((node) => node.callFrame.functionName === CLOCK_MARK).map((n) => n.id),
  )
  const times: number[] = []
  let at = profile.startTime
  for (const delta of profile.timeDeltas) {
    at += delta
    times.push(at / 1000)
  }
  const markIndex = profile.samples.findIndex((id) => markNodes.has(id))
  if (markIndex < 0) throw new Error(`the profile has no sample in ${CLOCK_MARK}`)
  const offset = times[markIndex]! - markAt
  const self = new Map<string, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    // A sample stands for the time until the next one.
    const ms = (times[i + 1] ?? times[i]!) - times[i]!
    const page = times[i]! - offset
    if (!tasks.some((task) => page >= task.start && page < task.start + task.duration)) continue
    const name = ms > GAP_MS ? OFF_CPU : names.get(profile.samples[i]!)!
    self.set(name, (self.get(name) ?? 0) + ms)
  }
  return [...self].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms)
}
