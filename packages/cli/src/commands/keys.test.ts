import { spawnSync } from 'node:child_process'
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fingerprint } from '@parley/protocol'
import { afterAll, describe, expect, it } from 'vitest'

const main = new URL('../main.ts', import.meta.url).pathname

function parley(...args: string[]) {
  const result = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const root = mkdtempSync(join(tmpdir(), 'parley-keys-'))
const freshDir = () => mkdtempSync(join(root, 'out-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('parley keys generate', () => {
  it('writes a private key only its owner can read, matching the printed public key', async () => {
    const dir = freshDir()
    const run = parley('keys', 'generate', '--party', 'usa', '--out', dir, '--json')
    expect(run.code).toBe(0)
    const key = JSON.parse(run.stdout)
    expect(key).toMatchObject({ party: 'usa', keyId: 'usa#1' })
    expect(key.privateKeyFile).toBe(join(dir, 'usa-1.private.pem'))
    expect(statSync(key.privateKeyFile).mode & 0o777).toBe(0o600)

    const pem = readFileSync(key.privateKeyFile, 'utf8')
    expect(pem).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/,
    )
    const privateKey = createPrivateKey(pem)
    expect(privateKey.asymmetricKeyType).toBe('ed25519')
    const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' })
    expect(publicJwk.x).toBe(key.publicKey)
    expect(key.fingerprint).toBe(await fingerprint(key.publicKey))
    expect(key.fingerprint).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/)
  })

  it('prints key id, public key and fingerprint for a person to read', () => {
    const dir = freshDir()
    const run = parley('keys', 'generate', '--party', 'osce', '--key-id', 'osce#3', '--out', dir)
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/key id\s+osce#3\n/)
    expect(run.stdout).toMatch(/public key\s+[A-Za-z0-9_-]{43}\n/)
    expect(run.stdout).toMatch(/fingerprint\s+([0-9a-f]{4} ){15}[0-9a-f]{4}\n/)
    expect(run.stdout).toContain(join(dir, 'osce-3.private.pem'))
  })

  it('creates the output directory when it is missing', () => {
    const dir = join(freshDir(), 'nested', 'keys')
    const run = parley('keys', 'generate', '--party', 'rus', '--out', dir, '--json')
    expect(run.code).toBe(0)
    expect(statSync(join(dir, 'rus-1.private.pem')).isFile()).toBe(true)
  })

  it('refuses to overwrite an existing key file and leaves it untouched', () => {
    const dir = freshDir()
    const file = join(dir, 'usa-1.private.pem')
    writeFileSync(file, 'precious key\n', { mode: 0o600 })
    const run = parley('keys', 'generate', '--party', 'usa', '--out', dir)
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(
      `parley: KEY_FILE_EXISTS: ${file} already exists; refusing to overwrite a key\n`,
    )
    expect(readFileSync(file, 'utf8')).toBe('precious key\n')
  })

  it.each([
    [['--party', 'USA'], /--party "USA" is not a party id/],
    [['--party', 'usa', '--key-id', 'rus#1'], /--key-id "rus#1" must be usa#<n>/],
    [['--party', 'usa', '--key-id', 'usa#0'], /--key-id "usa#0" must be usa#<n>/],
    [[], /required option '--party <id>'/],
  ])('rejects bad arguments %j with exit code 2 and no key file', (args, message) => {
    const dir = freshDir()
    const run = parley('keys', 'generate', '--out', dir, ...args)
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
    expect(run.stderr).not.toMatch(/\n\s+at /)
    expect(run.stdout).toBe('')
  })
})
