import { resolve } from 'node:path'
import { build, type ParleyApp } from './app.ts'
import { loadConfig } from './config.ts'

export interface RunningNode {
  readonly app: ParleyApp
  /** Where the node listens, e.g. http://127.0.0.1:7100. */
  readonly address: string
  /** Stops accepting requests, lets in-flight ones (and their commits) finish, then closes. */
  close(): Promise<void>
}

/**
 * Starts a node from its config file and listens. Environment: DATABASE_URL (PostgreSQL
 * instead of embedded PGlite), PARLEY_PORT, PARLEY_LOG_LEVEL.
 */
export async function runNode(
  configFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningNode> {
  const config = loadConfig(resolve(configFile), env)
  const app = await build(config, {
    logger: { level: env.PARLEY_LOG_LEVEL ?? 'info', name: config.node },
  })
  let address: string
  try {
    address = await app.listen({ host: config.listen.host, port: config.listen.port })
  } catch (error) {
    // A node that cannot listen (its port is taken) must not linger with its database and
    // delivery running: close it, then report.
    await app.close()
    throw error
  }
  let closing: Promise<void> | undefined
  return { app, address, close: () => (closing ??= app.close()) }
}

/**
 * Closes the node on SIGINT or SIGTERM, once; a second signal exits at once. In-flight
 * requests finish first, so nothing acknowledged is lost and nothing half-done is committed.
 */
export function closeOnSignals(node: RunningNode, onClosed: () => void = () => {}): void {
  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      node.app.log.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    stopping = true
    node.app.log.info({ signal }, 'shutting down: finishing requests in flight')
    node.close().then(onClosed, (error: unknown) => {
      node.app.log.error({ err: error }, 'shutdown failed')
      process.exitCode = 1
      onClosed()
    })
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  // The node stopped itself (another process took its database lock): a failure.
  node.app.server.once('close', () => {
    if (stopping) return
    stopping = true
    process.exitCode = 1
    onClosed()
  })
}

if (import.meta.main) {
  const node = await runNode(process.argv[2] ?? 'parley.json')
  closeOnSignals(node)
}
