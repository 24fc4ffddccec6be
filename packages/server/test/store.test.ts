import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Database, openDatabase } from '../src/store/database.ts'
import { jsonb } from '../src/store/jsonb.ts'
import { migrateDown, migrateToLatest } from '../src/store/migrate.ts'
import { migrations } from '../src/store/migrations/index.ts'
import { testDatabase, testDialect } from './support/database.ts'

const T = 1_764_277_200_000

async function insertOneEvent(database: Database): Promise<void> {
  const { db } = database
  await db.insertInto('parties').values({ id: 'usa', name: 'United States' }).execute()
  await db
    .insertInto('channels')
    .values({
      id: 'ch_0',
      creator: 'usa',
      genesis_id: 'e1',
      title: 'Hotline',
      policy: jsonb({}),
      created_at: T,
      status: 'active',
    })
    .execute()
  await db
    .insertInto('events')
    .values({
      id: 'e1',
      channel: 'ch_0',
      author: 'usa',
      seq: 1,
      prev: null,
      time: T,
      type: 'channel.create',
      body: jsonb({ title: 'Hotline', members: ['usa', 'rus'], observers: [] }),
      raw: '{}',
      received_at: T,
    })
    .execute()
}

describe(`store on ${testDialect}`, () => {
  let database: Database
  beforeEach(async () => {
    database = await testDatabase()
  })
  afterEach(async () => {
    await database.close()
  })

  it('reports which engine it opened', () => {
    expect(database.dialect).toBe(testDialect)
  })

  it('returns bigint millisecond times and jsonb bodies as plain JS values', async () => {
    await insertOneEvent(database)
    const row = await database.db
      .selectFrom('events')
      .select(['seq', 'time', 'body', 'position'])
      .executeTakeFirstOrThrow()
    expect(row).toEqual({
      seq: 1,
      time: T,
      body: { title: 'Hotline', members: ['usa', 'rus'], observers: [] },
      position: 1,
    })
    const { rows } = await sql<{
      big: unknown
    }>`select 9007199254740993::bigint as big`.execute(database.db)
    expect(rows[0]!.big).toBe(9007199254740993n)
  })

  it('rejects UPDATE, DELETE and TRUNCATE of stored events', async () => {
    await insertOneEvent(database)
    const { db } = database
    await expect(
      db.updateTable('events').set({ type: 'message.post' }).where('id', '=', 'e1').execute(),
    ).rejects.toThrow(/append-only: UPDATE rejected/)
    await expect(db.deleteFrom('events').where('id', '=', 'e1').execute()).rejects.toThrow(
      /append-only: DELETE rejected/,
    )
    await expect(sql`truncate events cascade`.execute(db)).rejects.toThrow(
      /append-only: TRUNCATE rejected/,
    )
    const row = await db.selectFrom('events').select('type').executeTakeFirstOrThrow()
    expect(row.type).toBe('channel.create')
  })

  it('keeps one row per author and seq in a channel', async () => {
    await insertOneEvent(database)
    await expect(
      database.db
        .insertInto('events')
        .values({
          id: 'e1-fork',
          channel: 'ch_0',
          author: 'usa',
          seq: 1,
          prev: null,
          time: T,
          type: 'channel.create',
          body: jsonb({}),
          raw: '{}',
          received_at: T,
        })
        .execute(),
    ).rejects.toThrow(/events_chain_unique/)
  })

  it('migrates down one step, down to nothing, and up again', async () => {
    await insertOneEvent(database)
    const names = Object.keys(migrations)
    expect(await migrateDown(database.db)).toEqual([names.at(-1)])
    expect(await migrateDown(database.db, { to: 'nothing' })).toEqual(names.slice(0, -1).reverse())
    const tables = async () =>
      (await database.db.introspection.getTables()).map((table) => table.name).sort()
    expect(await tables()).toEqual([])
    expect(await migrateToLatest(database.db)).toEqual(names)
    expect(await tables()).toContain('events')
    expect(await database.db.selectFrom('events').selectAll().execute()).toEqual([])
    expect(await migrateToLatest(database.db)).toEqual([])
  })
})

describe.runIf(testDialect === 'pglite')('PGlite data directory', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-store-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps committed events across a restart', async () => {
    const first = await openDatabase({ dataDir: dir })
    await migrateToLatest(first.db)
    await insertOneEvent(first)
    await first.close()

    const second = await openDatabase({ dataDir: dir })
    try {
      expect(await migrateToLatest(second.db)).toEqual([])
      const ids = await second.db.selectFrom('events').select('id').execute()
      expect(ids).toEqual([{ id: 'e1' }])
    } finally {
      await second.close()
    }
  })
})
