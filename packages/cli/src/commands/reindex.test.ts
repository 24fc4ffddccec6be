import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initNodeDirectory, loadConfig, openDatabase, runNode } from '@parley/server'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The same suite on both engines: embedded PGlite files, or with PARLEY_TEST_DB=postgres a fresh
// database on the test server, given to the node and the CLI as DATABASE_URL.
const postgres = process.env.PARLEY_TEST_DB === 'postgres'
const adminUrl =
  process.env.PARLEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const main = new URL('../main.ts', import.meta.url).pathname
const root = mkdtempSync(join(tmpdir(), 'parley-reindex-'))
const dataDir = join(root, 'node')
let env: NodeJS.ProcessEnv = { ...process.env }
let dropDatabase = async () => {}
/** Each party's automation officer's API token, issued with `parley officer token create`. */
const tokens: Record<string, string> = {}
let url: string

function parley(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [main, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
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

const start = () => runNode(join(dataDir, 'parley.json'), { ...env, PARLEY_LOG_LEVEL: 'silent' })

async function api<T>(method: string, path: string, body?: unknown, party = 'usa'): Promise<T> {
  const response = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[party]}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  expect(response.status, `${method} ${path}`).toBeLessThan(300)
  return (await response.json()) as T
}

/** The node's answers on every read route that shows its channels. */
async function answers(): Promise<unknown[]> {
  const { channels } = await api<{ channels: { id: string }[] }>('GET', '/channels')
  const read: unknown[] = [channels]
  for (const { id } of channels) {
    read.push(await api('GET', `/channels/${id}`), await api('GET', `/channels/${id}/timeline`))
  }
  return read
}

let before: unknown[]

beforeAll(async () => {
  const port = await new Promise<number>((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => done(port))
    })
  })
  await initNodeDirectory({
    dir: dataDir,
    parties: [
      { id: 'usa', name: 'United States' },
      { id: 'osce', name: 'OSCE' },
    ],
    port,
    now: 0,
  })
  if (postgres) {
    const name = `parley_cli_${randomBytes(6).toString('hex')}`
    await admin(`create database ${name}`)
    const database = new URL(adminUrl)
    database.pathname = `/${name}`
    env = { ...process.env, DATABASE_URL: database.toString() }
    dropDatabase = () => admin(`drop database if exists ${name} with (force)`)
  }
  const officers: Record<string, string> = {}
  for (const party of ['usa', 'osce']) {
    const added = await parley(
      'officer',
      'add',
      '--data-dir',
      dataDir,
      '--party',
      party,
      '--username',
      `automation-${party}`,
      '--name',
      'Automation',
      '--roles',
      'viewer,drafter,admin',
      '--json',
    )
    expect(added.code, added.stderr).toBe(0)
    officers[party] = JSON.parse(added.stdout).officer.id
    const issued = await parley(
      'officer',
      'token',
      'create',
      `automation-${party}`,
      '--scope',
      'viewer,drafter,admin',
      '--expires',
      '1d',
      '--data-dir',
      dataDir,
      '--json',
    )
    expect(issued.code, issued.stderr).toBe(0)
    tokens[party] = JSON.parse(issued.stdout).secret
  }
  const node = await start()
  url = node.address
  try {
    for (const title of ['Hotline', 'Ceasefire']) {
      const { channel } = await api<{ channel: { id: string } }>('POST', '/channels', {
        as: 'usa',
        title,
        members: ['usa', 'osce'],
      })
      // osce's admin (its automation officer) puts itself on the access list, then joins.
      await api('PUT', `/channels/${channel.id}/access/${officers.osce}`, undefined, 'osce')
      await api('POST', `/channels/${channel.id}/join`, {}, 'osce')
      for (let i = 0; i < 4; i++) {
        await api('POST', `/channels/${channel.id}/messages`, {
          text: `${title} ${i}`,
          lang: 'en',
          urgency: 'routine',
          tlp: 'green',
        })
      }
    }
    before = await answers()
  } finally {
    await node.close()
  }
}, 120_000)

afterAll(async () => {
  await dropDatabase()
  rmSync(root, { recursive: true, force: true })
})

describe('parley reindex', () => {
  it('rebuilds the read models of a stopped node, with progress on stderr', async () => {
    // Damage the read models as a bug would: only a rebuild from the log restores them.
    const config = loadConfig(join(dataDir, 'parley.json'), env)
    const database = await openDatabase(
      config.databaseUrl === undefined ? { dataDir: config.dataDir } : { url: config.databaseUrl },
    )
    await database.db.updateTable('channels').set({ title: 'damaged', status: 'invited' }).execute()
    await database.db.updateTable('channel_members').set({ joined_seq: null }).execute()
    await database.close()

    const run = await parley('reindex', '--data-dir', dataDir, '--batch-size', '5')
    expect(run.code, run.stderr).toBe(0)
    // 12 events (2 channels: create, join, 4 messages) in batches of 5.
    expect(run.stderr.trim().split('\n')).toEqual([
      'parley reindex: 5 of 12 events, 0 of 0 receipts',
      'parley reindex: 10 of 12 events, 0 of 0 receipts',
      'parley reindex: 12 of 12 events, 0 of 0 receipts',
    ])
    expect(run.stdout).toMatch(
      /^Rebuilt the read models \(channels, channel_members, notices, notice_recipients, notice_deadlines, notice_events, redlines, redline_versions, drafts, draft_events, compliance_reports, forwarded_items, directory_versions, timeline_entries, timeline_waits\) of node \S+ from 12 of 12 events, 0 of 0 receipts in [\d.]+ s\n$/,
    )
    const node = await start()
    try {
      expect(await answers()).toEqual(before)
    } finally {
      await node.close()
    }
  }, 60_000)

  it('refuses a running node and changes nothing', async () => {
    const node = await start()
    try {
      const run = await parley('reindex', '--data-dir', dataDir)
      if (postgres) {
        expect(run.stderr).toMatch(
          /^parley: DATABASE_IN_USE: The database is in use: a node is running/,
        )
        expect(run.code).toBe(1)
      } else {
        expect(run.stderr).toMatch(/^parley: NODE_RUNNING: The node is running \(listening on/)
        expect(run.code).toBe(2)
      }
      expect(run.stdout).toBe('')
      expect(await answers()).toEqual(before)
    } finally {
      await node.close()
    }
  }, 60_000)

  it('refuses a batch size that is not a whole number', async () => {
    const run = await parley('reindex', '--data-dir', dataDir, '--batch-size', '0')
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^parley: USAGE: --batch-size takes a whole number/)
  })
})
