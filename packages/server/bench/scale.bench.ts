// Whether appends and timeline page reads stay flat as the log grows (issue 9, "Growth"). For
// each size, one node whose channel already holds that many events: sequential appends through
// the officer API (latency), page reads of the newest, a middle and the oldest page (latency),
// and the process's RSS. Then appends to 1,000 channels at once. Goal: each within ±25 % of
// the empty case.
//
// Large logs are seeded fast: events are signed with the node's own key exactly as the node
// would sign them (a valid chain: seq, prev, time), then written with multi-row inserts of the
// events table and the timeline's order index, bypassing the append path (its validation and
// commit cost are what the appends measure). The node is built again after seeding.
//
// Requests go through Fastify's inject (the whole officer API stack, no socket).
// Run: npm run bench:scale -- [--sizes 0,100000,1000000] [--appends 200] [--reads 50]
//      [--channels 1000] [--postgres]   (--postgres: a fresh database per size on
//      PARLEY_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres)
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { build, type ParleyApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { createOfficer } from '../src/features/officers/officers.service.ts'
import { passwordHasher } from '../src/features/officers/password.ts'
import { initNodeDirectory } from '../src/node-identity.ts'
import { type Database, openDatabase } from '../src/store/database.ts'
import { encodeCursor } from '../src/store/keyset.ts'
import { seedMessages } from './seed-log.ts'

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : process.argv[at + 1]!
}
const sizes = arg('sizes', '0,100000,1000000').split(',').map(Number)
const appends = Number(arg('appends', '200'))
const reads = Number(arg('reads', '50'))
const channelCount = Number(arg('channels', '1000'))
const postgres = process.argv.includes('--postgres')
const adminUrl =
  process.env.PARLEY_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const PASSWORD = 'a long enough benchmark passphrase'
const T0 = Date.UTC(2026, 0, 1)

interface Node {
  readonly app: ParleyApp
  readonly cookie: string
  readonly csrf: string
}

