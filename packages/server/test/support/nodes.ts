import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BuildOptions, build, type ParleyApp } from '../../src/app.ts'
import { loadConfig, type NodeConfig } from '../../src/config.ts'
import { initNodeDirectory, peerEntryOf } from '../../src/node-identity.ts'
import type { Database } from '../../src/store/database.ts'
import { testDatabase } from './database.ts'
import { cheapPasswordHash } from './password-hash.ts'
import { reservePort } from './ports.ts'
import { ALL_ROLES, officerWithToken, type TokenOfficer } from './tokens.ts'

export interface NodeSpec {
  readonly node: string
  readonly parties: readonly { readonly id: string; readonly name: string }[]
}

/** A real node listening on 127.0.0.1, with helpers for its officer API. */
export interface TestNode {
  readonly name: string
  readonly url: string
  readonly config: NodeConfig
  readonly database: Database
  app: ParleyApp
  /**
   * An automation officer of each hosted party, with every role and an API token: on the
   * access list of the channels it opens, of no other until {@link TestNode.admit}.
   */
  readonly officers: ReadonlyMap<string, TokenOfficer>
  /**
   * Calls the officer API with the token of the officer of `party`: by default the party the
   * body acts as (`as`), else the node's first.
   */
  api<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    party?: string,
  ): Promise<{ status: number; body: T }>
  /**
   * Puts the automation officer of `party` (default: the node's first) on a channel's access
   * list, through the admin API, as its admin would for a channel another node opened; false
   * while the channel has not arrived (the party takes no part in it yet).
   */
  admit(channel: string, party?: string): Promise<boolean>
  /** Stops the node (its database survives), as a crash or an operator would. */
  stop(): Promise<void>
  /** Starts it again on the same port with the same database. */
  start(): Promise<void>
  readonly running: boolean
}

export interface StartOptions extends Omit<BuildOptions, 'database'> {
  /** Which nodes know which: by default every node pins every other. */
  readonly peers?: (from: string, to: string) => boolean
  /** Changes each node's config before it starts (the demo relaxes its officers' logins). */
  readonly configure?: (config: NodeConfig) => NodeConfig
  /** Told of every statement each node sends its database (see `DatabaseOptions`). */
  readonly onStatement?: (node: string, sql: string) => void
}

/**
 * Starts nodes on loopback, each with its own fresh database (PGlite in memory, or a new
 * PostgreSQL database with PARLEY_TEST_DB=postgres) and pinned keys of the others, the
 * pins taken from the key files as `parley peer add` would take them from descriptors.
 */
export async function startNodes(
  specs: readonly NodeSpec[],
  options: StartOptions = {},
): Promise<{ nodes: TestNode[]; close(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'parley-nodes-'))
  const made = []
  for (const spec of specs) {
    const port = await freePort()
    const dir = join(root, spec.node)
    await initNodeDirectory({
      dir,
      parties: spec.parties,
      node: spec.node,
      port,
      now: 0,
    })
    const loaded = loadConfig(join(dir, 'parley.json'), {})
    const config = { ...loaded, auth: { passwordHash: cheapPasswordHash, ...loaded.auth } }
    made.push({ spec, config, pins: await peerEntryOf(config, 0) })
  }
  const nodes: TestNode[] = []
  for (const { spec, config } of made) {
    const peers = made
      .filter((other) => other.spec.node !== spec.node)
      .filter((other) => options.peers?.(spec.node, other.spec.node) ?? true)
      .map((other) => other.pins)
    const { onStatement } = options
    const database = await testDatabase(
      onStatement === undefined ? {} : { onStatement: (sql) => onStatement(spec.node, sql) },
    )
    const configured = options.configure?.({ ...config, peers }) ?? { ...config, peers }
    nodes.push(await startNode(configured, database, options))
  }
  return {
    nodes,
    async close() {
      for (const node of nodes) {
        if (node.running) await node.stop()
        await node.database.close()
      }
      await rm(root, { recursive: true, force: true })
    },
  }
}

async function startNode(
  config: NodeConfig,
  database: Database,
  options: StartOptions,
): Promise<TestNode> {
  const { peers: _peers, configure: _configure, onStatement: _count, ...buildOptions } = options
  let running = false
  const url = config.federationUrl
  const open = async () => {
    const app = await build(config, { logger: false, ...buildOptions, database })
    await app.listen({ host: config.listen.host, port: config.listen.port })
    running = true
    return app
  }
  const app = await open()
  const officers = new Map<string, TokenOfficer>()
  for (const party of config.parties) {
    officers.set(
      party.id,
      await officerWithToken(database.db, app.now, {
        party: party.id,
        roles: ALL_ROLES,
        username: `automation-${party.id}`,
      }),
    )
  }
  const tokenOf = (party: string | undefined) => {
    const officer = officers.get(party ?? config.parties[0]!.id)
    if (officer === undefined) throw new Error(`${config.node} hosts no party ${party}`)
    return officer
  }
  const node: TestNode = {
    name: config.node,
    url,
    config,
    database,
    app,
    officers,
    get running() {
      return running
    },
    async api<T>(method: string, path: string, body?: unknown, party?: string) {
      // The body's `as` picks the officer when the node hosts that party (one it does not host
      // is for the node to refuse).
      const as = (body as { as?: unknown } | undefined)?.as
      const named = typeof as === 'string' && officers.has(as) ? as : undefined
      const officer = tokenOf(party ?? named)
      const response = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${officer.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await response.text()
      return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T }
    },
    async admit(channel: string, party?: string) {
      const officer = tokenOf(party)
      const path = `/channels/${channel}/access/${officer.id}`
      return (await node.api('PUT', path, undefined, officer.party)).status === 200
    },
    async stop() {
      running = false
      await node.app.close()
    },
    async start() {
      node.app = await open()
    },
  }
  return node
}

/** A port for a node to listen on (see {@link reservePort}). */
export const freePort = reservePort

/** Polls until `check` returns a value other than undefined/false, or fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  ms = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
