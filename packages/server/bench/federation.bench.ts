// `npm run bench:federation`: two real nodes (separate `parley start` processes) federating over
// loopback HTTP, each on its own PostgreSQL database (created and dropped here), durable commits,
// and stock Prosody (two s2s instances from the shared peer baseline) in the same run.
// Measures, in one run (issue 3, "Benchmarks"; issue 9, the side-by-side table):
//   ceiling     WebCrypto Ed25519 sign and verify rates on this machine;
//   prosody     Prosody's latency at the same paced rate, its throughput with receipts, the CPU
//               per message of both servers and their RSS (`--peers`, default
//               `../shared/bench/peers` from the repository root: its setup.sh installs
//               Prosody with apt when missing, which needs root);
//   latency     `message.post` on A (usa) → the event on B's (rus) live stream, paced;
//   throughput  events posted through A's officer API (batch endpoint, 100 messages a request;
//               `--batch 0` for concurrent single posts) until B stored
//               them all and A stored B's signed receipts for all of them;
//   catch-up    B stopped while A appends M events; time from B's restart until it holds them;
//   idle RSS    a fresh node on embedded PGlite, idle.
// Prints one Markdown table on stderr (Parley, Prosody, their ratio, the goal) and the JSON
// result on stdout (and to --out).
// Options: --latency-seconds 30 --rate 100 --throughput-events 20000 --concurrency 64
//          --batch 100 --batch-concurrency 4 (messages per batch request, requests in flight;
//          --batch 0: single posts, --concurrency of them in flight)
//          --catchup-events 50000 --phases ceiling,prosody,latency,throughput,catchup,rss
//          --peers <dir> --out <file> --quick (a smoke run: every size tiny, numbers meaningless)
//          --keep (keep node directories and databases) --cpu-prof <dir> (V8 profiles of A and
//          B, written when they stop); PARLEY_BENCH_DATABASE_URL (admin URL of PostgreSQL).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createEvent, domains, generateKeyPair, signedMessage } from '@parley/protocol'
import type pg from 'pg'
import { BenchDatabases, BenchNode, connect } from './federation-nodes.ts'
import { busiestProcesses, commandOutput, distribution, round } from './federation-stats.ts'
import { measureProsody, type ProsodyResult } from './prosody-peer.ts'

