import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { cp } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createEvent,
  type EventFields,
  generateKeyPair,
  type SignedEvent,
  type Signer,
} from '@parley/protocol'
import {
  appendEvent,
  initNodeDirectory,
  loadConfig,
  migrateToLatest,
  openDatabase,
  pinPartyKeys,
  readModels,
} from '@parley/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const main = new URL('../main.ts', import.meta.url).pathname
const T0 = 1_764_277_200_000
const CHANNEL = 'ch_01HZX4N8Q7P2M5K9R3T6V0W8YB'
const root = mkdtempSync(join(tmpdir(), 'parley-export-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function parley(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
}

/** A ledger at `dataDir` holding a 3-event conversation between usa and rus in CHANNEL. */
async function seedLedger(dataDir: string): Promise<void> {
  const database = await openDatabase({ dataDir })
  try {
    await migrateToLatest(database.db)
    const signers: Record<string, Signer> = {}
    for (const party of ['usa', 'rus']) {
      const { publicKey, privateKey } = await generateKeyPair()
      signers[party] = { keyId: `${party}#1`, privateKey }
      const keys = [{ id: `${party}#1`, publicKey, validFrom: 0, validUntil: null }]
      await pinPartyKeys(database.db, party, party.toUpperCase(), keys, {
        now: T0,
        hosted: party === 'rus',
      })
    }
    const ctx = { now: T0 + 600_000, hosted: ['rus'], projections: readModels() }
    const say = async (fields: Omit<EventFields, 'channel'>) => {
      const signed = await createEvent(
        { channel: CHANNEL, ...fields } as EventFields,
        signers[fields.author]!,
      )
      const result = await appendEvent(database.db, { event: signed.event, sig: signed.sig }, ctx)
      expect(result.status).toBe('stored')
      return signed as SignedEvent & { id: string }
    }
    const create = await say({
      author: 'usa',
      seq: 1,
      prev: null,
      heads: {},
      time: T0,
      type: 'channel.create',
      body: { title: 'Hotline', members: ['usa', 'rus'], observers: [] },
    } as Omit<EventFields, 'channel'>)
    const join = await say({
      author: 'rus',
      seq: 1,
      prev: null,
      heads: { usa: { seq: 1, id: create.id } },
      time: T0 + 1000,
      type: 'channel.join',
      body: { accepts: create.id },
    } as Omit<EventFields, 'channel'>)
    await say({
      author: 'usa',
      seq: 2,
      prev: create.id,
      heads: { rus: { seq: 1, id: join.id } },
      time: T0 + 2000,
      type: 'message.post',
      body: { text: 'Welcome to the hotline.', lang: 'en', urgency: 'routine', tlp: 'green' },
    } as Omit<EventFields, 'channel'>)
  } finally {
    await database.close()
  }
}

let bare: string
let node: string
let port: number

beforeAll(async () => {
  bare = join(root, 'bare-db')
  await seedLedger(bare)
  // A node directory as `parley init` makes it, on a port nothing else uses.
  port = await new Promise<number>((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => done(port))
    })
  })
  node = join(root, 'node')
  const { configFile } = await initNodeDirectory({
    dir: node,
    parties: [{ id: 'rus', name: 'Russian Federation' }],
    port,
    now: 0,
  })
  // The same ledger, copied: a second initdb would cost seconds.
  await cp(bare, loadConfig(configFile).dataDir, { recursive: true })
}, 120_000)

describe('parley export', () => {
  it('writes a transcript of the channel that parley verify accepts', async () => {
    const out = join(root, 'bare.parley')
    const run = await parley('export', CHANNEL, '--out', out, '--data-dir', bare, '--as', 'rus')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`to ${out}`)
    const header = JSON.parse(readFileSync(out, 'utf8').split('\n')[0]!)
    expect(header).toMatchObject({ channel: CHANNEL, exportedBy: 'rus' })

    const verify = await parley('verify', out, '--json')
    expect(verify.code).toBe(0)
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, events: 3, failures: [] })
  })

  it('reads a node directory’s config and exports as its only hosted party', async () => {
    const out = join(root, 'node.parley')
    const run = await parley('export', CHANNEL, '--out', out, '--data-dir', node)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(JSON.parse(readFileSync(out, 'utf8').split('\n')[0]!).exportedBy).toBe('rus')
  })

  it('refuses to open the embedded database while the node is running', async () => {
    const running = createServer().listen(port, '127.0.0.1')
    await new Promise((done) => running.once('listening', done))
    try {
      const out = join(root, 'while-running.parley')
      const run = await parley('export', CHANNEL, '--out', out, '--data-dir', node)
      expect(run.code).toBe(2)
      expect(run.stderr).toMatch(
        /^parley: NODE_RUNNING: The node is running \(listening on 127\.0\.0\.1:\d+\)/,
      )
      expect(existsSync(out)).toBe(false)
    } finally {
      running.close()
    }
  })

  it('refuses an --out in a directory that does not exist (FILE_UNWRITABLE) with exit 1', async () => {
    const out = join(root, 'reports', 'working-group.parley')
    const run = await parley('export', CHANNEL, '--out', out, '--data-dir', bare, '--as', 'rus')
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(
      /^parley: FILE_UNWRITABLE: Cannot write .*\/reports\/\.ch_\w+\.\d+\.parley\.tmp: ENOENT/,
    )
    expect(existsSync(join(root, 'reports'))).toBe(false)
  })

  it.each([
    [
      'an unknown channel',
      () => ['ch_01HZX4N8Q7P2M5K9R3T6V0W8YC', '--data-dir', bare, '--as', 'rus'],
      /^parley: CHANNEL_NOT_IN_LEDGER: Channel ch_01HZX4N8Q7P2M5K9R3T6V0W8YC not found/,
    ],
    [
      'a malformed channel id',
      () => ['general', '--data-dir', bare, '--as', 'rus'],
      /^parley: USAGE: "general" is not a channel id/,
    ],
    [
      'no exporting party',
      () => [CHANNEL, '--data-dir', bare],
      /^parley: USAGE: say which party exports/,
    ],
    [
      'an exporter outside the channel',
      () => [CHANNEL, '--data-dir', bare, '--as', 'chn'],
      /^parley: USAGE: --as chn: not a party of this channel/,
    ],
    [
      'a directory without a node',
      () => [CHANNEL, '--data-dir', join(root, 'nothing')],
      /^parley: NODE_NOT_FOUND: No Parley node at /,
    ],
  ])('rejects %s with exit 2, leaving no file behind', async (_, args, message) => {
    const out = join(root, 'rejected.parley')
    const run = await parley('export', ...args(), '--out', out)
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(root).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })
})
