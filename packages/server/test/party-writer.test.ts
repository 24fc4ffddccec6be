import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDialect } from './support/database.ts'
import { type NodeProcesses, startNodeProcesses } from './support/node-process.ts'
import { reservePort } from './support/ports.ts'

// One writer per party: a second process signing for a party another process on the same
// database writes for must not start.

const CLI = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url))

/** Runs `parley start --config <file>` until it exits; its exit code and what it printed. */
function startRefused(config: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PARLEY_LOG_LEVEL: 'warn' }
    delete env.DATABASE_URL
    delete env.PARLEY_PORT
    const child = spawn(process.execPath, [CLI, 'start', '--config', config], { env })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the second node kept running\n${output}`))
    }, 60_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

const message = (text: string) => ({ text, lang: 'en', urgency: 'routine', tlp: 'green' })

describe('two node processes on one database for the same party', () => {
  let procs: NodeProcesses
  let config: string

  beforeAll(async () => {
    procs = await startNodeProcesses([
      {
        node: 'usa',
        parties: [
          { id: 'usa', name: 'United States' },
          { id: 'osce', name: 'OSCE' },
        ],
      },
    ])
    const first = procs.node('usa')
    // The same node directory (keys, database) under a second config on another port.
    const parsed = JSON.parse(await readFile(join(first.dir, 'parley.json'), 'utf8'))
    config = join(first.dir, 'twin.json')
    await writeFile(
      config,
      JSON.stringify({ ...parsed, listen: { ...parsed.listen, port: await reservePort() } }),
      { mode: 0o600 },
    )
  }, 120_000)

  afterAll(() => procs?.close())

  it('cannot both write: the second refuses to start, and the first writes on', async () => {
    const first = procs.node('usa')
    const created = await first.api<{ channel: { id: string } }>('POST', '/channels', {
      as: 'usa',
      title: 'One writer',
      members: ['usa', 'osce'],
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const channel = created.body.channel.id

    const second = await startRefused(config)
    expect(second.code).toBe(1)
    expect(second.output).toMatch(
      testDialect === 'postgres'
        ? /^parley: PARTY_IN_USE: Another running node on this database writes for party osce; stop it first$/m
        : /^parley: DATABASE_IN_USE: The database is in use: process \d+ has the embedded database .*\/db open/m,
    )

    const posted = await first.api<{ event: { event: { seq: number } } }>(
      'POST',
      `/channels/${channel}/messages`,
      message('still the only writer'),
    )
    expect(posted.status).toBe(201)
    expect(posted.body.event.event.seq).toBe(2)
    expect(first.crashes()).toEqual([])
  }, 120_000)
})