const { values: given } = parseArgs({
  options: {
    'latency-seconds': { type: 'string' },
    rate: { type: 'string', default: '100' },
    'throughput-events': { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    batch: { type: 'string', default: '100' },
    'batch-concurrency': { type: 'string', default: '4' },
    'catchup-events': { type: 'string' },
    phases: { type: 'string', default: 'ceiling,prosody,latency,throughput,catchup,rss' },
    peers: {
      type: 'string',
      default: fileURLToPath(new URL('../../../../shared/bench/peers', import.meta.url)),
    },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    'cpu-prof': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
})
// A smoke run proves every phase works end to end in about a minute; its numbers mean nothing.
const sizes = given.quick
  ? { latencySeconds: '3', throughputEvents: '500', catchupEvents: '500' }
  : { latencySeconds: '30', throughputEvents: '20000', catchupEvents: '50000' }
const options = {
  ...given,
  'latency-seconds': given['latency-seconds'] ?? sizes.latencySeconds,
  'throughput-events': given['throughput-events'] ?? sizes.throughputEvents,
  'catchup-events': given['catchup-events'] ?? sizes.catchupEvents,
}
const phases = new Set(options.phases.split(','))
const latencySeconds = Number(options['latency-seconds'])
const rate = Number(options.rate)
const throughputEvents = Number(options['throughput-events'])
const concurrency = Number(options.concurrency)
// Throughput and catch-up's append post through the batch endpoint (`--batch 0`: single posts).
const batch = Number(options.batch)
const inFlight = batch > 0 ? Number(options['batch-concurrency']) : concurrency
const catchupEvents = Number(options['catchup-events'])
const adminUrl =
  process.env.PARLEY_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const log = (text: string) => process.stderr.write(`[bench ${new Date().toISOString()}] ${text}\n`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
const now = () => performance.now()
const load = () => round(loadavg()[0]!, 2)

// A realistic hotline message: about the size of the demo's.
const FILLER =
  'Our CERT duty desk is examining the reported addresses; an interim answer follows within the hour.'

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000) {
  const deadline = now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** Operations per second of `op` with `window` calls in flight, over `ms`. */
async function opsPerSecond(op: () => Promise<unknown>, window: number, ms: number) {
  let done = 0
  const start = now()
  const end = start + ms
  const lane = async () => {
    while (now() < end) {
      await op()
      done++
    }
  }
  await Promise.all(Array.from({ length: window }, lane))
  return done / ((now() - start) / 1000)
}

/** WebCrypto Ed25519 over the bytes of a typical event, one call at a time and 32 in flight. */
async function measureCeiling() {
  const subtle = globalThis.crypto.subtle
  const { privateKey } = await generateKeyPair()
  const pair = (await subtle.generateKey({ name: 'Ed25519' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const { event } = await createEvent(
    {
      channel: 'ch_01HZX4N8Q7P2M5K9R3T6V0W8YB',
      author: 'usa',
      seq: 42,
      prev: 'a'.repeat(64),
      heads: { rus: { seq: 17, id: 'b'.repeat(64) } },
      time: Date.now(),
      type: 'message.post',
      officer: 'o_0000000000000000000000000a',
      body: { text: `T 123456 ${FILLER}`, lang: 'en', urgency: 'routine', tlp: 'green' },
    },
    { keyId: 'usa#1', privateKey },
  )
  const message = signedMessage(domains.event, event) as Uint8Array<ArrayBuffer>
  const signature = await subtle.sign('Ed25519', pair.privateKey, message)
  const sign = () => subtle.sign('Ed25519', pair.privateKey, message)
  const verify = () => subtle.verify('Ed25519', pair.publicKey, signature, message)
  await opsPerSecond(sign, 8, 200)
  await opsPerSecond(verify, 8, 200)
  const signSerial = await opsPerSecond(sign, 1, 1000)
  const verifySerial = await opsPerSecond(verify, 1, 1000)
  const signParallel = await opsPerSecond(sign, 32, 1000)
  const verifyParallel = await opsPerSecond(verify, 32, 1000)
  const signRate = Math.max(signSerial, signParallel)
  const verifyRate = Math.max(verifySerial, verifyParallel)
  return {
    messageBytes: message.length,
    signPerSecond: {
      oneAtATime: Math.round(signSerial),
      thirtyTwoInFlight: Math.round(signParallel),
    },
    verifyPerSecond: {
      oneAtATime: Math.round(verifySerial),
      thirtyTwoInFlight: Math.round(verifyParallel),
    },
    // Each event is signed once (A) and verified once (B) on this one machine.
    signPlusVerifyPerSecond: Math.round(1 / (1 / signRate + 1 / verifyRate)),
  }
}

interface Federation {
  readonly a: BenchNode
  readonly b: BenchNode
  readonly channel: string
  readonly dbA: pg.Client
  readonly dbB: pg.Client
  readonly urlB: string
}

/** A live stream on B that hands every message text to `onText` with its arrival time. */
async function openStream(
  node: BenchNode,
  channel: string,
  onText: (text: string, at: number, seq: number) => void,
): Promise<WebSocket> {
  // A token never goes into a URL: a single-use ticket opens the stream.
  const issued = await node.api<{ ticket: string }>('POST', '/stream/tickets')
  if (issued.status !== 201) throw new Error(`stream ticket: ${JSON.stringify(issued.body)}`)
  const ws = new WebSocket(
    `ws://127.0.0.1:${node.spec.port}/api/v1/stream?channel=${channel}&ticket=${issued.body.ticket}`,
  )
  ws.onmessage = (message) => {
    const at = now()
    const data = JSON.parse(String(message.data)) as {
      event?: { seq: number; body?: { text?: unknown } }
    }
    const text = data.event?.body?.text
    if (typeof text === 'string') onText(text, at, data.event!.seq)
  }
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve()
    ws.onerror = () => reject(new Error('stream did not open'))
  })
  return ws
}

/** Posts `count` messages through A's API with `window` requests in flight. */
async function postMany(
  fed: Federation,
  prefix: string,
  count: number,
  window: number,
  batch: number,
) {
  const createdAt: number[] = new Array(count)
  const step = Math.max(1, batch)
  let next = 0
  let failures = 0
  const body = (i: number) => ({
    text: `${prefix} ${i} ${FILLER}`,
    lang: 'en',
    urgency: 'routine',
    tlp: 'green',
  })
  const lane = async () => {
    for (let i = next; i < count; i = next) {
      next += step
      const end = Math.min(count, i + step)
      const reply =
        batch > 0
          ? await fed.a.api('POST', `/channels/${fed.channel}/messages/batch`, {
              messages: Array.from({ length: end - i }, (_, k) => body(i + k)),
            })
          : await fed.a.api('POST', `/channels/${fed.channel}/messages`, body(i))
      const rejected = (reply.body as { rejected?: unknown[] }).rejected?.length ?? 0
      if (reply.status !== 201 || rejected > 0) {
        failures += reply.status !== 201 ? end - i : rejected
        if (failures < 5) log(`post ${i} answered ${reply.status}: ${JSON.stringify(reply.body)}`)
      }
      for (let k = i; k < end; k++) createdAt[k] = now()
    }
  }
  await Promise.all(Array.from({ length: window }, lane))
  return { createdAt, failures }
}

async function waitingAtA(fed: Federation): Promise<number> {
  const { rows } = await fed.dbA.query<{ n: string }>(
    'select count(*) as n from outbox where delivered_at is null and rejected_code is null',
  )
  return Number(rows[0]!.n)
}

async function setup(databases: BenchDatabases, root: string): Promise<Federation> {
  const tag = `parley_bench_${process.pid}`
  const [urlA, urlB] = [await databases.create(`${tag}_a`), await databases.create(`${tag}_b`)]
  const a = new BenchNode({
    name: 'usa',
    party: { id: 'usa', name: 'United States' },
    dir: join(root, 'usa'),
    port: await freePort(),
    databaseUrl: urlA,
    ...(options['cpu-prof'] === undefined ? {} : { cpuProfileDir: options['cpu-prof'] }),
  })
  const b = new BenchNode({
    name: 'rus',
    party: { id: 'rus', name: 'Russian Federation' },
    dir: join(root, 'rus'),
    port: await freePort(),
    databaseUrl: urlB,
    ...(options['cpu-prof'] === undefined ? {} : { cpuProfileDir: options['cpu-prof'] }),
  })
  log('parley init (two nodes)')
  await Promise.all([a.init(), b.init()])
  await a.pin(b)
  await b.pin(a)
  log('parley start (two nodes)')
  await Promise.all([a.start(), b.start()])
  const created = await a.api<{ channel: { id: string } }>('POST', '/channels', {
    title: 'Benchmark hotline',
    members: ['usa', 'rus'],
  })
  if (created.status !== 201) throw new Error(`channel: ${JSON.stringify(created.body)}`)
  const channel = created.body.channel.id
  // B's admin puts its officer on the access list once the invitation is there.
  await waitUntil('the invitation on B', async () => ((await b.admit(channel)) ? true : undefined))
  const joined = await b.api('POST', `/channels/${channel}/join`, {})
  if (joined.status !== 201) throw new Error(`join: ${JSON.stringify(joined.body)}`)
  type Channel = { members: { party: string; joined: boolean }[] }
  await waitUntil('the join on A', async () => {
    const row = await a.api<Channel>('GET', `/channels/${channel}`)
    return row.body.members.some((m) => m.party === 'rus' && m.joined) ? true : undefined
  })
  return { a, b, channel, dbA: await connect(urlA), dbB: await connect(urlB), urlB }
}

function cpuOf(fed: Federation) {
  return { a: fed.a.cpuMs(), b: fed.b.cpuMs(), bench: process.cpuUsage() }
}

function cpuPerEvent(fed: Federation, before: ReturnType<typeof cpuOf>, events: number) {
  const bench = process.cpuUsage(before.bench)
  const per = (ms: number) => round((ms * 1000) / events, 0)
  return {
    nodeA: per(fed.a.cpuMs() - before.a),
    nodeB: per(fed.b.cpuMs() - before.b),
    benchClient: per((bench.user + bench.system) / 1000),
  }
}

async function latencyPhase(fed: Federation) {
  const count = Math.round(latencySeconds * rate)
  const sent: number[] = new Array(count)
  const created: number[] = new Array(count)
  const arrived: number[] = new Array(count)
  // Seqs as B's stream shows them: A's chain order, which B must keep.
  const order: number[] = []
  const ws = await openStream(fed.b, fed.channel, (text, at, seq) => {
    if (!text.startsWith('L ')) return
    const i = Number(text.split(' ', 2)[1])
    arrived[i] = at
    order.push(seq)
  })
  const loadBefore = load()
  const cpu = cpuOf(fed)
  const start = now()
  const posts: Promise<void>[] = []
  let failures = 0
  for (let i = 0; i < count; i++) {
    await sleep(start + (i * 1000) / rate - now())
    sent[i] = now()
    posts.push(
      fed.a
        .api('POST', `/channels/${fed.channel}/messages`, {
          text: `L ${i} ${FILLER}`,
          lang: 'en',
          urgency: 'routine',
          tlp: 'green',
        })
        .then((reply) => {
          created[i] = now()
          if (reply.status !== 201) failures++
        }),
    )
  }
  await Promise.all(posts)
  await waitUntil('the last latency message on B', async () =>
    order.length >= count ? true : undefined,
  ).catch(() => log(`only ${order.length} of ${count} latency messages arrived`))
  ws.close()
  const toStream: number[] = []
  const toCreated: number[] = []
  for (let i = 0; i < count; i++) {
    if (arrived[i] !== undefined) toStream.push(arrived[i]! - sent[i]!)
    if (created[i] !== undefined) toCreated.push(created[i]! - sent[i]!)
  }
  let reordered = 0
  for (let k = 1; k < order.length; k++) if (order[k]! !== order[k - 1]! + 1) reordered++
  return {
    messages: count,
    ratePerSecond: rate,
    seconds: latencySeconds,
    postToStreamMs: distribution(toStream),
    postTo201Ms: distribution(toCreated),
    lost: count - toStream.length,
    reordered,
    failedPosts: failures,
    cpuMicrosecondsPerEvent: cpuPerEvent(fed, cpu, count),
    loadAverage: { before: loadBefore, after: load() },
  }
}

async function throughputPhase(fed: Federation) {
  const arrivals: number[] = []
  const ws = await openStream(fed.b, fed.channel, (text, at) => {
    if (text.startsWith('T ')) arrivals.push(at)
  })
  const loadBefore = load()
  const cpu = cpuOf(fed)
  const start = now()
  const posted = await postMany(fed, 'T', throughputEvents, inFlight, batch)
  const apiDone = now()
  await waitUntil(
    'B to store and A to hold receipts for every event',
    async () =>
      arrivals.length >= throughputEvents && (await waitingAtA(fed)) === 0 ? true : undefined,
    300_000,
  )
  const receipted = now()
  ws.close()
  const seconds = (receipted - start) / 1000
  const at = (fraction: number) => arrivals[Math.floor(fraction * (arrivals.length - 1))]!
  const steady = (0.8 * arrivals.length) / ((at(0.9) - at(0.1)) / 1000)
  return {
    events: throughputEvents,
    concurrentPosts: inFlight,
    messagesPerRequest: Math.max(1, batch),
    measured:
      batch > 0
        ? 'POST …/messages/batch calls to A’s officer API (`messagesPerRequest` messages each, one transaction per request), `concurrentPosts` requests in flight; done when B streamed every event and A stored B’s receipts for all of them (no undelivered outbox rows)'
        : 'single message.post calls to A’s officer API, `concurrentPosts` in flight; done when B streamed every event and A stored B’s receipts for all of them (no undelivered outbox rows)',
    seconds: round(seconds, 2),
    endToEndPerSecond: Math.round(throughputEvents / seconds),
    apiAcceptedPerSecond: Math.round(throughputEvents / ((apiDone - start) / 1000)),
    storedOnBPerSecond: Math.round(arrivals.length / ((arrivals.at(-1)! - start) / 1000)),
    steadyMiddle80PerSecond: Math.round(steady),
    failedPosts: posted.failures,
    cpuMicrosecondsPerEvent: cpuPerEvent(fed, cpu, throughputEvents),
    loadAverage: { before: loadBefore, after: load() },
  }
}

async function catchupPhase(fed: Federation) {
  log('catch-up: stopping B')
  await fed.b.stop()
  const loadBefore = load()
  const appendStart = now()
  const posted = await postMany(fed, 'C', catchupEvents, inFlight, batch)
  const appendSeconds = (now() - appendStart) / 1000
  const { rows } = await fed.dbA.query<{ n: string }>(
    `select max(seq) as n from events where channel = $1 and author = 'usa'`,
    [fed.channel],
  )
  const expected = Number(rows[0]!.n)
  const heldByB = async () => {
    const held = await fed.dbB.query<{ n: string | null }>(
      `select max(seq) as n from events where channel = $1 and author = 'usa'`,
      [fed.channel],
    )
    return Number(held.rows[0]!.n ?? 0)
  }
  const before = await heldByB()
  log(
    `catch-up: A appended ${catchupEvents} (B holds usa up to ${before} of ${expected}); restarting B`,
  )
  const loadAtRestart = load()
  const restart = now()
  await fed.b.start()
  const ready = now()
  const cpuB = fed.b.cpuMs()
  let done = 0
  await waitUntil(
    'B to hold every event',
    async () => {
      if ((await heldByB()) < expected) return undefined
      done = now()
      return true
    },
    600_000,
  )
  const fromRestart = (done - restart) / 1000
  const fromReady = (done - ready) / 1000
  const missing = expected - before
  return {
    events: catchupEvents,
    missingAtRestart: missing,
    appendedThroughApiPerSecond: Math.round(catchupEvents / appendSeconds),
    failedPosts: posted.failures,
    secondsFromRestart: round(fromRestart, 2),
    secondsFromListening: round(fromReady, 2),
    startupSeconds: round((ready - restart) / 1000, 2),
    perSecondFromRestart: Math.round(missing / fromRestart),
    perSecondFromListening: Math.round(missing / fromReady),
    cpuMicrosecondsPerEventOnB: round(((fed.b.cpuMs() - cpuB) * 1000) / missing, 0),
    loadAverage: { beforeAppend: loadBefore, atRestart: loadAtRestart, after: load() },
  }
}

async function idleRssPhase(root: string) {
  const node = new BenchNode({
    name: 'idle',
    party: { id: 'chn', name: 'China' },
    dir: join(root, 'idle'),
    port: await freePort(),
  })
  await node.init()
  await node.start()
  const samples: number[] = []
  for (let i = 0; i < 10; i++) {
    await sleep(1000)
    samples.push(node.memory().rssMiB)
  }
  const peak = node.memory().peakMiB
  await node.stop()
  return {
    database: 'embedded PGlite (files under the node directory)',
    idleSeconds: 10,
    rssMiB: round(samples.at(-1)!, 1),
    rssMinMaxMiB: [round(Math.min(...samples), 1), round(Math.max(...samples), 1)],
    peakSinceStartMiB: round(peak, 1),
  }
}

/** `a / b` of two numbers, to three significant digits; a dash when either is missing. */
function ratio(parley: number | undefined, prosody: number | undefined): string {
  if (parley === undefined || prosody === undefined || prosody === 0) return '—'
  return `${Number((parley / prosody).toPrecision(3))} ×`
}

/**
 * One table, the rows of issue 9's: Parley's number, Prosody's in the same run, Parley's as a
 * multiple of Prosody's, and the goal. Rows this run did not measure are left out.
 */
function markdown(result: Record<string, unknown>): string {
  const r = result as {
    ceiling?: Awaited<ReturnType<typeof measureCeiling>>
    prosody?: ProsodyResult
    latency?: Awaited<ReturnType<typeof latencyPhase>>
    throughput?: Awaited<ReturnType<typeof throughputPhase>>
    catchup?: Awaited<ReturnType<typeof catchupPhase>>
    nodesAfterLoad?: { a: { rssMiB: number }; b: { rssMiB: number } }
    idleRss?: Awaited<ReturnType<typeof idleRssPhase>>
  }
  const p = r.prosody
  const lines = [
    `| measure | Parley | ${p ? p.version : 'Prosody'} | Parley ÷ Prosody | goal |`,
    '|---|---|---|---|---|',
  ]
  const pair = (a: number, b: number, unit: string) => `${a} / ${b} ${unit}`
  if (r.latency || p) {
    const l = r.latency
    const ours = l
      ? `${pair(l.postToStreamMs.p50, l.postToStreamMs.p99, 'ms')} (post → B's stream; ${l.lost} lost, ${l.reordered} reordered; 201 on A ${pair(l.postTo201Ms.p50, l.postTo201Ms.p99, 'ms')})`
      : '—'
    const theirs = p
      ? `${pair(p.latency.latencyMs.p50, p.latency.latencyMs.p99, 'ms')} (${p.latency.lost} lost, ${p.latency.reordered} reordered)`
      : '—'
    lines.push(
      `| latency at a paced ${rate}/s, p50 / p99 | ${ours} | ${theirs} | p50 ${ratio(l?.postToStreamMs.p50, p?.latency.latencyMs.p50)}, p99 ${ratio(l?.postToStreamMs.p99, p?.latency.latencyMs.p99)} | p99 ≤ 10 ms and ≤ 2.5 × Prosody's p99; p50 ≤ 3 ms |`,
    )
    const cpu = l?.cpuMicrosecondsPerEvent
    const pc = p?.latency.cpuMicrosecondsPerMessage
    lines.push(
      `| CPU per message at ${rate}/s, A / B | ${cpu ? pair(cpu.nodeA, cpu.nodeB, 'µs') : '—'} | ${pc ? pair(pc.a, pc.b, 'µs') : '—'} | A ${ratio(cpu?.nodeA, pc?.a)}, B ${ratio(cpu?.nodeB, pc?.b)} | A ≤ 1,000 µs, B ≤ 700 µs |`,
    )
  }
  if (r.throughput || p) {
    const t = r.throughput
    const ceiling = r.ceiling?.signPlusVerifyPerSecond
    const ours = t
      ? `${t.endToEndPerSecond} events/s${ceiling ? ` = ${round(t.endToEndPerSecond / ceiling, 2)} × the sign+verify ceiling (${ceiling}/s)` : ''}; steady ${t.steadyMiddle80PerSecond}/s (${t.events} events, ${t.messagesPerRequest > 1 ? `${t.messagesPerRequest} per request, ${t.concurrentPosts} requests` : `${t.concurrentPosts} single posts`} in flight)`
      : '—'
    const theirs = p
      ? `${p.throughput.deliveredMsgPerS} delivered/s, steady ${p.throughput.steadyMsgPerS} (${p.throughput.sent} messages, ${p.throughput.lost} lost)`
      : '—'
    lines.push(
      `| throughput with receipts | ${ours} | ${theirs} | ${ratio(t?.endToEndPerSecond, p?.throughput.deliveredMsgPerS)} | ≥ 1.0 × Prosody's rate, and ≥ 0.5 × the ceiling |`,
    )
  }
  if (r.catchup) {
    const c = r.catchup
    lines.push(
      `| catch-up of ${c.missingAtRestart} events after a restart | ${c.perSecondFromRestart} events/s (${c.secondsFromRestart} s from restart, ${c.perSecondFromListening}/s from listening) | — | — | ≥ 8,000 events/s |`,
    )
  }
  if (r.nodesAfterLoad || p) {
    const n = r.nodesAfterLoad
    lines.push(
      `| RSS after the load phases, A / B | ${n ? pair(round(n.a.rssMiB, 1), round(n.b.rssMiB, 1), 'MiB') : '—'} | ${p ? pair(p.rssMiB.a, p.rssMiB.b, 'MiB') : '—'} | A ${ratio(n?.a.rssMiB, p?.rssMiB.a)}, B ${ratio(n?.b.rssMiB, p?.rssMiB.b)} | ≤ 256 MiB |`,
    )
  }
  if (r.idleRss) {
    lines.push(`| idle RSS, node on PGlite | ${r.idleRss.rssMiB} MiB | — | — | ≤ 200 MB |`)
  }
  if (r.ceiling) {
    const c = r.ceiling
    lines.push(
      `| ceiling: Ed25519 sign / verify per s (1 at a time; 32 in flight) | ${c.signPerSecond.oneAtATime}; ${c.signPerSecond.thirtyTwoInFlight} / ${c.verifyPerSecond.oneAtATime}; ${c.verifyPerSecond.thirtyTwoInFlight} → sign+verify ${c.signPlusVerifyPerSecond} events/s | — | — | |`,
    )
  }
  lines.push(
    '',
    '`parley verify` and the authorization overhead are measured by `npm run bench:verify` and `npm run bench:authz`.',
  )
  return lines.join('\n')
}

const root = await mkdtemp(join(tmpdir(), 'parley-fed-bench-'))
const databases = new BenchDatabases(adminUrl)
const result: Record<string, unknown> = {}
let fed: Federation | undefined
try {
  const [settings] = await databases.query<Record<string, string>>(
    adminUrl,
    `select current_setting('server_version') as version,
            current_setting('synchronous_commit') as synchronous_commit,
            current_setting('fsync') as fsync`,
  )
  Object.assign(result, {
    date: new Date().toISOString(),
    machine: {
      cpus: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      memory: commandOutput('free', ['-h']).split('\n')[1]?.replace(/\s+/g, ' '),
      node: process.version,
      postgres: settings,
      loadAverageAtStart: loadavg().map((x) => round(x, 2)),
      busiestOtherProcessesAtStart: busiestProcesses([process.pid]),
    },
  })
  log(
    `PostgreSQL ${settings!.version}, synchronous_commit=${settings!.synchronous_commit}, fsync=${settings!.fsync}`,
  )
  if (phases.has('ceiling')) {
    log('ceiling: Ed25519 sign and verify rates')
    result.ceiling = await measureCeiling()
  }
  if (phases.has('prosody')) {
    // Before Parley's nodes start, so neither competes with the other for the cores.
    result.prosody = await measureProsody({
      dir: options.peers,
      rate,
      seconds: latencySeconds,
      messages: throughputEvents,
      log,
    })
  }
  if (phases.has('latency') || phases.has('throughput') || phases.has('catchup')) {
    fed = await setup(databases, root)
    result.nodes = {
      a: { party: 'usa', url: fed.a.url, idle: fed.a.memory() },
      b: { party: 'rus', url: fed.b.url, idle: fed.b.memory() },
    }
  }
  if (fed && phases.has('latency')) {
    log(`latency: ${rate} msg/s for ${latencySeconds} s`)
    result.latency = await latencyPhase(fed)
  }
  if (fed && phases.has('throughput')) {
    log(`throughput: ${throughputEvents} events, ${concurrency} in flight`)
    result.throughput = await throughputPhase(fed)
  }
  if (fed && phases.has('catchup')) {
    log(`catch-up: ${catchupEvents} events`)
    result.catchup = await catchupPhase(fed)
  }
  if (fed) {
    result.nodesAfterLoad = { a: fed.a.memory(), b: fed.b.memory() }
  }
  if (phases.has('rss')) {
    log('idle RSS: a fresh node on PGlite')
    result.idleRss = await idleRssPhase(root)
  }
  result.loadAverageAtEnd = loadavg().map((x) => round(x, 2))
} catch (error) {
  result.error = String((error as Error)?.stack ?? error)
  if (fed) result.logs = { a: fed.a.recentLog(), b: fed.b.recentLog() }
  process.exitCode = 1
} finally {
  if (fed) {
    await fed.dbA.end()
    await fed.dbB.end()
    await fed.a.stop()
    await fed.b.stop()
  }
  if (!options.keep) {
    await databases.dropAll()
    await rm(root, { recursive: true, force: true })
  } else log(`kept ${root}`)
}
const json = JSON.stringify(result, null, 2)
if (options.out !== undefined) await writeFile(options.out, `${json}\n`)
process.stderr.write(`\n${markdown(result)}\n\n`)
process.stdout.write(`${json}\n`)
