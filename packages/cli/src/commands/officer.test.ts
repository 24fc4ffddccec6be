import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, loadConfig, openDatabase } from '@parley/server'
import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'

const main = new URL('../main.ts', import.meta.url).pathname
const root = mkdtempSync(join(tmpdir(), 'parley-officer-'))

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

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

describe('parley officer and parley audit', () => {
  const dir = join(root, 'node')
  const at = ['--data-dir', dir]
  const passwordFile = join(root, 'admin-password')
  let port: number

  beforeAll(async () => {
    port = await freePort()
    writeFileSync(passwordFile, 'the first admin passphrase\n', { mode: 0o600 })
    const init = await parley(
      'init',
      '--party',
      'usa',
      '--name',
      'United States',
      '--data-dir',
      dir,
      '--port',
      String(port),
      '--admin',
      'chief',
      '--admin-password-file',
      passwordFile,
    )
    expect(init.stderr).toBe('')
    expect(init.code).toBe(0)
    expect(init.stdout).toMatch(/First admin of usa: chief \(o_[0-9a-z]{26}\)/)
    expect(init.stdout).not.toContain('Password')
    // The operator lowers the cost of the passwords set from now on (the first admin's hash
    // keeps its production cost, and still verifies): argon2id at 8 KiB and one pass.
    const configFile = join(dir, 'parley.json')
    const config = JSON.parse(readFileSync(configFile, 'utf8'))
    const passwordHash = { memoryCost: 8, timeCost: 1, parallelism: 1 }
    writeFileSync(configFile, JSON.stringify({ ...config, auth: { ...config.auth, passwordHash } }))
  })

  it('parley init creates a first admin who can log in with the password from the file', async () => {
    const config = loadConfig(join(dir, 'parley.json'), {})
    const app = await build(config, { federate: false })
    try {
      const reply = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'chief', password: 'the first admin passphrase' },
      })
      expect(reply.statusCode).toBe(200)
      expect(reply.json().officer).toMatchObject({
        username: 'chief',
        roles: ['admin'],
        party: 'usa',
      })
    } finally {
      await app.close()
    }
  })

  it('adds, lists, re-roles, disables and resets officers, printing a generated password once', async () => {
    const added = await parley(
      'officer',
      'add',
      ...at,
      '--username',
      'Duty1',
      '--name',
      'Duty Officer',
      '--roles',
      'viewer,drafter',
    )
    expect(added.code).toBe(0)
    expect(added.stdout).toMatch(
      /^Created o_[0-9a-z]{26}\s+usa\s+duty1\s+viewer,drafter\s+active\s+no second factor\n/,
    )
    expect(added.stdout).toMatch(
      /Password \(shown this once; the officer must change it at first login\):\n {2}[0-9a-z]{5}(-[0-9a-z]{5}){3}\n$/,
    )

    const listed = JSON.parse((await parley('officer', 'list', ...at, '--json')).stdout)
    expect(listed.officers.map((o: { username: string }) => o.username).sort()).toEqual([
      'chief',
      'duty1',
    ])

    const roles = await parley('officer', 'roles', 'duty1', 'releaser', ...at)
    expect(roles.stdout).toBe('duty1: releaser\n')
    expect((await parley('officer', 'roles', 'duty1', ...at)).stdout).toBe('duty1: releaser\n')

    const disabled = await parley('officer', 'disable', 'duty1', ...at, '--json')
    expect(JSON.parse(disabled.stdout).disabled).toBe(true)

    const reset = await parley(
      'officer',
      'reset-password',
      'duty1',
      ...at,
      '--clear-factors',
      '--json',
    )
    expect(JSON.parse(reset.stdout).password).toMatch(/^[0-9a-z]{5}(-[0-9a-z]{5}){3}$/)
  })

  it('issues an API token for an officer, printing its secret once, lists and revokes it', async () => {
    const added = await parley(
      'officer',
      'add',
      ...at,
      '--username',
      'bridge',
      '--name',
      'Ticket bridge',
      '--roles',
      'drafter',
    )
    expect(added.code).toBe(0)
    const created = await parley(
      'officer',
      'token',
      'create',
      'bridge',
      ...at,
      '--scope',
      'drafter,viewer',
      '--expires',
      '30d',
      '--label',
      'tickets',
    )
    expect(created.stderr).toBe('')
    expect(created.stdout).toMatch(
      /^Issued (t_[0-9a-z]{26})\s+viewer,drafter\s+expires \S+\s+never used\s+tickets\nToken \(shown this once; the node keeps only its hash; send it as Authorization: Bearer\):\n {2}parley_pat_[A-Za-z0-9_-]{43}\n$/,
    )
    const id = /^Issued (t_[0-9a-z]{26})/.exec(created.stdout)![1]!
    const secret = /parley_pat_\S+/.exec(created.stdout)![0]
    const listed = await parley('officer', 'token', 'list', 'bridge', ...at)
    expect(listed.stdout).toContain(id)
    expect(listed.stdout).not.toContain(secret)
    const revoked = await parley('officer', 'token', 'revoke', id, ...at, '--json')
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id, revokedBy: null })

    const beyond = await parley(
      'officer',
      'token',
      'create',
      'bridge',
      ...at,
      '--scope',
      'releaser',
      '--expires',
      '1d',
    )
    expect(beyond.code).toBe(1)
    expect(beyond.stderr).toMatch(/^parley: TOKEN_SCOPE_INVALID: .*bridge does not hold releaser/)
    const forever = await parley(
      'officer',
      'token',
      'create',
      'bridge',
      ...at,
      '--scope',
      'drafter',
      '--expires',
      '400d',
    )
    expect(forever.stderr).toMatch(/^parley: TOKEN_EXPIRY_INVALID: /)
    const garbled = await parley(
      'officer',
      'token',
      'create',
      'bridge',
      ...at,
      '--scope',
      'drafter',
      '--expires',
      'soon',
    )
    expect(garbled.code).toBe(2)
    expect(garbled.stderr).toMatch(/^parley: USAGE: --expires takes a duration/)
  })

  it('refuses with the stable code and exit status', async () => {
    const taken = await parley('officer', 'add', ...at, '--username', 'CHIEF', '--name', 'x')
    expect(taken.code).toBe(1)
    expect(taken.stderr).toBe('parley: USERNAME_TAKEN: The username chief is taken\n')
    const badRole = await parley(
      'officer',
      'add',
      ...at,
      '--username',
      'x1',
      '--name',
      'x',
      '--roles',
      'king',
    )
    expect(badRole.code).toBe(2)
    expect(badRole.stderr).toMatch(
      /^parley: USAGE: roles must be some of viewer, drafter, releaser, admin/,
    )
    const lastAdmin = await parley('officer', 'disable', 'chief', ...at)
    expect(lastAdmin.stderr).toMatch(/^parley: LAST_ADMIN: /)
    const nobody = await parley('officer', 'list', '--data-dir', join(root, 'missing'))
    expect(nobody.code).toBe(2)
    expect(nobody.stderr).toMatch(/^parley: NODE_NOT_FOUND: /)
  })

  it('parley audit verify passes an intact log and names the first row changed behind the node’s back', async () => {
    const intact = await parley('audit', 'verify', ...at)
    expect(intact.code).toBe(0)
    expect(intact.stdout).toMatch(/^Audit log intact: \d+ rows, head [0-9a-f]{64}\n/)

    const config = loadConfig(join(dir, 'parley.json'), {})
    const database = await openDatabase({ dataDir: config.dataDir })
    try {
      await sql`alter table audit_log disable trigger audit_log_append_only`.execute(database.db)
      await sql`update audit_log set details = '{}' where seq = 2`.execute(database.db)
    } finally {
      await database.close()
    }
    const broken = await parley('audit', 'verify', ...at)
    expect(broken.code).toBe(1)
    expect(broken.stderr).toBe(
      'parley: AUDIT_CHAIN_BROKEN: The audit log is broken at seq 2 (hash-mismatch); rows before it verify\n',
    )
    const json = await parley('audit', 'verify', ...at, '--json')
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toEqual({
      ok: false,
      rows: 1,
      broken: { seq: 2, reason: 'hash-mismatch' },
    })
  })

  it('refuses to open the embedded database while the node is running', async () => {
    const squatter = createServer().listen(port, '127.0.0.1')
    await new Promise((resolve) => squatter.once('listening', resolve))
    try {
      const refused = await parley('officer', 'list', ...at)
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(
        /^parley: NODE_RUNNING: The node is running \(listening on 127\.0\.0\.1:\d+\)/,
      )
    } finally {
      squatter.close()
    }
  })
})
