// Notices with pending deadlines (issue 10): the scheduler's overhead at idle with --notices
// open notices whose acknowledgment deadlines are pending, the time to compute the overdue list
// (goal ≤ 50 ms; its first page, as the console reads it, and the whole list page by page),
// and how late deadlines fire after their due time under load (goal: p99 ≤ 1 s).
// One node hosting usa and rus (embedded PGlite in memory, the real clock): usa opens the
// notices in a channel with rus, so each one is delivered to a hosted party at once and its
// deadline is a job on the node's scheduler. Each notice's own ackWithin spreads the due times
// over --spread seconds, starting --lead seconds after the last notice is stored; while they
// fall due, usa keeps posting messages (the load).
// Run: npm run bench:notices -- [--notices 10000] [--lead 30] [--spread 10] [--idle 10]
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { PAGE_DEFAULT_LIMIT } from '@parley/api'
import type { BodyOf } from '@parley/protocol'
import { build } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import type { NoticeAlert, NoticeAlerts } from '../src/features/notices/notice-alerts.ts'
import { overdueNotices } from '../src/features/notices/notices.repository.ts'
import { listOverdue } from '../src/features/notices/notices.service.ts'
import type { RequestOfficer } from '../src/features/sessions/session-auth.ts'
import { commitLocalAll } from '../src/node/commit.ts'
import { createNodeContext } from '../src/node/context.ts'
import { initNodeDirectory } from '../src/node-identity.ts'
import { readModels } from '../src/read-models.ts'
import { openDatabase } from '../src/store/database.ts'
import { officerWithToken } from '../test/support/tokens.ts'

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}
const count = arg('notices', 10_000)
const leadMs = arg('lead', 30) * 1000
const spreadMs = arg('spread', 10) * 1000
const idleMs = arg('idle', 10) * 1000

const lateness: number[] = []
const alerts: NoticeAlerts = {
  begin: async () => {},
  end: async () => {},
  overdue: async (alert: NoticeAlert) => {
    lateness.push(Date.now() - alert.dueAt)
  },
}

const dir = await mkdtemp(join(tmpdir(), 'parley-notices-bench-'))
await initNodeDirectory({
  dir,
  node: 'bench',
  parties: [
    { id: 'usa', name: 'United States' },
    { id: 'rus', name: 'Russian Federation' },
  ],
  now: 0,
})
const config = { ...loadConfig(join(dir, 'parley.json'), {}), release: { twoPersonRule: [] } }
const database = await openDatabase()
const app = await build(config, { database, federate: false, logger: false, noticeAlerts: alerts })
await app.ready()
// The app's own context runs the scheduler; this one only commits, on the same database.
const ctx = createNodeContext({
  db: app.db,
  identity: app.identity,
  now: app.now,
  log: app.log,
  wake: () => {},
  projections: readModels({ alerts, scheduler: app.scheduler }),
})

const [genesis] = await commitLocalAll(ctx, [
  {
    channel: 'ch_0000000000000000000000BENC',
    author: 'usa',
    type: 'channel.create',
    body: {
      title: 'Bench',
      members: ['usa', 'rus'],
      observers: [],
      policy: {
        languages: ['en'],
        ackWithin: { routine: 86_400_000, priority: 3_600_000, flash: 900_000 },
        respondWithin: 86_400_000 * 7,
        release: { twoPersonRule: [], flashExempt: false },
      },
    },
  },
])
if (genesis?.status !== 'fulfilled') throw new Error('no channel')
const channel = genesis.value.event.channel

