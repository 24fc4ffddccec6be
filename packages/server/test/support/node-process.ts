import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { inject } from 'vitest'
import { addPeerToConfigFile, type DeliverySettings, loadConfig } from '../../src/config.ts'
import { initNodeDirectory, peerEntryOf } from '../../src/node-identity.ts'
import { type Database, openDatabase } from '../../src/store/database.ts'
import { migratedTemplate, testDialect } from './database.ts'
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts'
import { type LinkRouter, startLinkRouter } from './link-router.ts'
import { cheapPasswordHash } from './password-hash.ts'
import { reservePortRun } from './ports.ts'
import { ALL_ROLES, officerWithToken, type TokenOfficer } from './tokens.ts'

// Real nodes as child processes (`parley start`), so a test can SIGKILL one mid-commit and
// start it again on the same data, as a crash and a reboot would. Every node's federation
// address is a link router; each (sender → receiver) link runs through its own fault proxy.

const CLI = fileURLToPath(new URL('../../../cli/src/main.ts', import.meta.url))
const adminUrl =
  process.env.PARLEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface NodeProcessSpec {
  readonly node: string
  readonly parties: readonly { readonly id: string; readonly name: string }[]
}

export interface ApiReply<T> {
  readonly status: number
  readonly body: T
}

/** One node running as a child process, and its controls. */
export interface NodeProcess {
  readonly name: string
  readonly dir: string
  /** Where the node listens: the officer API and /healthz, never through a fault. */
  readonly url: string
  /** The node's federation URL, as peers dial it (its link router). */
  readonly federationUrl: string
  readonly running: boolean
  /**
   * The automation officer of the node's first party: every role, an API token, and on the
   * access list of the channels it opens (of others only after {@link NodeProcess.admit}).
   */
  readonly officer: TokenOfficer
  /**
   * Calls the officer API with the automation officer's token, on a fresh connection (so a
   * refused connection means the request was never sent). Rejects on a network error.
   */
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs?: number,
  ): Promise<ApiReply<T>>
  /**
   * Puts the automation officer on a channel's access list through the admin API; false while
   * the channel has not arrived (its party takes no part in it yet).
   */
  admit(channel: string): Promise<boolean>
  /** Sends a signal and waits for the process to exit (SIGKILL by default: a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** SIGTERM, then waits for a clean exit (code 0) within `timeoutMs`; throws otherwise. */
  stop(timeoutMs?: number): Promise<void>
  /** Starts the node again on the same data (stopping it first if it runs). */
  restart(): Promise<void>
  /**
   * How long since `since` (a `performance.now()` time) the node served nobody: from each
   * stop, kill or exit until its next start answered /healthz, the outage still going included.
   * On a loaded machine a restart costs seconds of waiting for a core, so a deadline for
   * what the node's officers do is counted in the time the node was up.
   */
  downMsSince(since: number): number
  /** The node's database, for a test to read once the node is stopped (PGlite is exclusive). */
  openDatabase(): Promise<Database>
  /**
   * PostgreSQL only: terminates every server connection to the node's database, as a database
   * restart or a network cut would. Returns how many it ended (0 on PGlite, which has none).
   */
  cutDatabase(): Promise<number>
  /** The last lines the process wrote, with its exits, for failure reports. */
  output(): string
  /** Every line the node logged at level error or fatal, since the first start. */
  errors(): readonly string[]
  /** Exits nobody asked for (a crash of the node itself), since the first start. */
  crashes(): readonly string[]
}

export interface NodeProcessesOptions {
  /** Delivery timings written into every node's config. */
  readonly delivery?: DeliverySettings
  /** PARLEY_LOG_LEVEL of the children (default `warn`). */
  readonly logLevel?: string
  /**
   * How long a start may take until /healthz answers (default 60 s), counted in the CPU time
   * the node's process used where Linux tells it (/proc), in wall time elsewhere. On a loaded
   * machine a start mostly waits for a core (seen: three cold starts at once took 60 s at load
   * average 31 on two cores), which says nothing about the node; a start that stops making
   * progress fails after {@link START_STALL_MS} all the same.
   */
  readonly startTimeoutMs?: number
}

export interface NodeProcesses {
  readonly nodes: readonly NodeProcess[]
  node(name: string): NodeProcess
  /** The fault proxy carrying `from`'s requests to `to` and the replies to them. */
  link(from: string, to: string): FaultProxy
  readonly links: readonly {
    readonly from: string
    readonly to: string
    readonly proxy: FaultProxy
  }[]
  /** Every link passes again and drops the connections a fault broke; every node runs. */
  heal(): Promise<void>
  /** Kills what still runs, closes proxies and routers, drops databases, removes files. */
  close(): Promise<void>
}

