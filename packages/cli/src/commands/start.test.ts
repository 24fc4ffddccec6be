import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initNodeDirectory, migrateToLatest, openDatabase } from '@parley/server'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { reservePort } from '../../../server/test/support/ports.ts'

const launcher = new URL('../../bin/parley.mjs', import.meta.url).pathname
const root = mkdtempSync(join(tmpdir(), 'parley-start-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

interface Started {
  readonly child: ChildProcessWithoutNullStreams
  readonly output: () => string
  readonly exited: Promise<number | null>
}

function start(...args: string[]): Started {
  // The embedded database of each node directory, whatever the shell points at.
  const { DATABASE_URL: _server, ...env } = process.env
  const child = spawn(process.execPath, [launcher, 'start', ...args], {
    env: { ...env, PARLEY_LOG_LEVEL: 'error' },
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)))
  return { child, output: () => output, exited }
}

/** The result of a start that must fail: its exit code and everything it printed. */
async function refused(...args: string[]): Promise<{ code: number | null; output: string }> {
  const run = start(...args)
  return { code: await run.exited, output: run.output() }
}

function listening(run: Started): Promise<void> {
  return new Promise((done, fail) => {
    const check = () => {
      if (run.output().includes('Press Ctrl-C to stop.')) done()
    }
    run.child.stdout.on('data', check)
    run.exited.then((code) => fail(new Error(`start exited ${code}:\n${run.output()}`)))
  })
}

let nodes = 0
/** A node directory as `parley init` makes it, its database migrated, on a port of its own. */
async function nodeDirectory(): Promise<{ dir: string; port: number; config: string }> {
  const dir = join(root, `node-${++nodes}`)
  const port = await reservePort()
  const { configFile } = await initNodeDirectory({
    dir,
    node: 'usa',
    parties: [{ id: 'usa', name: 'United States' }],
    port,
    now: 0,
  })
  const config = JSON.parse(readFileSync(configFile, 'utf8'))
  const database = await openDatabase({ dataDir: join(dir, config.dataDir) })
  await migrateToLatest(database.db).finally(() => database.close())
  return { dir, port, config: configFile }
}

describe('parley start', () => {
  it('refuses a config that is not valid, naming what is wrong, and exits 1', async () => {
    const { dir, config } = await nodeDirectory()
    const parsed = JSON.parse(readFileSync(config, 'utf8'))
    writeFileSync(config, JSON.stringify({ ...parsed, listen: { host: '127.0.0.1', port: 'x' } }))
    const run = await refused('--data-dir', dir)
    expect(run.code).toBe(1)
    expect(run.output).toMatch(
      /^parley: CONFIG_INVALID: The node config is invalid: .*listen\/port/m,
    )

    writeFileSync(config, '{"node": "usa",')
    const broken = await refused('--data-dir', dir)
    expect(broken.code).toBe(1)
    expect(broken.output).toMatch(/^parley: CONFIG_INVALID: /m)
    expect(broken.output).not.toMatch(/\n\s+at /)
  })

  it('refuses a node directory that does not exist (CONFIG_NOT_FOUND)', async () => {
    const run = await refused('--data-dir', join(root, 'nowhere'))
    expect(run.code).toBe(1)
    expect(run.output).toMatch(
      /^parley: CONFIG_NOT_FOUND: Cannot read the node config .*nowhere\/parley\.json/m,
    )
  })

  it('refuses a private key file that is not a key (KEY_FILE_INVALID)', async () => {
    const { dir } = await nodeDirectory()
    writeFileSync(join(dir, 'keys', 'usa-1.private.pem'), 'not a key\n')
    const run = await refused('--data-dir', dir)
    expect(run.code).toBe(1)
    expect(run.output).toMatch(
      /^parley: KEY_FILE_INVALID: Key file .*keys\/usa-1\.private\.pem is unusable: not a PEM key/m,
    )
  })

  it('refuses a database whose schema its migrations do not recognise (MIGRATION_FAILED)', async () => {
    const { dir } = await nodeDirectory()
    // The tables are there but the record of the migrations that made them is gone: the
    // first migration runs again and meets its own tables.
    const database = await openDatabase({ dataDir: join(dir, 'db') })
    await sql`drop table kysely_migration`.execute(database.db).finally(() => database.close())
    const run = await refused('--data-dir', dir)
    expect(run.code).toBe(1)
    expect(run.output).toMatch(
      /^parley: MIGRATION_FAILED: Database migration 0001-ledger failed: .*already exists/m,
    )
  })

  it('refuses a data dir another running node holds (DATABASE_IN_USE), and starts once that node stopped', async () => {
    const { dir, config } = await nodeDirectory()
    const first = start('--data-dir', dir)
    await listening(first)
    // A second config on another port, over the same embedded database.
    const parsed = JSON.parse(readFileSync(config, 'utf8'))
    const other = join(dir, 'other.json')
    writeFileSync(
      other,
      JSON.stringify({ ...parsed, listen: { host: '127.0.0.1', port: await reservePort() } }),
    )
    const second = await refused('--config', other)
    expect(second.code).toBe(1)
    expect(second.output).toMatch(
      new RegExp(
        `^parley: DATABASE_IN_USE: The database is in use: process ${first.child.pid} has the embedded database .*/db open`,
        'm',
      ),
    )
    // The first node was not disturbed.
    expect((await fetch(`http://127.0.0.1:${parsed.listen.port}/healthz`)).status).toBe(200)
    first.child.kill('SIGINT')
    expect(await first.exited).toBe(0)

    const after = start('--config', other)
    await listening(after)
    after.child.kill('SIGINT')
    expect(await after.exited).toBe(0)
  })

  it('refuses a port another process listens on (PORT_IN_USE), and leaves its database free', async () => {
    const { dir, port } = await nodeDirectory()
    const squatter = createServer()
    await new Promise<void>((done) => squatter.listen(port, '127.0.0.1', done))
    try {
      const run = await refused('--data-dir', dir)
      expect(run.code).toBe(1)
      expect(run.output).toMatch(
        new RegExp(
          `^parley: PORT_IN_USE: Cannot listen on 127\\.0\\.0\\.1:${port}: another process listens there`,
          'm',
        ),
      )
    } finally {
      await new Promise((done) => squatter.close(done))
    }
    const database = await openDatabase({ dataDir: join(dir, 'db') })
    await database.close()
  })

  it('answers header fields too large with 431 HEADERS_TOO_LARGE, and keeps serving', async () => {
    const { dir, port } = await nodeDirectory()
    const node = start('--data-dir', dir)
    await listening(node)
    try {
      const reply = await fetch(`http://127.0.0.1:${port}/healthz`, {
        headers: { 'x-padding': 'a'.repeat(20_000) },
      })
      expect(reply.status).toBe(431)
      expect(await reply.json()).toEqual({
        error: {
          code: 'HEADERS_TOO_LARGE',
          message: 'The request header fields are too large',
        },
      })
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
    } finally {
      node.child.kill('SIGINT')
      expect(await node.exited).toBe(0)
    }
  })
})
