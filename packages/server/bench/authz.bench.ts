// What authorization costs a timeline read (issue 4: at most 10 % of the median latency).
// One node, one channel with --events messages; autocannon on loopback alternates, round by
// round, between the officer route (session cookie, role check, compartment check), the same
// read through a route with authorization off, and one with the session check alone (to
// tell the session lookup's share from the role and compartment checks'), so all three see
// the same machine load.
// Run: npm run bench:authz -- [--rounds 9] [--duration 2] [--connections 8] [--events 50]
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { Type } from 'typebox'
import { build } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { timeline } from '../src/features/messages/messages.service.ts'
import { createOfficer } from '../src/features/officers/officers.service.ts'
import { passwordHasher } from '../src/features/officers/password.ts'
import { createNodeContext, type NodeContext } from '../src/node/context.ts'
import { initNodeDirectory } from '../src/node-identity.ts'
import { readModels } from '../src/read-models.ts'
import { openDatabase } from '../src/store/database.ts'

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}
const rounds = arg('rounds', 9)
const duration = arg('duration', 2)
const connections = arg('connections', 8)
const events = arg('events', 50)

const dir = await mkdtemp(join(tmpdir(), 'parley-authz-bench-'))
await initNodeDirectory({
  dir,
  node: 'usa',
  parties: [{ id: 'usa', name: 'United States' }],
  now: 0,
})
const config = {
  ...loadConfig(join(dir, 'parley.json'), {}),
  auth: { requireSecondFactor: false },
}
const database = await openDatabase()
const app = await build(config, { database, federate: false, logger: false })

// The same read as GET /api/v1/channels/:channel/timeline, with authorization off.
const ctx: NodeContext = createNodeContext({
  db: app.db,
  identity: app.identity,
  now: app.now,
  log: app.log,
  wake: () => {},
  projections: readModels(),
})
const read = async (request: { params: unknown }) =>
  timeline(ctx, (request.params as { channel: string }).channel, {})
const params = Type.Object({ channel: Type.String() })
app.get('/bench/timeline/:channel', { config: { auth: 'public' }, schema: { params } }, read)
app.get(
  '/bench/session-timeline/:channel',
  { config: { auth: 'officer', requires: { role: 'viewer' } }, schema: { params } },
  read,
)

const password = 'a long enough benchmark passphrase'
await createOfficer(
  { db: app.db, now: app.now, parties: ['usa'], passwords: passwordHasher() },
  { officer: null, party: null, via: 'cli' },
  { party: 'usa', username: 'alice', displayName: 'Alice', roles: ['drafter'], password },
)
const address = await app.listen({ host: '127.0.0.1', port: 0 })
const login = await fetch(`${address}/api/v1/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'alice', password }),
})
const cookie = /parley_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0]
const { csrfToken } = (await login.json()) as { csrfToken: string }
const api = async (path: string, body: unknown) => {
  const reply = await fetch(`${address}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
    body: JSON.stringify(body),
  })
  if (!reply.ok) throw new Error(`${path}: ${reply.status} ${await reply.text()}`)
  return reply.json() as Promise<{ channel: { id: string } }>
}
const channel = (await api('/channels', { title: 'Bench', members: ['usa', 'rus'] })).channel.id
for (let i = 0; i < events; i++) {
  await api(`/channels/${channel}/messages`, {
    text: `Message ${i}: the quick brown fox jumps over the lazy dog.`,
    lang: 'en',
    urgency: 'routine',
    tlp: 'green',
  })
}

async function measure(path: string, headers: Record<string, string>) {
  const result = await autocannon({
    url: `${address}${path}`,
    headers,
    connections,
    duration,
  })
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${path}: ${result.non2xx} non-2xx replies, ${result.errors} errors`)
  }
  return {
    p50: result.latency.p50,
    mean: result.latency.average,
    rps: result.requests.average,
  }
}

process.stdout.write(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} CPUs; ` +
    `timeline of ${events + 1} events; ${connections} connections, ${duration} s per run, ${rounds} rounds\n`,
)
const plain = `/bench/timeline/${channel}`
const session = `/bench/session-timeline/${channel}`
const authorized = `/api/v1/channels/${channel}/timeline`
// Warm-up: JIT, caches, PGlite's buffers.
for (const [path, headers] of [
  [plain, {}],
  [session, { cookie }],
  [authorized, { cookie }],
] as const) {
  await measure(path, headers)
}
type Run = Awaited<ReturnType<typeof measure>>
const variants = [
  { label: 'plain', path: plain, headers: {} },
  { label: 'session only', path: session, headers: { cookie } },
  { label: 'authorized', path: authorized, headers: { cookie } },
] as const
const runs = new Map<string, Run[]>(variants.map((v) => [v.label, []]))
for (let round = 0; round < rounds; round++) {
  // The machine is shared and its load drifts: short runs, interleaved, in a rotating order,
  // so that no variant always runs first or last.
  const order = variants.map((_, i) => variants[(i + round) % variants.length]!)
  const line: string[] = []
  for (const variant of order) {
    const run = await measure(variant.path, variant.headers)
    runs.get(variant.label)!.push(run)
    line.push(`${variant.label} p50 ${run.p50} mean ${run.mean.toFixed(1)} ms`)
  }
  process.stdout.write(`round ${round + 1}: ${line.join(' | ')}\n`)
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const summary = (label: string) => {
  const all = runs.get(label)!
  return {
    p50: median(all.map((run) => run.p50)),
    mean: median(all.map((run) => run.mean)),
    rps: median(all.map((run) => run.rps)),
  }
}
const base = summary('plain')
for (const variant of variants) {
  const it = summary(variant.label)
  const over = (it.p50 / base.p50 - 1) * 100
  process.stdout.write(
    `${variant.label.padEnd(13)} median p50 ${it.p50} ms, median mean ${it.mean.toFixed(1)} ms, ` +
      `${it.rps.toFixed(0)} req/s${variant.label === 'plain' ? '' : `, p50 overhead ${over.toFixed(1)} %`}\n`,
  )
}

await app.close()
await database.close()
await rm(dir, { recursive: true, force: true })
