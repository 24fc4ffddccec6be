// Small statistics and machine facts for the federation benchmark.
import { execFileSync } from 'node:child_process'

/** Nearest-rank percentile of numbers sorted ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export interface Distribution {
  readonly count: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

/** p50/p90/p99/max of samples in ms, rounded to 0.01 ms. */
export function distribution(samples: readonly number[]): Distribution {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (p: number) => round(percentile(sorted, p), 2)
  return { count: sorted.length, p50: at(50), p90: at(90), p99: at(99), max: at(100) }
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}

/** Output of a command, or what went wrong, for the record of the machine's state. */
export function commandOutput(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim()
  } catch (error) {
    return `(${command} failed: ${(error as Error).message})`
  }
}

/** The busiest processes right now other than ours: what else was loading the machine. */
export function busiestProcesses(ours: readonly number[], limit = 6): string[] {
  const lines = commandOutput('ps', ['-eo', 'pid,pcpu,rss,args', '--sort=-pcpu']).split('\n')
  return lines
    .slice(1)
    .filter((line) => !ours.includes(Number(line.trim().split(/\s+/, 1)[0])))
    .slice(0, limit)
    .map((line) => line.trim().replace(/\s+/g, ' ').slice(0, 160))
}
