import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { join, resolve } from 'node:path'
import type { NodeConfig, OfficersContext } from '@parley/server'
import { CliError } from './errors.ts'

/** Where a command finds the node: its directory, or its config file. */
export interface NodeLocation {
  readonly dataDir: string
  readonly config?: string
}

/** A node's database opened by the CLI, with the context officer and audit services take. */
export interface OpenNode {
  readonly config: NodeConfig
  readonly ctx: OfficersContext
  close(): Promise<void>
}

/**
 * Opens the database of the node described by `parley.json` (its PostgreSQL server, or its
 * embedded PGlite files) and brings the schema up to date. Embedded PGlite admits one process
 * at a time, so this refuses while the node itself is running.
 */
async function openNode(location: NodeLocation): Promise<OpenNode> {
  const file = resolve(location.config ?? join(location.dataDir, 'parley.json'))
  if (!existsSync(file)) {
    if (location.config !== undefined) throw new CliError('FILE_NOT_FOUND', { path: file })
    throw new CliError('NODE_NOT_FOUND', { path: resolve(location.dataDir) })
  }
  // Loaded here, so commands that need no node do not pay for the server.
  const server = await import('@parley/server')
  const config = server.loadConfig(file)
  if (config.databaseUrl === undefined && (await isListening(config.listen))) {
    throw new CliError('NODE_RUNNING', { address: `${config.listen.host}:${config.listen.port}` })
  }
  const database = await server.openDatabase(
    config.databaseUrl === undefined ? { dataDir: config.dataDir } : { url: config.databaseUrl },
  )
  try {
    await server.migrateToLatest(database.db)
  } catch (error) {
    await database.close()
    throw error
  }
  return {
    config,
    ctx: {
      db: database.db,
      now: Date.now,
      parties: config.parties.map((party) => party.id),
      passwords: server.passwordHasher(config.auth?.passwordHash),
    },
    close: () => database.close(),
  }
}

/** Runs `work` against the node's database and closes it whatever happens. */
export async function withNode<T>(
  location: NodeLocation,
  work: (node: OpenNode) => Promise<T>,
): Promise<T> {
  const node = await openNode(location)
  try {
    return await work(node)
  } finally {
    await node.close()
  }
}

function isListening(address: { host: string; port: number }): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(address)
    const finish = (listening: boolean) => {
      socket.destroy()
      done(listening)
    }
    socket.setTimeout(1000, () => finish(false))
    socket.once('connect', () => finish(true))
    socket.once('error', () => finish(false))
  })
}
