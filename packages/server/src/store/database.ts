import { readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { PGlite, types as pgliteTypes, type Transaction } from '@electric-sql/pglite'
import {
  Kysely,
  PGliteDialect,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
} from 'kysely'
import type pg from 'pg'
import { ServerError } from '../errors.ts'
import type { DB } from './tables.ts'

/** An open database: the Kysely handle, which engine is behind it, and how to close it. */
export interface Database {
  readonly db: Kysely<DB>
  readonly dialect: 'pglite' | 'postgres'
  close(): Promise<void>
  /** PGlite only: a tarball of the whole data directory (a backup, or a test template). */
  dump?(): Promise<Blob>
}

export interface DatabaseOptions {
  /** A PostgreSQL connection URL; when given, the node uses that server through a `pg` pool. */
  readonly url?: string
  /** Where PGlite keeps its files; without it (and without `url`) PGlite runs in memory. */
  readonly dataDir?: string
  /** PGlite only: start from a tarball made by `dump()` instead of an empty cluster. */
  readonly loadDataDir?: Blob
  /**
   * Told when an idle pooled PostgreSQL connection dies (server restart, admin kill). The pool
   * drops that connection and opens another when needed; without a listener the error would
   * crash the process.
   */
  readonly onConnectionError?: (error: Error) => void
  /**
   * Told of every statement sent to the database engine, BEGIN and COMMIT included: one call is
   * one round trip. Tests count what a post costs with it (test/round-trips.test.ts).
   */
  readonly onStatement?: (sql: string) => void
}

const INT8_OID = 20

/**
 * Times are bigint milliseconds in SQL and plain numbers in the protocol. Both drivers hand
 * int8 to JS as a number when it is exactly representable; beyond 2^53 a bigint keeps the value
 * exact and makes any arithmetic that mixes it with numbers throw instead of rounding.
 */
export function parseInt8(text: string): number | bigint {
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : BigInt(text)
}

/**
 * Opens PostgreSQL (when `url` is set) or embedded PGlite (files under `dataDir`, or in memory).
 * The schema is not touched: call `migrateToLatest` before use.
 */
export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  if (options.url !== undefined) {
    // Loaded only for PostgreSQL: an embedded node never needs the driver in its memory.
    const { default: driver } = await import('pg')
    return openPostgres(driver, options.url, options.onConnectionError, options.onStatement)
  }
  return openPglite(options.dataDir, options.loadDataDir, options.onStatement)
}

function openPostgres(
  driver: typeof pg,
  url: string,
  onConnectionError?: (error: Error) => void,
  onStatement?: (sql: string) => void,
): Database {
  const pool = new driver.Pool({
    connectionString: url,
    // A per-pool parser, so the process-wide pg.types registry stays untouched.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? parseInt8
          : driver.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  })
  pool.on('error', (error) => onConnectionError?.(error))
  // pg leaves a checked-out client without an 'error' listener, so a connection the server
  // ends between two statements of a transaction (a restart, an admin kill, a network cut)
  // would crash the process. The statement in flight, or the next, fails instead; the pool
  // then drops the client. (An idle client's error still reaches the pool listener above.)
  pool.on('connect', (client) => client.on('error', () => {}))
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: preparing(pool, driver.Client, onStatement) }),
  })
  return { db, dialect: 'postgres', close: () => db.destroy() }
}

/** Statements one connection keeps prepared; later new ones run unprepared. */
const MAX_PREPARED = 200
/** Larger statements (a batch's multi-row insert, a long IN list) are not worth keeping. */
const MAX_PREPARED_PARAMETERS = 100

/**
 * The pool as Kysely sees it, with every parameterized statement prepared once per connection
 * (a named statement): the server parses and plans it once, and each later run sends only
 * the values, which roughly halves the cost of a query on both sides. Statements without
 * parameters (BEGIN, COMMIT, DDL) and large ones run as before.
 */
function preparing(
  pool: pg.Pool,
  Client: typeof pg.Client,
  onStatement?: (sql: string) => void,
): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>()
  return {
    options: pool.options,
    Client,
    end: () => pool.end(),
    async connect() {
      const client = await pool.connect()
      let wrapped = clients.get(client)
      if (wrapped === undefined) {
        const names = new Map<string, string>()
        const query = (text: unknown, values?: unknown) => {
          onStatement?.(typeof text === 'string' ? text : (text as { text: string }).text)
          if (typeof text === 'string' && Array.isArray(values) && values.length > 0) {
            let name = names.get(text)
            if (
              name === undefined &&
              names.size < MAX_PREPARED &&
              values.length <= MAX_PREPARED_PARAMETERS
            ) {
              name = `parley_${names.size}`
              names.set(text, name)
            }
            if (name !== undefined) return client.query({ name, text, values })
          }
          return client.query(text as string, values as unknown[])
        }
        wrapped = {
          query: query as unknown as PostgresPoolClient['query'],
          release: (destroy?: boolean) => client.release(destroy),
        }
        clients.set(client, wrapped)
      }
      return wrapped
    },
  }
}

