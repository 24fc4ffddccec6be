import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, initNodeDirectory, loadConfig } from '@parley/server'
import { afterAll, describe, expect, it } from 'vitest'

const main = new URL('../main.ts', import.meta.url).pathname
const root = mkdtempSync(join(tmpdir(), 'parley-consent-cli-'))
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

describe('parley consent export', () => {
  it('writes receipts that parley verify accepts with the node’s key, and refuses after one changed byte', async () => {
    const dir = join(root, 'node')
    await initNodeDirectory({
      dir,
      node: 'usa',
      parties: [{ id: 'usa', name: 'United States' }],
      now: 0,
    })
    const app = await build(loadConfig(join(dir, 'parley.json'), {}), {
      federate: false,
      logger: false,
      consoleDir: false,
    })
    const publicKey = app.identity.parties.get('usa')!.keys[0]!.publicKey
    for (const sale of [true, false]) {
      const reply = await app.inject({
        method: 'POST',
        url: '/public/consent',
        headers: { 'content-type': 'application/json', 'sec-gpc': sale ? '0' : '1' },
        payload: {
          consentId: '6f1c2b3a-0000-4000-8000-000000000001',
          revision: 1,
          choices: {
            necessary: true,
            functional: false,
            performance: false,
            targeting: false,
            social: false,
            sale,
          },
          services: {},
          textHash: 'e3'.repeat(32),
          url: 'https://usa.example/public/',
          gpc: false,
          language: 'en',
        },
      })
      expect(reply.statusCode).toBe(201)
    }
    await app.close()

    const out = join(root, 'receipts.jsonl')
    const exported = await parley('consent', 'export', '--data-dir', dir, '--out', out)
    expect(exported).toMatchObject({ code: 0, stdout: `Wrote 3 lines to ${out}\n` })
    const verified = await parley('verify', out, '--key', publicKey)
    expect(verified.code).toBe(0)
    expect(verified.stdout).toContain('receipts          2')

    const text = readFileSync(out, 'utf8')
    const changed = join(root, 'changed.jsonl')
    const at = text.indexOf('"sale":true') + 7
    writeFileSync(changed, `${text.slice(0, at)}f${text.slice(at + 1)}`)
    const refused = await parley('verify', changed, '--key', publicKey)
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('line 1  RECEIPT_LINE_INVALID')
    const again = await parley('consent', 'export', '--data-dir', dir, '--out', out)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('FILE_UNWRITABLE')
  }, 180_000)
})
