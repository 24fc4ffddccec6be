// `npm run bench:verify`: how fast `parley verify` checks a realistic transcript, against what
// the hardware allows. In one run it
//   1. generates (or reuses, from /tmp/parley-bench/) a 3-party transcript of each size asked,
//   2. measures the raw Ed25519 verify rate on one core (raw-verify.ts): WebCrypto sequential,
//      WebCrypto 8 in flight, node:crypto one-shot; the highest is the single-core rate,
//   3. runs the real CLI on each transcript, timing it and taking its peak RSS,
// and prints a JSON result and a Markdown row per size for docs/benchmarks.md.
//
// The ceiling is single-core verify/s × cores; the goal is a verify rate ≥ 0.8 × the ceiling,
// and peak RSS < 1 GiB. `--generate-only` stops after step 1 (to prepare the cache once).
// Environment: PARLEY_BENCH_EVENTS (default 1000000; a comma list runs each size, e.g.
// 100000,1000000), PARLEY_BENCH_DIR (default /tmp/parley-bench).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, freemem, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { domains, signedMessage, toHex } from '@parley/protocol'
import { generateTranscript, type TranscriptPlan } from './transcript-generator.ts'

// 2: canonical lines, as a node's export writes them (1 kept JSON.stringify's member order).
const GENERATOR_VERSION = 2
const GiB = 1024 ** 3
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const cli = join(repoRoot, 'packages/cli/src/main.ts')

const sizes = (process.env.PARLEY_BENCH_EVENTS ?? '1000000').split(',').map(Number)
const dir = process.env.PARLEY_BENCH_DIR ?? '/tmp/parley-bench'
const planOf = (events: number): TranscriptPlan => ({
  events,
  parties: ['usa', 'rus', 'osce'],
  receiptEvery: 100,
  seed: 1,
})

const log = (text: string) => process.stderr.write(`${text}\n`)
const cores = availableParallelism()

const transcripts: Transcript[] = []
for (const events of sizes) transcripts.push(await ensureTranscript(planOf(events)))
if (process.argv.includes('--generate-only')) process.exit(0)
const baseline = await rawVerifyRate(transcripts[0]!.path)
const samples = [baseline.sequential, baseline.windowed, baseline.oneShot]
const used = samples.reduce((best, sample) => (sample.perSecond > best.perSecond ? sample : best))
const usedName =
  used === baseline.oneShot ? 'oneShot' : used === baseline.windowed ? 'windowed' : 'sequential'
const rawSingleCore = used.perSecond
const ceiling = rawSingleCore * cores
const goalRate = 0.8 * ceiling
const rawPerCpuSecond = used.perSecond / used.cpuCores

