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

type Dialect = 'pglite' | 'postgres'

interface Template {
  /** The PGlite dump's file, or the PostgreSQL database's name. */
  readonly value: string
  remove(): Promise<void>
}

interface Shared {
  readonly templates: Map<Dialect, Promise<Template>>
  projects: number
}

// Each project loads this module afresh, but one run needs one template per engine: the
// projects of a run share them through the main process's global object.
const registry = globalThis as { [key: symbol]: Shared | undefined }
const KEY = Symbol.for('parley.test.templates')
registry[KEY] ??= { templates: new Map(), projects: 0 }
const shared = registry[KEY]

/**
 * Migrates one database per engine and run, for every test database to start from: a PGlite
 * initdb costs seconds in each test process, and PostgreSQL migrations about a second per test
 * database. With PARLEY_TEST_DB=both the two are made side by side.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dialect: Dialect =
    (project.config.env.PARLEY_TEST_DB ?? process.env.PARLEY_TEST_DB) === 'postgres'
      ? 'postgres'
      : 'pglite'
  shared.projects++
  const wanted: Dialect[] = process.env.PARLEY_TEST_DB === 'both' ? ['pglite', 'postgres'] : []
  for (const each of [dialect, ...wanted]) {
    if (!shared.templates.has(each)) {
      shared.templates.set(each, each === 'postgres' ? postgresTemplate() : pgliteTemplate())
    }
  }
  const { value } = await shared.templates.get(dialect)!
  project.provide(dialect === 'postgres' ? 'postgresTemplate' : 'pgliteTemplate', value)
  return async () => {
    if (--shared.projects > 0) return
    const made = [...shared.templates.values()]
    shared.templates.clear()
    await Promise.all(made.map(async (template) => (await template).remove()))
  }
}

async function pgliteTemplate(): Promise<Template> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-template-'))
  const file = join(dir, 'pglite.tar')
  const database = await openDatabase()
  try {
    await migrateToLatest(database.db)
    await writeFile(file, new Uint8Array(await (await database.dump!()).arrayBuffer()))
  } finally {
    await database.close()
  }
  return { value: file, remove: () => rm(dir, { recursive: true, force: true }) }
}

async function postgresTemplate(): Promise<Template> {
  const name = `parley_tpl_${randomBytes(6).toString('hex')}`
  await adminQuery(`create database ${name}`)
  const database = await openDatabase({ url: databaseUrl(name) })
  try {
    await migrateToLatest(database.db)
  } finally {
    // A template must have no connections while databases are created from it.
    await database.close()
  }
  return { value: name, remove: () => adminQuery(`drop database if exists ${name} with (force)`) }
}
