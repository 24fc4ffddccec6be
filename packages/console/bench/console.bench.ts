// The console in Debian's Chromium on loopback (issue 12, "Benchmarks"), against a node this
// script starts in-process with seeded data:
//
// - cold load to an interactive inbox: a fresh browser profile (empty cache) whose session
//   cookie is set, navigates to `/`; "interactive" is the moment the inbox table has its first
//   row and that row's channel link takes focus (`focus()` makes it `document.activeElement`),
//   marked `inbox-interactive` with `performance.mark`, so it counts from navigation start;
//   goal ≤ 1000 ms;
// - scrolling a channel of N events (50,000 by default) from its newest item back towards its
//   first, with the wheel, for a time budget: the long tasks (PerformanceObserver 'longtask')
//   while scrolling, the longest of them, and how many events were read; goal: none over 50 ms;
// - Lighthouse (its desktop preset) on the signed-in inbox: performance and accessibility.
//
// The big channel is seeded through seedMessages, the direct ledger append of scale.bench.ts
// (signed by the node's key, a valid chain, bulk inserts); the inbox's other channels through
// the officer API. One table, medians of the runs.
//
// Run: npm run bench:console -- [--runs 5] [--events 50000] [--channels 20]
//      [--scroll-seconds 30] [--lighthouse-runs 3] [--phases load,scroll,lighthouse]
//      [--profile <folder>]
//
// `--profile` (scroll phase) serves an unminified build of the console, records each scroll
// run's CPU profile over CDP into the folder, and prints the functions with the most self time
// inside the long tasks, matched to the profile's samples by a clock mark the page leaves in it.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as chromeLauncher from 'chrome-launcher'
import lighthouse from 'lighthouse'
import desktopConfig from 'lighthouse/core/config/desktop-config.js'
import { type Browser, type BrowserContext, chromium } from 'playwright-core'
import { seedMessages } from '../../server/bench/seed-log.ts'
import { build, type ParleyApp } from '../../server/src/app.ts'
import { loadConfig } from '../../server/src/config.ts'
import { createOfficer } from '../../server/src/features/officers/officers.service.ts'
import { passwordHasher } from '../../server/src/features/officers/password.ts'
import { initNodeDirectory } from '../../server/src/node-identity.ts'
import { openDatabase } from '../../server/src/store/database.ts'
import { CONSOLE_DIR, ensureConsoleBuilt } from '../scripts/build.ts'
import { type CpuProfile, longTaskSelfTimes, type SelfTime } from './long-task-profile.ts'

const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    events: { type: 'string', default: '50000' },
    channels: { type: 'string', default: '20' },
    'scroll-seconds': { type: 'string', default: '30' },
    'lighthouse-runs': { type: 'string', default: '3' },
    phases: { type: 'string', default: 'load,scroll,lighthouse' },
    profile: { type: 'string' },
  },
})
const runs = Number(options.runs)
const eventCount = Number(options.events)
const channelCount = Number(options.channels)
const scrollSeconds = Number(options['scroll-seconds'])
const lighthouseRuns = Number(options['lighthouse-runs'])
const phases = new Set(options.phases.split(','))
const profileDir = options.profile
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu']
const PASSWORD = 'a long enough benchmark passphrase'

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function inject(
  app: ParleyApp,
  session: Session | null,
  method: string,
  url: string,
  body?: unknown,
) {
  const reply = await app.inject({
    method: method as 'GET',
    url: `/api/v1${url}`,
    headers: {
      host: 'localhost',
      origin: 'http://localhost',
      'content-type': 'application/json',
      ...(session === null ? {} : { cookie: session.cookie, 'x-csrf-token': session.csrf }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  })
  if (reply.statusCode >= 300)
    throw new Error(`${method} ${url}: ${reply.statusCode} ${reply.body}`)
  return reply
}

interface Session {
  readonly cookie: string
  readonly csrf: string
}

/** A usa node on in-memory PGlite with Alice, `channelCount` small channels and one big one. */
async function seededNode(consoleDir: string | undefined) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-console-bench-'))
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
  const open = () => build(config, { database, federate: false, logger: false, consoleDir })
  const seeding = await open()
  await createOfficer(
    { db: seeding.db, now: seeding.now, parties: ['usa'], passwords: passwordHasher() },
    { officer: null, party: null, via: 'cli' },
    {
      party: 'usa',
      username: 'alice',
      displayName: 'Alice',
      roles: ['drafter'],
      password: PASSWORD,
    },
  )
  const login = await inject(seeding, null, 'POST', '/auth/login', {
    username: 'alice',
    password: PASSWORD,
  })
  const session = {
    cookie: /parley_session=[^;]+/.exec(String(login.headers['set-cookie']))![0],
    csrf: login.json().csrfToken as string,
  }
  const open1 = async (title: string) =>
    (await inject(seeding, session, 'POST', '/channels', { title, members: ['usa', 'rus'] })).json()
      .channel.id as string
  for (let i = 0; i < channelCount; i++) {
    const channel = await open1(`Working group ${i + 1}`)
    for (let m = 0; m < 5; m++) {
      await inject(seeding, session, 'POST', `/channels/${channel}/messages`, {
        text: `Status report ${m + 1} of working group ${i + 1}.`,
        lang: 'en',
        urgency: 'routine',
        tlp: 'green',
      })
    }
  }
  const big = await open1('Incident log')
  const seeded = await seedMessages(seeding, big, eventCount)
  process.stdout.write(
    `seeded ${eventCount} signed events in ${seeded.seconds.toFixed(1)} s, ${channelCount} more channels\n`,
  )
  // Served by a node built again on the seeded log, as after a restart.
  await seeding.close()
  const app = await open()
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const close = async () => {
    await app.close()
    await database.close()
    await rm(dir, { recursive: true, force: true })
  }
  return { url, big, close }
}

/** A fresh profile (empty cache) signed in as Alice: only the session cookie is set. */
async function signedIn(browser: Browser, url: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 800 } })
  const reply = await context.request.post(`${url}/api/v1/auth/login`, {
    data: { username: 'alice', password: PASSWORD },
    headers: { origin: url },
  })
  if (!reply.ok()) throw new Error(`login: ${reply.status()} ${await reply.text()}`)
  return context
}

