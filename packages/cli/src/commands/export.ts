import { existsSync } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { ChannelIdSchema, isProtocolError, PartyIdSchema } from '@parley/protocol'
import type { Command } from 'commander'
import { CliError } from '../errors.ts'

interface ExportOptions {
  out: string
  dataDir: string
  config?: string
  databaseUrl?: string
  as?: string
}

/** Where the node's ledger is, and the parties the node hosts (one of them exports). */
interface Source {
  readonly database: { url: string } | { dataDir: string }
  readonly hosted: readonly string[]
  /** Set for embedded PGlite: where a running node would listen. */
  readonly listen?: { host: string; port: number }
}

// The protocol's schemas carry the patterns; TypeBox's TString type does not declare the field.
const CHANNEL_ID = new RegExp(
  (ChannelIdSchema as typeof ChannelIdSchema & { pattern: string }).pattern,
)
const PARTY_ID = new RegExp((PartyIdSchema as typeof PartyIdSchema & { pattern: string }).pattern)

/**
 * `parley export`: writes a channel's transcript (DESIGN §4.8) from the node's ledger to a file,
 * atomically: a temporary file beside the target, synced, then renamed over it, so a reader
 * never sees half a transcript and a failed export leaves nothing behind.
 */
async function exportCommand(channel: string, options: ExportOptions): Promise<void> {
  if (!CHANNEL_ID.test(channel)) {
    throw new CliError('USAGE', {
      reason: `${JSON.stringify(channel)} is not a channel id (ch_ and 26 Crockford base32 characters)`,
    })
  }
  // Loaded here, so commands that need no node do not pay for the server.
  const server = await import('@parley/server')
  const source = findSource(server, options)
  if (source.listen !== undefined && (await isListening(source.listen))) {
    throw new CliError('NODE_RUNNING', { address: `${source.listen.host}:${source.listen.port}` })
  }
  const exportedBy = options.as ?? onlyHosted(source.hosted)
  if (!PARTY_ID.test(exportedBy)) {
    throw new CliError('USAGE', { reason: `--as ${JSON.stringify(exportedBy)} is not a party id` })
  }
  if (source.hosted.length > 0 && !source.hosted.includes(exportedBy)) {
    const hosted = source.hosted.join(', ')
    throw new CliError('USAGE', { reason: `--as ${exportedBy}: this node hosts ${hosted}` })
  }
  const out = resolve(options.out)
  const database = await server.openDatabase(source.database)
  const temp = join(dirname(out), `.${channel}.${process.pid}.parley.tmp`)
  let lines = 0
  try {
    const file = await open(temp, 'wx', 0o644).catch((error: Error) => {
      throw new CliError('FILE_UNWRITABLE', { path: temp, reason: error.message })
    })
    try {
      let buffer = ''
      for await (const line of server.exportTranscript(
        database.db,
        channel,
        exportedBy,
        Date.now(),
      )) {
        buffer += line
        lines++
        if (buffer.length >= 1 << 20) {
          await file.write(buffer)
          buffer = ''
        }
      }
      await file.write(buffer)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temp, out)
  } catch (error) {
    await rm(temp, { force: true })
    throw translate(server, error, exportedBy)
  } finally {
    await database.close()
  }
  process.stdout.write(
    `Exported channel ${channel} (${lines.toLocaleString('en')} lines) to ${out}\n` +
      `Check it offline with: parley verify ${out}\n`,
  )
}

type Server = typeof import('@parley/server')

function findSource(server: Server, options: ExportOptions): Source {
  const configFile = resolve(options.config ?? join(options.dataDir, 'parley.json'))
  if (existsSync(configFile)) {
    const env =
      options.databaseUrl === undefined
        ? process.env
        : { ...process.env, DATABASE_URL: options.databaseUrl }
    const config = server.loadConfig(configFile, env)
    const hosted = config.parties.map((party) => party.id)
    if (config.databaseUrl !== undefined) return { database: { url: config.databaseUrl }, hosted }
    return { database: { dataDir: config.dataDir }, hosted, listen: config.listen }
  }
  if (options.config !== undefined) throw new CliError('FILE_NOT_FOUND', { path: configFile })
  if (options.databaseUrl !== undefined)
    return { database: { url: options.databaseUrl }, hosted: [] }
  const dataDir = resolve(options.dataDir)
  // Without a config, a bare PGlite (PostgreSQL) data directory is recognised by its PG_VERSION.
  if (existsSync(join(dataDir, 'PG_VERSION'))) return { database: { dataDir }, hosted: [] }
  throw new CliError('NODE_NOT_FOUND', { path: dataDir })
}

function onlyHosted(hosted: readonly string[]): string {
  if (hosted.length === 1) return hosted[0]!
  const reason =
    hosted.length === 0
      ? 'say which party exports the transcript with --as <party>'
      : `this node hosts ${hosted.join(', ')}: say which one exports the transcript with --as <party>`
  throw new CliError('USAGE', { reason })
}

/** Errors of the ledger and of the header, in the CLI's terms. */
function translate(server: Server, error: unknown, exportedBy: string): unknown {
  if (error instanceof server.ServerError && error.code === 'CHANNEL_NOT_FOUND') {
    return new CliError('CHANNEL_NOT_IN_LEDGER', error.details)
  }
  // The header lists the channel's parties; the exporter must be one of them.
  if (
    isProtocolError(error, 'TRANSCRIPT_MALFORMED') &&
    /exportedBy/.test(String(error.details.reason))
  ) {
    return new CliError('USAGE', { reason: `--as ${exportedBy}: not a party of this channel` })
  }
  return error
}

/** Whether something accepts connections at the address (a running node), within a second. */
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

export function register(program: Command): void {
  program
    .command('export')
    .description("write a channel's transcript from this node's ledger, for `parley verify`")
    .argument('<channel>', 'the channel id, ch_…')
    .requiredOption('--out <file>', 'the transcript file to write, e.g. channel.parley')
    .option('--data-dir <dir>', 'the node directory', 'parley-data')
    .option('--config <file>', 'the config file (default: <data-dir>/parley.json)')
    .option('--database-url <url>', 'read the ledger from this PostgreSQL server instead')
    .option('--as <party>', 'the hosted party that exports (default: the only hosted party)')
    .action(exportCommand)
}
