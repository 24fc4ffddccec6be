import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { type Database, openDatabase } from '../../src/store/database.ts'
import { migrateToLatest } from '../../src/store/migrate.ts'

/** Which engine the integration suite runs on: `PARLEY_TEST_DB=postgres` selects PostgreSQL. */
export const testDialect: 'pglite' | 'postgres' =
  process.env.PARLEY_TEST_DB === 'postgres' ? 'postgres' : 'pglite'

const adminUrl =
  process.env.PARLEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/**
 * A fresh, migrated database for one test: in-memory PGlite, or with `PARLEY_TEST_DB=postgres`
 * a new database on the test server, dropped again by `close()`.
 */
export async function testDatabase(options: { migrate?: boolean } = {}): Promise<Database> {
  if (testDialect === 'pglite' && options.migrate !== false) {
    return openDatabase({ loadDataDir: await migratedTemplate() })
  }
  const database = testDialect === 'postgres' ? await freshPostgres() : await openDatabase()
  if (options.migrate !== false) {
    try {
      await migrateToLatest(database.db)
    } catch (error) {
      await database.close()
      throw error
    }
  }
  return database
}

let template: Promise<Blob> | undefined

/**
 * A migrated PGlite cluster, dumped once per test process: starting from it takes a fraction
 * of initdb plus migrations.
 */
function migratedTemplate(): Promise<Blob> {
  template ??= (async () => {
    const database = await openDatabase()
    try {
      await migrateToLatest(database.db)
      return await database.dump!()
    } finally {
      await database.close()
    }
  })()
  return template
}

async function freshPostgres(): Promise<Database> {
  const name = `parley_t_${randomBytes(8).toString('hex')}`
  await admin(`create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ url: url.toString() })
  return {
    ...database,
    close: async () => {
      await database.close()
      await admin(`drop database if exists ${name} with (force)`)
    },
  }
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}