// Runs in the page before its scripts: marks the first moment the inbox's first channel link
// exists and takes focus.
function markInteractiveInbox() {
  const ready = () => {
    const link = document.querySelector<HTMLAnchorElement>('main table tbody tr a')
    if (link === null) return false
    link.focus()
    if (document.activeElement !== link) return false
    performance.mark('inbox-interactive')
    return true
  }
  const observer = new MutationObserver(() => {
    if (ready()) observer.disconnect()
  })
  observer.observe(document, { childList: true, subtree: true })
}

async function coldInbox(browser: Browser, url: string): Promise<number> {
  const context = await signedIn(browser, url)
  await context.addInitScript(markInteractiveInbox)
  const page = await context.newPage()
  await page.goto('/')
  const handle = await page.waitForFunction(
    () => performance.getEntriesByName('inbox-interactive')[0]?.startTime,
    undefined,
    { timeout: 30_000 },
  )
  const ms = (await handle.jsonValue()) as number
  await context.close()
  return ms
}

// Runs in the page before its scripts: every long task, kept for the script to read.
function observeLongTasks() {
  const tasks: { start: number; duration: number }[] = []
  ;(window as unknown as { longTasks: typeof tasks }).longTasks = tasks
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      tasks.push({ start: entry.startTime, duration: entry.duration })
  }).observe({ type: 'longtask', buffered: true })
}

interface ScrollRun {
  readonly longTasks: number
  readonly longest: number
  readonly events: number
  readonly reachedStart: boolean
  /** With `--profile`: self time per function inside the tasks over 50 ms. */
  readonly selfTimes?: SelfTime[]
}

/**
 * The console built unminified into a folder of its own, so that a profile names the
 * functions; the served `dist/` is left as it is.
 */
async function unminifiedConsole(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'parley-console-unminified-'))
  const { build: viteBuild } = await import('vite')
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await viteBuild({
      configFile: join(CONSOLE_DIR, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, minify: false },
    })
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = nodeEnv
  }
  return outDir
}

async function scrollTimeline(
  browser: Browser,
  url: string,
  channel: string,
  profileFile?: string,
): Promise<ScrollRun> {
  const context = await signedIn(browser, url)
  await context.addInitScript(observeLongTasks)
  const page = await context.newPage()
  let pagesRead = 0
  page.on('response', (response) => {
    if (/\/timeline\?/.test(response.url()) && response.url().includes(channel)) pagesRead++
  })
  await page.goto(`/channels/${channel}`)
  await page.locator('.timeline article').first().waitFor({ timeout: 30_000 })
  await page.waitForLoadState('networkidle')
  const timeline = page.locator('.timeline')
  const box = (await timeline.boundingBox())!
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  const cdp = profileFile === undefined ? null : await page.context().newCDPSession(page)
  if (cdp !== null) {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 250 })
    await cdp.send('Profiler.start')
  }
  // Inside the profile: the page's clock at a named function's first sample.
  // (named here, not passed in: the profiler reads the name from the source)
  const markAt = await page.evaluate(() => {
    const at = performance.now()
    function parleyClockMark() {
      while (performance.now() < at + 5) {}
    }
    parleyClockMark()
    return at
  })
  const startedAt = await page.evaluate(() => performance.now())
  const deadline = Date.now() + scrollSeconds * 1000
  let reachedStart = false
  while (Date.now() < deadline) {
    await page.mouse.wheel(0, -6000)
    await page.waitForTimeout(50)
    reachedStart =
      (await page.locator('.timeline-edge').textContent()) === 'The channel starts here.'
    if (reachedStart) break
  }
  const tasks = await page.evaluate(
    (since) =>
      (window as unknown as { longTasks: { start: number; duration: number }[] }).longTasks.filter(
        (task) => task.start >= since,
      ),
    startedAt,
  )
  const over = tasks.filter((task) => task.duration > 50)
  let selfTimes: SelfTime[] | undefined
  if (cdp !== null && profileFile !== undefined) {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile }
    await writeFile(profileFile, JSON.stringify(profile))
    selfTimes = longTaskSelfTimes(profile, markAt, over)
  }
  await context.close()
  return {
    selfTimes,
    longTasks: over.length,
    longest: Math.max(0, ...tasks.map((task) => task.duration)),
    // The newest page, then one page of 200 per read scrolling up.
    events: Math.min(eventCount, pagesRead * 200),
    reachedStart,
  }
}

