import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { inject } from 'vitest'
import { type Database, openDatabase } from '../../src/store/database.ts'
import { migrateToLatest } from '../../src/store/migrate.ts'
import { adminQuery, databaseUrl } from './postgres-admin.ts'

/** Which engine the integration suite runs on: `PARLEY_TEST_DB=postgres` selects PostgreSQL. */
export const testDialect: 'pglite' | 'postgres' =
  process.env.PARLEY_TEST_DB === 'postgres' ? 'postgres' : 'pglite'

/**
 * A fresh, migrated database for one test: in-memory PGlite, or with `PARLEY_TEST_DB=postgres`
 * a new database on the test server, dropped again by `close()`.
 */
export async function testDatabase(
  options: { migrate?: boolean; onStatement?: (sql: string) => void } = {},
): Promise<Database> {
  const counting = options.onStatement === undefined ? {} : { onStatement: options.onStatement }
  if (testDialect === 'pglite' && options.migrate !== false) {
    return openDatabase({ loadDataDir: await migratedTemplate(), ...counting })
  }
  const migrated = options.migrate === false ? undefined : inject('postgresTemplate')
  const database =
    testDialect === 'postgres'
      ? await freshPostgres(migrated, counting)
      : await openDatabase(counting)
  if (options.migrate !== false && migrated === undefined) {
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
 * A migrated PGlite cluster: the run's (made by global-setup.ts), or else one dumped once per
 * test process. Starting from it takes a fraction of initdb plus migrations.
 */
export function migratedTemplate(): Promise<Blob> {
  template ??= (async () => {
    const file = inject('pgliteTemplate')
    if (file !== undefined) return new Blob([await readFile(file)])
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

/** A new database on the test server, a copy of `template` when given (else empty). */
async function freshPostgres(
  template: string | undefined,
  counting: { onStatement?: (sql: string) => void },
): Promise<Database> {
  const name = `parley_t_${randomBytes(8).toString('hex')}`
  await adminQuery(
    `create database ${name}${template === undefined ? '' : ` template ${template}`}`,
  )
  const database = await openDatabase({ url: databaseUrl(name), ...counting })
  return {
    ...database,
    close: async () => {
      await database.close()
      await adminQuery(`drop database if exists ${name} with (force)`)
    },
  }
}