// The notices, 500 per commit; each one's deadline falls in [start + lead, + spread].
const created = performance.now()
const firstDue = Date.now() + leadMs
for (let from = 0; from < count; from += 500) {
  const now = Date.now()
  const drafts = []
  for (let i = from; i < Math.min(count, from + 500); i++) {
    const due = firstDue + Math.floor((i * spreadMs) / count)
    const body: BodyOf<'notice.open'> = {
      kind: 'information',
      subject: `Notice ${i}`,
      summary: 'A benchmark notice.',
      lang: 'en',
      urgency: 'routine',
      tlp: 'green',
      ackWithin: Math.max(1, due - now),
    }
    drafts.push({ channel, author: 'usa', type: 'notice.open' as const, body })
  }
  const settled = await commitLocalAll(ctx, drafts)
  const failed = settled.find((s) => s.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
}
const createdMs = performance.now() - created
if (Date.now() > firstDue) {
  console.warn('notices took longer to create than the lead: raise --lead')
}

// Idle: every deadline pending, nothing else to do.
const jobs = await app.db
  .selectFrom('jobs')
  .select((eb) => eb.fn.countAll().as('n'))
  .where('state', '=', 'pending')
  .executeTakeFirstOrThrow()
const idleFor = Math.min(idleMs, Math.max(0, firstDue - Date.now() - 1000))
const cpu0 = process.cpuUsage()
const idle0 = performance.now()
await new Promise((resolve) => setTimeout(resolve, idleFor))
const idleWall = performance.now() - idle0
const cpu = process.cpuUsage(cpu0)
const idleCpuPerSecond = idleWall === 0 ? 0 : ((cpu.user + cpu.system) / 1000 / idleWall) * 1000

// Load while the deadlines fall due: a message every 10 ms.
let posting = true
let posted = 0
const load = (async () => {
  while (posting) {
    await commitLocalAll(ctx, [
      {
        channel,
        author: 'usa',
        type: 'message.post',
        body: { text: `load ${posted}`, lang: 'en', urgency: 'routine', tlp: 'green' },
      },
    ])
    posted++
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
})()
const lastDue = firstDue + spreadMs
while (lateness.length < count && Date.now() < lastDue + 120_000) {
  await new Promise((resolve) => setTimeout(resolve, 100))
}
posting = false
await load

// The overdue list with every notice overdue: the query alone, and the API's whole answer.
// A usa viewer on the channel's access list: what a duty officer's console asks for.
const viewer = await officerWithToken(app.db, () => Date.now(), {
  party: 'usa',
  roles: ['viewer'],
  channels: [channel],
})
const officer: RequestOfficer = { id: viewer.id, party: 'usa', roles: ['viewer'], session: null }
const timings = { query: [] as number[], api: [] as number[], walk: [] as number[] }
for (let run = 0; run < 7; run++) {
  let t = performance.now()
  await overdueNotices(app.db, undefined, Date.now(), { limit: PAGE_DEFAULT_LIMIT })
  timings.query.push(performance.now() - t)
  t = performance.now()
  await listOverdue(ctx, officer)
  timings.api.push(performance.now() - t)
  // Every overdue notice, page by page at the largest page, as an export would read them.
  t = performance.now()
  let seen = 0
  let after: string | undefined
  do {
    const page = await listOverdue(ctx, officer, { limit: 500, ...(after ? { after } : {}) })
    seen += page.notices.length
    after = page.cursors.after ?? undefined
  } while (after !== undefined)
  timings.walk.push(performance.now() - t)
  if (seen !== count) console.warn(`the overdue list walked ${seen} notices, not ${count}`)
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b)
const at = (values: number[], p: number) => {
  const s = sorted(values)
  return s.length === 0 ? Number.NaN : s[Math.max(0, Math.ceil(p * s.length) - 1)]!
}
const ms = (value: number) => `${value.toFixed(1)} ms`
console.log(
  JSON.stringify(
    {
      machine: { cores: availableParallelism(), cpu: cpus()[0]?.model, node: process.version },
      notices: count,
      createdIn: ms(createdMs),
      pendingJobs: Number(jobs.n),
      idle: { seconds: idleWall / 1000, cpuMsPerSecond: Number(idleCpuPerSecond.toFixed(2)) },
      fired: lateness.length,
      messagesPostedMeanwhile: posted,
      lateness: {
        p50: ms(at(lateness, 0.5)),
        p99: ms(at(lateness, 0.99)),
        max: ms(at(lateness, 1)),
      },
      overdueList: {
        firstPageQueryMedian: ms(at(timings.query, 0.5)),
        firstPageApiMedian: ms(at(timings.api, 0.5)),
        wholeListApiMedian: ms(at(timings.walk, 0.5)),
      },
    },
    null,
    2,
  ),
)
await app.close()
await database.close()
await rm(dir, { recursive: true, force: true })
