// Stock Prosody, measured in the same run as Parley (issue 9): two loopback instances from the
// shared peer baseline (`../shared/bench/peers` from the repository root; its README says how
// they are set up), driven by its `xmpp-bench.mjs`, with the CPU and memory of both server
// processes read from /proc around each phase.
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { round } from './federation-stats.ts'

/** Messages `xmpp-bench.mjs` sends before each run's phases (establishes the s2s link). */
const WARM_UP_MESSAGES = 201

export interface ProsodyOptions {
  /** The peer baseline folder (holding `setup.sh`, `prosody/`, `xmpp-bench.mjs`). */
  readonly dir: string
  /** Paced latency phase: messages per second, for `seconds`. */
  readonly rate: number
  readonly seconds: number
  /** Throughput phase: messages sent as fast as the socket takes them. */
  readonly messages: number
  readonly log: (text: string) => void
}

interface XmppDistribution {
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

interface XmppPhase {
  readonly sent: number
  readonly delivered: number
  readonly lost: number
  readonly reordered: number
  readonly latencyMs: XmppDistribution
  readonly receiptRttMs?: XmppDistribution
  readonly deliveredMsgPerS?: number
  readonly steadyMsgPerS?: number
}

/** CPU per message (µs) of each server over one `xmpp-bench.mjs` run, warm-up included. */
interface ServerCpu {
  readonly a: number
  readonly b: number
}

export interface ProsodyResult {
  readonly version: string
  readonly latency: XmppPhase & { readonly cpuMicrosecondsPerMessage: ServerCpu }
  readonly throughput: XmppPhase & { readonly cpuMicrosecondsPerMessage: ServerCpu }
  /** Resident memory of each server after both phases, MiB. */
  readonly rssMiB: { readonly a: number; readonly b: number }
}

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { cwd, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

/** The pid of a running instance (`a` or `b`), from the pid file its start.sh wrote. */
function pidOf(dir: string, instance: 'a' | 'b'): number {
  const file = join(dir, 'prosody', 'run', instance, 'prosody.pid')
  return Number(readFileSync(file, 'utf8').trim())
}

/** CPU time (user + system) a process used so far, ms; 100 clock ticks a second on Linux. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024, 1)
}

/**
 * One `xmpp-bench.mjs` run of a single phase, with the CPU both servers spent on it per
 * message (its warm-up counted with the phase's messages: both go through both servers).
 */
async function phase(
  options: ProsodyOptions,
  name: 'latency' | 'throughput',
  args: readonly string[],
): Promise<XmppPhase & { cpuMicrosecondsPerMessage: ServerCpu }> {
  const out = await mkdtemp(join(tmpdir(), 'parley-prosody-'))
  try {
    const pids = { a: pidOf(options.dir, 'a'), b: pidOf(options.dir, 'b') }
    const before = { a: cpuMs(pids.a), b: cpuMs(pids.b) }
    const file = join(out, `${name}.json`)
    await run(
      process.execPath,
      ['xmpp-bench.mjs', '--label', 'prosody', '--phases', name, ...args, '--out', file],
      options.dir,
      600_000,
    )
    const result = JSON.parse(await readFile(file, 'utf8')) as {
      phases: Record<string, XmppPhase>
    }
    const measured = result.phases[name]
    if (measured === undefined) throw new Error(`xmpp-bench.mjs reported no ${name} phase`)
    const messages = measured.sent + WARM_UP_MESSAGES
    const per = (pid: number, ms: number) => round(((cpuMs(pid) - ms) * 1000) / messages, 0)
    return {
      ...measured,
      cpuMicrosecondsPerMessage: { a: per(pids.a, before.a), b: per(pids.b, before.b) },
    }
  } finally {
    await rm(out, { recursive: true, force: true })
  }
}

/**
 * Sets the baseline up (idempotent: installs Prosody with apt when missing, which needs root),
 * starts the two instances, measures latency at a paced rate and throughput with receipts, and
 * stops them again whatever happened.
 */
export async function measureProsody(options: ProsodyOptions): Promise<ProsodyResult> {
  const { dir, log } = options
  if (!existsSync(join(dir, 'xmpp-bench.mjs'))) {
    throw new Error(`no peer baseline at ${dir} (expected xmpp-bench.mjs there; see --peers)`)
  }
  log('prosody: setup.sh (installs Prosody when missing)')
  await run('./setup.sh', [], dir, 900_000)
  // dpkg's own format field, not a template placeholder.
  const format = ['-f=$', '{Version}'].join('')
  const version = await run('dpkg-query', ['-W', format, 'prosody'], dir, 10_000).then(
    (text) => `Prosody ${text.trim()}`,
    () => 'Prosody',
  )
  log('prosody: start.sh')
  await run('prosody/start.sh', [], dir, 60_000)
  try {
    log(`prosody: latency, ${options.rate} msg/s for ${options.seconds} s`)
    const latency = await phase(options, 'latency', [
      '--rate',
      String(options.rate),
      '--duration',
      String(options.seconds),
    ])
    log(`prosody: throughput, ${options.messages} messages with receipts`)
    const throughput = await phase(options, 'throughput', ['--n', String(options.messages)])
    const rss = { a: rssMiB(pidOf(dir, 'a')), b: rssMiB(pidOf(dir, 'b')) }
    return { version, latency, throughput, rssMiB: rss }
  } finally {
    log('prosody: stop.sh')
    await run('prosody/stop.sh', [], dir, 60_000).catch((error: unknown) => log(String(error)))
  }
}
