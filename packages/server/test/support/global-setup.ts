import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { openDatabase } from '../../src/store/database.ts'
import { migrateToLatest } from '../../src/store/migrate.ts'
import { adminQuery, databaseUrl } from './postgres-admin.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A tarball of a migrated PGlite cluster (`dump()`), made once for the whole run. */
    pgliteTemplate?: string
    /** A migrated PostgreSQL database to create test databases from, made once for the run. */
    postgresTemplate?: string
  }
}

/**
 * Migrates one database per run, on the project's engine, for every test database to start
 * from: a PGlite initdb costs seconds in each test process, and PostgreSQL migrations about
 * a second per test database.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dialect = project.config.env.PARLEY_TEST_DB ?? process.env.PARLEY_TEST_DB
  if (dialect === 'postgres') {
    const name = `parley_tpl_${randomBytes(6).toString('hex')}`
    await adminQuery(`create database ${name}`)
    const database = await openDatabase({ url: databaseUrl(name) })
    try {
      await migrateToLatest(database.db)
    } finally {
      // A template must have no connections while databases are created from it.
      await database.close()
    }
    project.provide('postgresTemplate', name)
    return () => adminQuery(`drop database if exists ${name} with (force)`)
  }
  const dir = await mkdtemp(join(tmpdir(), 'parley-template-'))
  const file = join(dir, 'pglite.tar')
  const database = await openDatabase()
  try {
    await migrateToLatest(database.db)
    await writeFile(file, new Uint8Array(await (await database.dump!()).arrayBuffer()))
  } finally {
    await database.close()
  }
  project.provide('pgliteTemplate', file)
  return () => rm(dir, { recursive: true, force: true })
}