/**
 * An embedded node is a small one: PostgreSQL's default 128 MB of shared buffers would live in
 * the node's own memory (the WebAssembly heap), doubling an idle node's RSS for a cache the
 * operating system's page cache already provides under PGlite's files.
 */
const PGLITE_SETTINGS = [
  'shared_buffers=8MB',
  'temp_buffers=1MB',
  'work_mem=2MB',
  'wal_buffers=256kB',
]

/**
 * V8 first compiles WebAssembly with its baseline compiler and recompiles each function with
 * TurboFan once it has run enough; PGlite's start-up (recovery, catalog loading, migrations,
 * the first queries of a node) runs so much of PostgreSQL once that TurboFan then compiles its
 * largest functions (the parser, the executor's interpreter): ~500 MiB of compiler memory for
 * about a second after a node listens, and ~35 MiB of optimized code that stays resident for
 * functions that will not run again. A budget ~1,100× V8's default keeps that one-off work on
 * baseline code (measured: peak 223 MiB instead of 770 MiB); a busy node's hot functions still
 * reach it within seconds and get optimized. Process-wide, and set before the module is compiled.
 */
function keepWasmLean(): void {
  setFlagsFromString('--wasm-tiering-budget=2000000000')
}

async function openPglite(
  dataDir: string | undefined,
  loadDataDir: Blob | undefined,
  onStatement?: (sql: string) => void,
): Promise<Database> {
  keepWasmLean()
  const unlock = dataDir === undefined ? () => {} : lockDataDir(dataDir)
  const pglite = new PGlite({
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(loadDataDir === undefined ? {} : { loadDataDir }),
    parsers: { [pgliteTypes.INT8]: parseInt8 },
    postgresqlconf: PGLITE_SETTINGS,
  })
  try {
    await pglite.waitReady
  } catch (error) {
    unlock()
    throw error
  }
  const db = new Kysely<DB>({
    dialect: new PGliteDialect({
      pglite: onStatement === undefined ? pglite : counted(pglite, onStatement),
    }),
  })
  return {
    db,
    dialect: 'pglite',
    close: async () => {
      try {
        await db.destroy()
        // destroy() closes PGlite only when Kysely ran a query; close it here in any case.
        if (!pglite.closed) await pglite.close()
      } finally {
        unlock()
      }
    },
    dump: () => pglite.dumpDataDir('none'),
  }
}

/**
 * PGlite as Kysely uses it (query, and transaction with its own BEGIN and COMMIT or ROLLBACK),
 * telling `onStatement` of each statement as the pg pool's wrapper does.
 */
function counted(pglite: PGlite, onStatement: (sql: string) => void): PGlite {
  const query = (target: Pick<PGlite, 'query'>) =>
    ((text: string, ...rest: unknown[]) => {
      onStatement(text)
      return (target.query as (...args: unknown[]) => unknown)(text, ...rest)
    }) as PGlite['query']
  return new Proxy(pglite, {
    get(target, property) {
      if (property === 'query') return query(target)
      if (property === 'transaction') {
        return (<T>(work: (tx: Transaction) => Promise<T>) => {
          onStatement('begin')
          return target
            .transaction((tx) =>
              work(
                new Proxy(tx, { get: (t, p) => (p === 'query' ? query(t) : Reflect.get(t, p)) }),
              ),
            )
            .finally(() => onStatement('commit'))
        }) as PGlite['transaction']
      }
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * PGlite takes no lock of its own: a second process (a second `parley start` with another
 * config, say) would open the same files and corrupt them. A lock file beside the data
 * directory (not in it: `dump()` copies the directory) holds the owner's pid; a lock whose
 * process is gone is stale (a node that crashed) and is taken over. Returns the release.
 */
function lockDataDir(dataDir: string): () => void {
  const file = `${dataDir.replace(/\/+$/, '')}.lock`
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' })
      return () => unlinkSync(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = Number(readFileSync(file, 'utf8').trim())
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new ServerError('DATABASE_IN_USE', {
        reason: `process ${owner} has the embedded database ${dataDir} open (${file}); stop that node first`,
      })
    }
    unlinkSync(file)
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