const runs = []
for (const transcript of transcripts) {
  const loadBefore = loadavg()
  const run = await runCli(transcript.path)
  const loadAfter = loadavg()
  const rate = Math.round(run.events / run.seconds)
  const perCpuSecond = run.cpuSeconds === undefined ? undefined : run.events / run.cpuSeconds
  runs.push({
    loadAverage1m: { before: round(loadBefore[0]!), after: round(loadAfter[0]!) },
    transcript: {
      path: transcript.path,
      events: transcript.events,
      receipts: transcript.receipts,
      bytes: transcript.bytes,
      generated:
        transcript.generatedSeconds === undefined
          ? 'reused from cache'
          : `${round(transcript.generatedSeconds)} s`,
    },
    cliVerify: {
      exitCode: run.exitCode,
      ok: run.ok,
      seconds: round(run.seconds),
      eventsPerSecond: rate,
      peakRssMiB: run.peakRssKiB === undefined ? null : Math.round(run.peakRssKiB / 1024),
      cpuSeconds: run.cpuSeconds === undefined ? null : round(run.cpuSeconds),
      cpuCoresUsed: run.cpuSeconds === undefined ? null : round(run.cpuSeconds / run.seconds),
    },
    // Robust to other load on the machine: work done per CPU-second, parley verify against the
    // raw verify loop (whose CPU includes its awaiting JS thread).
    perCpuSecond: {
      rawVerify: Math.round(rawPerCpuSecond),
      parleyVerify: perCpuSecond === undefined ? null : Math.round(perCpuSecond),
      ratio: perCpuSecond === undefined ? null : round(perCpuSecond / rawPerCpuSecond),
    },
    ceiling: { eventsPerSecond: ceiling, ratio: round(rate / ceiling) },
    goal: {
      eventsPerSecond: Math.round(goalRate),
      ratio: round(rate / goalRate),
      met: rate >= goalRate,
      peakRssUnder1GiB: run.peakRssKiB === undefined ? null : run.peakRssKiB * 1024 < GiB,
    },
  })
}
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores,
  memory: { totalGiB: round(totalmem() / GiB), freeGiB: round(freemem() / GiB) },
  rawVerify: { ...baseline, usedForCeiling: usedName, singleCorePerSecond: rawSingleCore },
  ceiling: { eventsPerSecond: ceiling, formula: `${rawSingleCore} verify/s × ${cores} cores` },
  runs,
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n\n`)
process.stdout.write(
  '| date | cores | events | raw verify/s, 1 core (WebCrypto seq / window 8 / node:crypto one-shot) | ceiling/s | parley verify/s | ratio to ceiling (goal ≥ 0.8) | wall | CPU used | per CPU-s vs raw | peak RSS | load 1m before/after |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|---|\n',
)
for (const run of runs) {
  process.stdout.write(
    `| ${result.date.slice(0, 10)} | ${cores} | ${run.transcript.events.toLocaleString('en')} | ${baseline.sequential.perSecond} / ${baseline.windowed.perSecond} / ${baseline.oneShot.perSecond} | ${ceiling} | ${run.cliVerify.eventsPerSecond} | ${run.ceiling.ratio} | ${run.cliVerify.seconds} s | ${run.cliVerify.cpuCoresUsed ?? '?'} cores | ${run.perCpuSecond.ratio ?? '?'} | ${run.cliVerify.peakRssMiB ?? '?'} MiB | ${run.loadAverage1m.before} / ${run.loadAverage1m.after} |\n`,
  )
  if (run.cliVerify.exitCode !== 0 || !run.cliVerify.ok) {
    log(`parley verify did not report ${run.transcript.path} as valid; its numbers do not count`)
    process.exitCode = 1
  }
}

interface Transcript {
  readonly path: string
  readonly events: number
  readonly receipts: number
  readonly bytes: number
  readonly generatedSeconds?: number
}

async function ensureTranscript(plan: TranscriptPlan): Promise<Transcript> {
  await mkdir(dir, { recursive: true })
  const name = `transcript-${plan.events}-${plan.parties.join('-')}-r${plan.receiptEvery}-s${plan.seed}-v${GENERATOR_VERSION}`
  const path = join(dir, `${name}.parley`)
  const metaPath = join(dir, `${name}.json`)
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as Transcript
    if ((await stat(path)).size === meta.bytes) {
      log(`reusing ${path}`)
      return { path, events: meta.events, receipts: meta.receipts, bytes: meta.bytes }
    }
  }
  log(`generating ${plan.events.toLocaleString('en')} events into ${path} …`)
  const start = performance.now()
  let shown = 0
  const generated = await generateTranscript(path, plan, {
    canonical: true,
    onProgress: (count) => {
      if (count - shown >= 100_000) {
        shown = count
        log(`  ${count.toLocaleString('en')} events`)
      }
    },
  })
  const meta = {
    events: generated.events,
    receipts: generated.receipts,
    bytes: generated.bytes,
  }
  await writeFile(metaPath, `${JSON.stringify(meta)}\n`)
  return { path, ...meta, generatedSeconds: (performance.now() - start) / 1000 }
}

interface RateSample {
  window: number
  verifications: number
  seconds: number
  perSecond: number
  cpuCores: number
}

/** Raw rate over a real line of the transcript: a message.post signature and its bytes. */
async function rawVerifyRate(
  path: string,
): Promise<{ sequential: RateSample; windowed: RateSample; oneShot: RateSample }> {
  const head = await readHead(path, 64)
  const header = JSON.parse(head[0]!) as {
    parties: Record<string, { keys: { publicKey: string }[] }>
  }
  const line = head.find((text) => text.includes('"message.post"'))
  if (line === undefined) throw new Error('no message.post in the first lines of the transcript')
  const { event, sig } = JSON.parse(line) as { event: { author: string }; sig: string }
  const publicKey = header.parties[event.author]!.keys[0]!.publicKey
  const message = toHex(signedMessage(domains.event, event))
  log('measuring the raw Ed25519 verify rate on one core (3 × 5 s) …')
  const { stdout } = await spawnCollect(
    process.execPath,
    [join(repoRoot, 'packages/cli/bench/raw-verify.ts'), '5', publicKey, sig, message],
    { ...process.env, UV_THREADPOOL_SIZE: '1' },
  )
  return JSON.parse(stdout)
}

async function readHead(path: string, lines: number): Promise<string[]> {
  const handle = await open(path)
  try {
    const buffer = Buffer.alloc(1024 * 1024)
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n').slice(0, lines)
  } finally {
    await handle.close()
  }
}

async function runCli(path: string) {
  log(`running parley verify on ${path} …`)
  const timed = existsSync('/usr/bin/time')
  const command = timed ? '/usr/bin/time' : process.execPath
  const args = [...(timed ? ['-v', process.execPath] : []), cli, 'verify', path, '--json']
  const start = performance.now()
  const { stdout, stderr, exitCode } = await spawnCollect(command, args, process.env)
  const seconds = (performance.now() - start) / 1000
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr)
  const system = /System time \(seconds\): ([\d.]+)/.exec(stderr)
  let report: { ok?: boolean; events?: number } = {}
  try {
    report = JSON.parse(stdout)
  } catch {
    log(`parley verify printed no JSON report:\n${stderr.slice(0, 2000)}`)
  }
  return {
    exitCode,
    ok: report.ok === true,
    events: report.events ?? 0,
    seconds,
    peakRssKiB: rss ? Number(rss[1]) : undefined,
    cpuSeconds: user && system ? Number(user[1]) + Number(system[1]) : undefined,
  }
}

function spawnCollect(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string; exitCode: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('error', reject)
    child.on('close', (exitCode) =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode,
      }),
    )
  })
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}
