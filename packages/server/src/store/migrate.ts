import type { Kysely } from 'kysely'
import { type MigrationResultSet, Migrator, NO_MIGRATIONS } from 'kysely/migration'
import { ServerError } from '../errors.ts'
import { migrations } from './migrations/index.ts'
import type { DB } from './tables.ts'

function migrator(db: Kysely<DB>): Migrator {
  // A static provider: migrations are imported modules, so they work wherever the code runs.
  return new Migrator({ db, provider: { getMigrations: async () => ({ ...migrations }) } })
}

function settle({ error, results }: MigrationResultSet): readonly string[] {
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName
    throw new ServerError('MIGRATION_FAILED', {
      migration: failed ?? 'unknown',
      reason: error instanceof Error ? error.message : String(error),
    })
  }
  return (results ?? []).map((result) => result.migrationName)
}

/** Runs every migration not yet applied; returns the names it ran. */
export async function migrateToLatest(db: Kysely<DB>): Promise<readonly string[]> {
  return settle(await migrator(db).migrateToLatest())
}

/**
 * Undoes migrations: the latest one by default, or all of them with `{ to: 'nothing' }`.
 * Returns the names it undid.
 */
export async function migrateDown(
  db: Kysely<DB>,
  options: { to?: 'previous' | 'nothing' } = {},
): Promise<readonly string[]> {
  const m = migrator(db)
  return settle(await (options.to === 'nothing' ? m.migrateTo(NO_MIGRATIONS) : m.migrateDown()))
}