/**
 * Creates a node directory per spec (keys, config with every other node pinned, a migrated
 * database: a copy of a PGlite template, or a new PostgreSQL database with
 * `PARLEY_TEST_DB=postgres`) and starts every node as `parley start`.
 */
export async function startNodeProcesses(
  specs: readonly NodeProcessSpec[],
  options: NodeProcessesOptions = {},
): Promise<NodeProcesses> {
  const root = await mkdtemp(join(tmpdir(), 'parley-procs-'))
  const routers = new Map<string, LinkRouter>()
  const links: { from: string; to: string; proxy: FaultProxy }[] = []
  const databases: string[] = []
  const nodes: NodeProcess[] = []
  const partyNode = new Map<string, string>()
  for (const spec of specs) for (const party of spec.parties) partyNode.set(party.id, spec.node)

  const cleanup = async () => {
    await Promise.allSettled(nodes.map((node) => (node.running ? node.kill() : undefined)))
    await Promise.allSettled(links.map((l) => l.proxy.close()))
    await Promise.allSettled([...routers.values()].map((router) => router.close()))
    for (const name of databases) await adminQuery(`drop database if exists ${name} with (force)`)
    await rm(root, { recursive: true, force: true })
  }

  try {
    const ports = new Map<string, number>()
    // A node restarts on its port, which stays free while it is down: taken from the top of
    // the worker's slice, where another Vitest run on the machine (whose reservePort starts at
    // the bottom) does not hand it out meanwhile (seen: PORT_IN_USE at a chaos restart).
    const first = await reservePortRun(specs.length)
    for (const [i, spec] of specs.entries()) {
      const port = first + i
      ports.set(spec.node, port)
      // Links into this node, one per other node; unsigned traffic goes straight in.
      const inbound = new Map<string, FaultProxy>()
      for (const other of specs) {
        if (other.node === spec.node) continue
        const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port } })
        inbound.set(other.node, proxy)
        links.push({ from: other.node, to: spec.node, proxy })
      }
      const router = await startLinkRouter({
        route: (party) => {
          const sender = party === undefined ? undefined : partyNode.get(party)
          const proxy = sender === undefined ? undefined : inbound.get(sender)
          return { host: '127.0.0.1', port: proxy?.port ?? port }
        },
      })
      routers.set(spec.node, router)
    }

    // PGlite: one migrated cluster, copied for each node (initdb and migrations cost seconds).
    const template = testDialect === 'pglite' ? await pgliteTemplate(join(root, 'template')) : ''
    const made = []
    for (const spec of specs) {
      const dir = join(root, spec.node)
      const { configFile } = await initNodeDirectory({
        dir,
        parties: spec.parties,
        node: spec.node,
        port: ports.get(spec.node)!,
        federationUrl: routers.get(spec.node)!.url,
        // Keys valid from the epoch, so a clock step in a test never outdates them.
        now: 0,
      })
      let database: { dataDir: string } | { url: string }
      if (testDialect === 'postgres') {
        const name = `parley_chaos_${randomBytes(6).toString('hex')}`
        const template = inject('postgresTemplate')
        await adminQuery(
          `create database ${name}${template === undefined ? '' : ` template ${template}`}`,
        )
        databases.push(name)
        const url = new URL(adminUrl)
        url.pathname = `/${name}`
        database = { url: url.toString() }
      } else {
        database = { dataDir: join(dir, 'db') }
        await cp(template, database.dataDir, { recursive: true })
      }
      const raw = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>
      await writeFile(
        configFile,
        `${JSON.stringify({
          ...raw,
          auth: { ...(raw.auth as object | undefined), passwordHash: cheapPasswordHash },
          ...('url' in database ? { databaseUrl: database.url } : {}),
          ...(options.delivery === undefined ? {} : { delivery: options.delivery }),
        })}\n`,
        { mode: 0o600 },
      )
      // The node's automation officer, made while no process holds the database.
      const opened = await openDatabase(database)
      const officer = await officerWithToken(opened.db, Date.now, {
        party: spec.parties[0]!.id,
        roles: ALL_ROLES,
        username: `automation-${spec.parties[0]!.id}`,
      }).finally(() => opened.close())
      made.push({ spec, dir, configFile, database, officer })
    }
    for (const { spec, configFile } of made) {
      for (const other of made) {
        if (other.spec.node === spec.node) continue
        const entry = await peerEntryOf(loadConfig(other.configFile, {}), 0)
        await addPeerToConfigFile(configFile, entry)
      }
    }
    for (const { spec, dir, configFile, database, officer } of made) {
      const config = loadConfig(configFile, {})
      nodes.push(
        nodeProcess({
          name: spec.node,
          dir,
          url: `http://127.0.0.1:${config.listen.port}`,
          federationUrl: config.federationUrl,
          officer,
          database,
          logLevel: options.logLevel ?? 'warn',
          startTimeoutMs: options.startTimeoutMs ?? 60_000,
        }),
      )
    }
    await Promise.all(nodes.map((node) => node.restart()))
  } catch (error) {
    await cleanup()
    throw error
  }

  const byName = (name: string) => {
    const found = nodes.find((node) => node.name === name)
    if (found === undefined) throw new Error(`no node ${name}`)
    return found
  }
  return {
    nodes,
    node: byName,
    links,
    link(from, to) {
      const found = links.find((l) => l.from === from && l.to === to)
      if (found === undefined) throw new Error(`no link ${from} → ${to}`)
      return found.proxy
    },
    async heal() {
      for (const { proxy } of links) {
        proxy.pass()
        proxy.cutAll()
      }
      await Promise.all(nodes.map((node) => (node.running ? undefined : node.restart())))
    },
    close: cleanup,
  }
}