async function adminQuery(statement: string) {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

async function freshDatabase(
  label: string,
): Promise<{ database: Database; drop: () => Promise<void> }> {
  if (!postgres) {
    const database = await openDatabase()
    return { database, drop: () => database.close() }
  }
  const name = `parley_scale_${process.pid}_${label}`
  await adminQuery(`drop database if exists ${name}`)
  await adminQuery(`create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ url: url.toString() })
  return {
    database,
    drop: async () => {
      await database.close()
      await adminQuery(`drop database if exists ${name}`)
    },
  }
}

async function request(node: Node, method: 'GET' | 'POST', url: string, body?: unknown) {
  const reply = await node.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: {
      host: 'localhost',
      origin: 'http://localhost',
      cookie: node.cookie,
      ...(method === 'GET'
        ? {}
        : { 'x-csrf-token': node.csrf, 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  })
  if (reply.statusCode >= 300)
    throw new Error(`${method} ${url}: ${reply.statusCode} ${reply.body}`)
  return reply.json()
}

const message = (text: string) => ({ text, lang: 'en', urgency: 'routine', tlp: 'green' })

async function login(app: ParleyApp): Promise<Node> {
  const reply = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    headers: { host: 'localhost', origin: 'http://localhost', 'content-type': 'application/json' },
    payload: JSON.stringify({ username: 'alice', password: PASSWORD }),
  })
  const cookie = /parley_session=[^;]+/.exec(String(reply.headers['set-cookie']))![0]
  return { app, cookie, csrf: reply.json().csrfToken }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}
async function timed(n: number, run: (i: number) => Promise<unknown>) {
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const at = performance.now()
    await run(i)
    samples.push(performance.now() - at)
  }
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) }
}

async function node(database: Database) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-scale-bench-'))
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
  // The clock stands at T0 while the log is seeded, then runs from just after the seeded events.
  let offset = 0
  const now = () => (offset === 0 ? T0 : T0 + offset + Math.floor(performance.now() - resumedAt))
  let resumedAt = 0
  const open = (after = 0) => {
    offset = after
    resumedAt = performance.now()
    return build(config, { database, federate: false, logger: false, now })
  }
  const app = await open()
  await createOfficer(
    { db: app.db, now: app.now, parties: ['usa'], passwords: passwordHasher() },
    { officer: null, party: null, via: 'cli' },
    {
      party: 'usa',
      username: 'alice',
      displayName: 'Alice',
      roles: ['drafter'],
      password: PASSWORD,
    },
  )
  return { dir, app, open }
}

interface Row {
  label: string
  appendP50: number
  appendP99: number
  newest: number
  middle: number
  oldest: number
  rssMiB: number
}
const rows: Row[] = []
process.stdout.write(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} CPUs, ` +
    `load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${postgres ? 'PostgreSQL' : 'PGlite (memory)'}; ` +
    `${appends} appends, ${reads} reads of each page (limit 100) per size\n`,
)

for (const size of sizes) {
  const { database, drop } = await freshDatabase(String(size))
  const first = await node(database)
  let n = await login(first.app)
  const channel = (
    await request(n, 'POST', '/channels', { title: 'Scale', members: ['usa', 'rus'] })
  ).channel.id as string
  const seeded =
    size > 0
      ? await seedMessages(first.app, channel, size)
      : { seconds: 0, lastSeq: 1, lastTime: 0 }
  if (size > 0) {
    process.stdout.write(`seeded ${size} signed events in ${seeded.seconds.toFixed(1)} s\n`)
    if (postgres) await (await import('kysely')).sql`analyze`.execute(first.app.db)
  }
  // A node started on the seeded log, as after a restart: nothing of the seeding in memory.
  await first.app.close()
  const app = await first.open(size + 60_000)
  n = await login(app)
  const scope = `timeline:${channel}`
  const middleSeq = Math.max(1, Math.floor(seeded.lastSeq / 2))
  const middle = encodeCursor(scope, [
    size > 0
      ? (
          await app.db
            .selectFrom('timeline_entries')
            .select('order_time')
            .where('channel', '=', channel)
            .where('seq', '=', middleSeq)
            .executeTakeFirstOrThrow()
        ).order_time
      : 0,
    'usa',
    middleSeq,
  ])
  const path = `/channels/${channel}/timeline`
  if (postgres && process.argv.includes('--explain')) {
    // The plans of a page read and an unread count: index ranges, no scan of the events table.
    const { sql } = await import('kysely')
    for (const query of [
      sql`explain select e.id, e.raw from timeline_entries t join events e on e.id = t.event_id
        where t.channel = ${channel} order by t.order_time desc, t.author desc, t.seq desc limit 101`,
      sql`explain select e.id, e.raw from timeline_entries t join events e on e.id = t.event_id
        where t.channel = ${channel} and (t.order_time, t.author, t.seq) < (${T0 + middleSeq}, 'usa', ${middleSeq})
        order by t.order_time desc, t.author desc, t.seq desc limit 101`,
      sql`explain select count(*) from (select 1 from timeline_entries where channel = ${channel}
        and (order_time, author, seq) > (${T0}, 'usa', 1) limit 1000) s`,
    ]) {
      const plan = await query.execute(app.db)
      process.stdout.write(
        `${(plan.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n')}\n\n`,
      )
    }
  }
  const append = await timed(appends, (i) =>
    request(n, 'POST', `/channels/${channel}/messages`, message(`append ${i}`)),
  )
  const newest = await timed(reads, () => request(n, 'GET', path))
  const mid = await timed(reads, () => request(n, 'GET', `${path}?before=${middle}`))
  const oldest = await timed(reads, () => request(n, 'GET', `${path}?from=oldest`))
  const rssMiB = process.memoryUsage().rss / 2 ** 20
  rows.push({
    label: `${size.toLocaleString('en')} events`,
    appendP50: append.p50,
    appendP99: append.p99,
    newest: newest.p50,
    middle: mid.p50,
    oldest: oldest.p50,
    rssMiB,
  })
  if (size === sizes[0]) {
    // 1,000 channels at once: one append to each, all in flight together.
    const channels: string[] = []
    for (let i = 0; i < channelCount; i++) {
      channels.push(
        (await request(n, 'POST', '/channels', { title: `Many ${i}`, members: ['usa', 'rus'] }))
          .channel.id,
      )
    }
    const samples: number[] = []
    const at = performance.now()
    await Promise.all(
      channels.map(async (c) => {
        const t = performance.now()
        await request(n, 'POST', `/channels/${c}/messages`, message('to many'))
        samples.push(performance.now() - t)
      }),
    )
    process.stdout.write(
      `${channelCount} channels, one append each at once: p50 ${quantile(samples, 0.5).toFixed(1)} ms, ` +
        `p99 ${quantile(samples, 0.99).toFixed(1)} ms, all in ${(performance.now() - at).toFixed(0)} ms, ` +
        `RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`,
    )
  }
  await app.close()
  await drop()
  await rm(first.dir, { recursive: true, force: true })
}

const base = rows[0]!
const vs = (value: number, of: number) =>
  `${value.toFixed(2)} (${((value / of - 1) * 100).toFixed(0)} %)`
process.stdout.write(
  '\n| log size | append p50 ms | append p99 ms | newest page p50 ms | middle page p50 ms | oldest page p50 ms | RSS MiB |\n|---|---|---|---|---|---|---|\n',
)
for (const row of rows) {
  process.stdout.write(
    `| ${row.label} | ${vs(row.appendP50, base.appendP50)} | ${vs(row.appendP99, base.appendP99)} | ` +
      `${vs(row.newest, base.newest)} | ${vs(row.middle, base.middle)} | ${vs(row.oldest, base.oldest)} | ${row.rssMiB.toFixed(0)} |\n`,
  )
}