async function lighthouseRun(url: string, cookie: string) {
  const chrome = await chromeLauncher.launch({ chromePath: CHROMIUM, chromeFlags: FLAGS })
  try {
    const result = await lighthouse(
      `${url}/`,
      {
        port: chrome.port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: ['performance', 'accessibility'],
        extraHeaders: { Cookie: cookie },
      },
      desktopConfig,
    )
    const categories = result!.lhr.categories
    return {
      performance: Math.round((categories.performance?.score ?? 0) * 100),
      accessibility: Math.round((categories.accessibility?.score ?? 0) * 100),
    }
  } finally {
    chrome.kill()
  }
}

process.stdout.write(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} CPUs, ` +
    `load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${CHROMIUM}; ${runs} runs, ${eventCount} events\n`,
)
await ensureConsoleBuilt({ log: (line) => process.stdout.write(`${line}\n`) })
const consoleDir = profileDir === undefined ? undefined : await unminifiedConsole()
if (profileDir !== undefined) await mkdir(profileDir, { recursive: true })
const node = await seededNode(consoleDir)
const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
try {
  process.stdout.write(`Chromium ${browser.version()} against ${node.url}\n`)
  const loads: number[] = []
  const scrolls: ScrollRun[] = []
  const scores: { performance: number; accessibility: number }[] = []
  if (phases.has('load')) {
    for (let i = 0; i < runs; i++) loads.push(await coldInbox(browser, node.url))
  }
  if (phases.has('scroll')) {
    for (let i = 0; i < runs; i++) {
      const file =
        profileDir === undefined ? undefined : join(profileDir, `scroll-${i + 1}.cpuprofile`)
      const run = await scrollTimeline(browser, node.url, node.big, file)
      scrolls.push(run)
      if (run.selfTimes !== undefined) {
        const total = run.selfTimes.reduce((sum, s) => sum + s.ms, 0)
        process.stdout.write(
          `run ${i + 1}: ${run.longTasks} tasks over 50 ms (longest ${run.longest.toFixed(0)} ms), ` +
            `${total.toFixed(0)} ms of samples in them, most self time first:\n`,
        )
        for (const s of run.selfTimes.slice(0, 15))
          process.stdout.write(`  ${s.ms.toFixed(1).padStart(7)} ms  ${s.name}\n`)
      }
    }
  }
  if (phases.has('lighthouse')) {
    const context = await signedIn(browser, node.url)
    const session = (await context.cookies()).find((c) => c.name === 'parley_session')!
    for (let i = 0; i < lighthouseRuns; i++) {
      scores.push(await lighthouseRun(node.url, `${session.name}=${session.value}`))
    }
    await context.close()
  }
  const fmt = (values: number[], digits = 0) => values.map((v) => v.toFixed(digits)).join(', ')
  const rows = [
    ...(loads.length === 0
      ? []
      : [
          [
            'cold load to an interactive inbox',
            '≤ 1000 ms',
            `${median(loads).toFixed(0)} ms`,
            fmt(loads),
          ],
        ]),
    ...(scrolls.length === 0
      ? []
      : [
          [
            `long tasks > 50 ms scrolling ${eventCount} events`,
            '0',
            String(median(scrolls.map((s) => s.longTasks))),
            fmt(scrolls.map((s) => s.longTasks)),
          ],
          [
            'longest task while scrolling',
            '≤ 50 ms',
            `${median(scrolls.map((s) => s.longest)).toFixed(0)} ms`,
            fmt(scrolls.map((s) => s.longest)),
          ],
          [
            `events read in ${scrollSeconds} s of scrolling`,
            '—',
            String(median(scrolls.map((s) => s.events))),
            `${fmt(scrolls.map((s) => s.events))}${scrolls.every((s) => s.reachedStart) ? ' (start reached)' : ''}`,
          ],
        ]),
    ...(scores.length === 0
      ? []
      : [
          [
            'Lighthouse performance (desktop)',
            '—',
            String(median(scores.map((s) => s.performance))),
            fmt(scores.map((s) => s.performance)),
          ],
          [
            'Lighthouse accessibility',
            '—',
            String(median(scores.map((s) => s.accessibility))),
            fmt(scores.map((s) => s.accessibility)),
          ],
        ]),
  ]
  const header = ['measure', 'goal', 'median', 'runs']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |\n`
  process.stdout.write(line(header))
  process.stdout.write(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`)
  for (const row of rows) process.stdout.write(line(row))
} finally {
  await browser.close()
  await node.close()
  if (consoleDir !== undefined) await rm(consoleDir, { recursive: true, force: true })
}