interface ProcessSetup {
  readonly name: string
  readonly dir: string
  readonly url: string
  readonly federationUrl: string
  readonly officer: TokenOfficer
  readonly database: { dataDir: string } | { url: string }
  readonly logLevel: string
  readonly startTimeoutMs: number
}

function nodeProcess(setup: ProcessSetup): NodeProcess {
  let child: ChildProcess | undefined
  let exited: Promise<number | null> = Promise.resolve(null)
  const lines: string[] = []
  const errors: string[] = []
  const crashes: string[] = []
  // Times the node stopped serving and started again (performance.now()); the last may be open.
  const outages: { from: number; to?: number }[] = [{ from: performance.now() }]
  let signalledAt: number | undefined
  const ms = (since: number) => Math.round(performance.now() - since)
  const down = () => {
    if (outages.at(-1)?.to !== undefined) outages.push({ from: performance.now() })
  }
  // Children the test signalled: any other exit is the node dying on its own.
  const signalled = new WeakSet<ChildProcess>()
  const note = (text: string) => {
    for (const line of text.split('\n')) {
      if (line === '') continue
      lines.push(`[${setup.name}] ${line}`)
      if (/"level":(50|60)\b/.test(line)) errors.push(line)
    }
    if (lines.length > 300) lines.splice(0, lines.length - 300)
  }

  const start = async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PARLEY_LOG_LEVEL: setup.logLevel }
    // The config says where the database is; nothing inherited may override it.
    delete env.DATABASE_URL
    delete env.PARLEY_PORT
    const spawned = spawn(process.execPath, [CLI, 'start', '--data-dir', setup.dir], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = spawned
    spawned.stdout.setEncoding('utf8').on('data', note)
    spawned.stderr.setEncoding('utf8').on('data', note)
    exited = new Promise((resolve) => {
      spawned.once('exit', (code, signal) => {
        const after = signalledAt === undefined ? '' : `, ${ms(signalledAt)} ms after the signal`
        note(`-- exited (code ${code}, signal ${signal}${after})`)
        down()
        if (!signalled.has(spawned))
          crashes.push(`exited by itself (code ${code}, signal ${signal})`)
        if (child === spawned) child = undefined
        resolve(code)
      })
    })
    const spawnedAt = performance.now()
    signalledAt = undefined
    const deadline = Date.now() + setup.startTimeoutMs
    let progress = { cpu: 0, at: performance.now() }
    for (;;) {
      if (child !== spawned) throw new Error(`${setup.name} exited while starting\n${output()}`)
      // The node's own answer, not some other listener's that got the port first.
      const ready = await call<{ node?: string }>(setup, 'GET', '/healthz', undefined, 1000).then(
        (reply) => reply.status === 200 && reply.body.node === setup.name,
        () => false,
      )
      if (ready) {
        const outage = outages.at(-1)!
        outage.to = performance.now()
        const cpu = await cpuMs(spawned.pid)
        note(
          `-- answered /healthz ${ms(spawnedAt)} ms after its spawn (${cpu ?? '?'} ms of CPU), ${ms(outage.from)} ms down`,
        )
        return
      }
      const cpu = await cpuMs(spawned.pid)
      if (cpu !== undefined && cpu > progress.cpu) progress = { cpu, at: performance.now() }
      const late =
        cpu === undefined
          ? Date.now() > deadline && `in ${setup.startTimeoutMs} ms`
          : cpu > setup.startTimeoutMs
            ? `within ${setup.startTimeoutMs} ms of CPU time`
            : performance.now() - progress.at > START_STALL_MS &&
              `and used no CPU for ${START_STALL_MS} ms (${cpu} ms used)`
      if (late !== false) {
        signalled.add(spawned)
        spawned.kill('SIGKILL')
        throw new Error(`${setup.name} did not answer /healthz ${late}\n${output()}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  const output = () => lines.join('\n')

  const node: NodeProcess = {
    name: setup.name,
    dir: setup.dir,
    url: setup.url,
    federationUrl: setup.federationUrl,
    officer: setup.officer,
    get running() {
      return child !== undefined
    },
    api: (method, path, body, timeoutMs = 10_000) =>
      call(setup, method, `/api/v1${path}`, body, timeoutMs),
    async admit(channel) {
      const path = `/api/v1/channels/${channel}/access/${setup.officer.id}`
      const reply = await call<unknown>(setup, 'PUT', path, undefined, 10_000)
      return reply.status === 200
    },
    async kill(signal = 'SIGKILL') {
      if (child === undefined) return
      signalled.add(child)
      down()
      signalledAt = performance.now()
      child.kill(signal)
      await exited
    },
    async stop(timeoutMs = 15_000) {
      if (child === undefined) return
      const stopping = child
      signalled.add(stopping)
      down()
      signalledAt = performance.now()
      stopping.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs)
      })
      const code = await Promise.race([exited, late])
      clearTimeout(timer)
      if (code === 'late') {
        stopping.kill('SIGKILL')
        await exited
        throw new Error(`${setup.name} did not exit within ${timeoutMs} ms of SIGTERM\n${output()}`)
      }
      if (code !== 0) throw new Error(`${setup.name} exited with code ${code}\n${output()}`)
    },
    async restart() {
      if (child !== undefined) await node.stop()
      await start()
    },
    downMsSince(since) {
      const now = performance.now()
      return outages.reduce(
        (sum, { from, to = now }) => sum + Math.max(0, Math.min(to, now) - Math.max(from, since)),
        0,
      )
    },
    openDatabase: () => openDatabase(setup.database),
    async cutDatabase() {
      // A fault that did nothing must never be reported as done.
      if (!('url' in setup.database)) {
        throw new Error(`${setup.name}: db-cut needs PostgreSQL; PGlite runs inside the node`)
      }
      const name = new URL(setup.database.url).pathname.slice(1)
      const rows = await adminRows(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      )
      return rows.length
    },
    output,
    errors: () => errors,
    crashes: () => crashes,
  }
  return node
}

/** A start that used no CPU for this long is stuck (waiting on something that will not come). */
const START_STALL_MS = 20_000

/**
 * The CPU time (user and system, ms) a process used so far, from /proc/<pid>/stat; undefined
 * where there is no /proc (or the process is gone).
 */
async function cpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // After the command name in parentheses: state is field 3, utime 14 and stime 15, in clock
    // ticks of 10 ms (USER_HZ is 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/** One HTTP exchange on its own connection, with the automation officer's token. */
function call<T>(
  setup: Pick<ProcessSetup, 'url' | 'officer'>,
  method: string,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<ApiReply<T>> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      `${setup.url}${path}`,
      {
        method,
        agent: false,
        headers: {
          authorization: `Bearer ${setup.officer.token}`,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          try {
            resolve({
              status: res.statusCode ?? 0,
              body: (text === '' ? undefined : JSON.parse(text)) as T,
            })
          } catch (error) {
            reject(error)
          }
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(payload)
  })
}

/** Creates a migrated PGlite data directory at `dir`, from the run's template. */
async function pgliteTemplate(dir: string): Promise<string> {
  const database = await openDatabase({ dataDir: dir, loadDataDir: await migratedTemplate() })
  await database.close()
  return dir
}

async function adminQuery(statement: string): Promise<void> {
  await adminRows(statement)
}

async function adminRows(statement: string, values: unknown[] = []): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return (await client.query(statement, values)).rows
  } finally {
    await client.end()
  }
}
