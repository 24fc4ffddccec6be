// Real nodes for the federation benchmark: each one a separate `parley start` process on its
// own PostgreSQL database (or embedded PGlite), set up with `parley init` as an operator would.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { addPeerToConfigFile, loadConfig, peerEntryOf } from '@parley/server'
import pg from 'pg'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
/** The CLI of the tree this bench file belongs to (so a copy of an older tree benches itself). */
export const cliMain = join(repoRoot, 'packages/cli/src/main.ts')
const launcher = join(repoRoot, 'packages/cli/bin/parley.mjs')

/**
 * The Node flags on the `parley` launcher's `#!/usr/bin/env -S node …` line, so a node started
 * here runs as `parley start` runs it (a tree without such flags gives none).
 * `PARLEY_BENCH_NODE_FLAGS` replaces them (empty: none), to measure what they cost.
 */
function launcherFlags(): string[] {
  const override = process.env.PARLEY_BENCH_NODE_FLAGS
  if (override !== undefined) return override.split(/\s+/).filter(Boolean)
  if (!existsSync(launcher)) return []
  const first = readFileSync(launcher, 'utf8').split('\n', 1)[0]!
  const match = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first)
  return match === null ? [] : match[1]!.trim().split(/\s+/).filter(Boolean)
}

/** Runs the CLI to completion; rejects with its output when it fails. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`parley ${args[0]} exited ${code}: ${output}`)),
    )
  })
}

/** PostgreSQL databases the bench creates for its nodes and drops at the end. */
export class BenchDatabases {
  readonly adminUrl: string
  readonly #created: string[] = []

  constructor(adminUrl: string) {
    this.adminUrl = adminUrl
  }

  async query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []) {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return (await client.query<T>(text, values)).rows
    } finally {
      await client.end()
    }
  }

  /** Creates a fresh database; returns its URL. */
  async create(name: string): Promise<string> {
    await this.query(this.adminUrl, `drop database if exists ${name} with (force)`)
    await this.query(this.adminUrl, `create database ${name}`)
    this.#created.push(name)
    const url = new URL(this.adminUrl)
    url.pathname = `/${name}`
    return url.toString()
  }

  async dropAll(): Promise<void> {
    for (const name of this.#created.splice(0)) {
      await this.query(this.adminUrl, `drop database if exists ${name} with (force)`)
    }
  }
}

/** A long-lived connection to a node's database, for counting what it holds. */
export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  return client
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 })

/** One call to a node's officer API with an API token. */
export function callApi<T = unknown>(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/api/v1${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: (text === '' ? undefined : JSON.parse(text)) as T,
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

export interface NodeSpec {
  readonly name: string
  readonly party: { readonly id: string; readonly name: string }
  readonly dir: string
  readonly port: number
  /** PostgreSQL URL; without it the node runs on embedded PGlite under its directory. */
  readonly databaseUrl?: string
  /** Where to write a V8 CPU profile of the node (`node --cpu-prof`), written when it stops. */
  readonly cpuProfileDir?: string
}

/** A node process the bench controls. */
export class BenchNode {
  readonly spec: NodeSpec
  readonly url: string
  readonly configFile: string
  token = ''
  officer = ''
  #child: ChildProcess | undefined
  #log: string[] = []

  constructor(spec: NodeSpec) {
    this.spec = spec
    this.url = `http://127.0.0.1:${spec.port}`
    this.configFile = join(spec.dir, 'parley.json')
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  #env(): NodeJS.ProcessEnv {
    return this.spec.databaseUrl === undefined ? {} : { DATABASE_URL: this.spec.databaseUrl }
  }

  /** `parley init` (keys, config, first admin in the node's database). */
  async init(): Promise<void> {
    const { spec } = this
    await runCli(
      [
        'init',
        '--party',
        spec.party.id,
        '--name',
        spec.party.name,
        '--node',
        spec.name,
        '--data-dir',
        spec.dir,
        '--port',
        String(spec.port),
      ],
      this.#env(),
    )
    // The bench's automation: an officer who drafts, reads and manages the access lists, with
    // an API token of those roles, as an operator would set it up.
    const located = ['--data-dir', spec.dir, '--json']
    const added = await runCli(
      [
        'officer',
        'add',
        '--username',
        'bench',
        '--name',
        'Benchmark',
        '--roles',
        'viewer,drafter,admin',
        ...located,
      ],
      this.#env(),
    )
    this.officer = (JSON.parse(added) as { officer: { id: string } }).officer.id
    const issued = await runCli(
      [
        'officer',
        'token',
        'create',
        'bench',
        '--scope',
        'viewer,drafter,admin',
        '--expires',
        '1d',
        ...located,
      ],
      this.#env(),
    )
    this.token = (JSON.parse(issued) as { secret: string }).secret
  }

  /** Puts the bench officer on a channel's access list; false until the channel arrived. */
  async admit(channel: string): Promise<boolean> {
    const reply = await this.api('PUT', `/channels/${channel}/access/${this.officer}`)
    return reply.status === 200
  }

  /** Pins another node's keys in this node's config, as `parley peer add` would. */
  async pin(other: BenchNode): Promise<void> {
    await addPeerToConfigFile(
      this.configFile,
      await peerEntryOf(loadConfig(other.configFile, {}), Date.now()),
    )
  }

  /** `parley start`; resolves once the node listens. */
  start(): Promise<void> {
    const profile =
      this.spec.cpuProfileDir === undefined
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${this.spec.cpuProfileDir}`]
    const args = [...launcherFlags(), ...profile, cliMain, 'start', '--data-dir', this.spec.dir]
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...this.#env(), PARLEY_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#child = child
    return new Promise((resolve, reject) => {
      let buffer = ''
      const onData = (chunk: Buffer) => {
        buffer += chunk
        const lines = buffer.split('\n')
        buffer = lines.pop() ?? ''
        for (const line of lines) {
          this.#log.push(line)
          if (this.#log.length > 200) this.#log.shift()
          if (line.includes(' listening on ')) resolve()
        }
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.once('exit', (code) =>
        reject(new Error(`${this.spec.name} exited ${code}:\n${this.#log.join('\n')}`)),
      )
    })
  }

  /** SIGTERM, then waits for a graceful exit (SIGKILL after 20 s). */
  async stop(): Promise<void> {
    const child = this.#child
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    await exited
    clearTimeout(timer)
    this.#child = undefined
  }

  /** The process's resident memory now and at its peak, in MiB (from /proc). */
  memory(): { rssMiB: number; peakMiB: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8')
    const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 }
  }

  /** CPU time (user + system) the process has used so far, in ms. */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10
  }

  recentLog(): string {
    return this.#log.slice(-20).join('\n')
  }

  api<T = unknown>(method: string, path: string, body?: unknown) {
    return callApi<T>(this.url, this.token, method, path, body)
  }
}
