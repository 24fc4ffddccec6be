import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ConsentCheckpoint,
  type ConsentHead,
  type ConsentReceipt,
  consentHash,
  consentMessage,
} from '@parley/api'
import { canonicalJson, generateKeyPair, sign } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consentKeys, verifyConsentLines } from './consent-receipts.ts'

const main = new URL('../main.ts', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'parley-consent-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function parley(...args: string[]) {
  const result = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

let key: Awaited<ReturnType<typeof generateKeyPair>>
let other: Awaited<ReturnType<typeof generateKeyPair>>
/** A checkpoint after seq 4, receipts 5 to 7, and the head. */
let lines: string[]

function receipt(seq: number, prev: string | null): ConsentReceipt {
  return {
    type: 'consent.receipt',
    v: 1,
    seq,
    prev,
    consentId: '0b5f3a52-7c1e-4d2a-9f00-5e1b2c3d4e5f',
    revision: 2,
    choices: {
      necessary: true,
      functional: seq % 2 === 0,
      performance: false,
      targeting: false,
      social: false,
      sale: false,
    },
    services: {},
    textHash: 'cd'.repeat(32),
    url: 'https://usa.example/public/',
    gpc: true,
    language: 'ru',
    time: 1_800_000_000_000 + seq,
    userAgent: 'Chromium/140',
    ip: '198.51.100.0',
    key: 'usa#1',
  }
}

async function line(
  name: string,
  record: ConsentReceipt | ConsentCheckpoint | ConsentHead,
  signer = key,
) {
  return canonicalJson({
    [name]: record,
    sig: await sign(signer.privateKey, consentMessage(record)),
  })
}

beforeAll(async () => {
  key = await generateKeyPair()
  other = await generateKeyPair()
  const fourth = await consentHash(receipt(4, 'ef'.repeat(32)))
  lines = [
    await line('checkpoint', {
      type: 'consent.checkpoint',
      v: 1,
      seq: 4,
      head: fourth,
      pruned: 4,
      time: 1_800_000_000_100,
      key: 'usa#1',
    }),
  ]
  let prev = fourth
  for (const seq of [5, 6, 7]) {
    const r = receipt(seq, prev)
    lines.push(await line('receipt', r))
    prev = await consentHash(r)
  }
  lines.push(
    await line('head', {
      type: 'consent.head',
      v: 1,
      seq: 7,
      head: prev,
      time: 1_800_000_000_200,
      key: 'usa#1',
    }),
  )
})

const codes = async (input: string[], keys = consentKeys(key.publicKey)) =>
  (await verifyConsentLines(input, keys)).failures.map((failure) => failure.code)

describe('verifyConsentLines', () => {
  it('accepts an export whose chain runs on from its checkpoint to its signed head', async () => {
    expect(await verifyConsentLines(lines, consentKeys(key.publicKey))).toEqual({
      ok: true,
      receipts: 3,
      checkpoint: { seq: 4, pruned: 4 },
      head: { seq: 7, hash: JSON.parse(lines[4]!).head.head, time: 1_800_000_000_200 },
      failures: [],
    })
  })

  it('names what fails and where', async () => {
    const edited = JSON.parse(lines[2]!)
    edited.receipt.choices.sale = true
    expect(await codes([lines[0]!, lines[1]!, canonicalJson(edited), ...lines.slice(3)])).toEqual([
      'RECEIPT_SIGNATURE_INVALID',
      'RECEIPT_CHAIN_BROKEN',
    ])
    expect((await codes([lines[0]!, ` ${lines[1]!}`, ...lines.slice(2)]))[0]).toBe(
      'RECEIPT_LINE_INVALID',
    )
    expect(await codes([lines[1]!, lines[0]!, ...lines.slice(2)])).toEqual([
      'RECEIPT_SEQ_GAP',
      'RECEIPT_LINE_INVALID',
    ])
    expect(await codes(lines, consentKeys(other.publicKey))).toEqual(
      Array(5).fill('RECEIPT_SIGNATURE_INVALID'),
    )
    expect(await codes([...lines.slice(0, 3), lines[4]!])).toEqual(['RECEIPT_HEAD_MISMATCH'])
    expect(await codes(lines.slice(0, 4))).toEqual(['RECEIPT_HEAD_MISSING'])
  })

  it('takes the keys of a node descriptor, each within its validity', async () => {
    const descriptor = (validUntil: number | null) =>
      JSON.stringify({
        format: 'parley-node/1',
        node: 'usa',
        federation: 'https://usa.example',
        protocol: [1],
        parties: [
          {
            party: {
              id: 'usa',
              name: 'United States',
              keys: [{ id: 'usa#1', publicKey: key.publicKey, validFrom: 0, validUntil }],
            },
            key: 'usa#1',
            sig: 'A'.repeat(86),
          },
        ],
      })
    expect(await codes(lines, consentKeys('d.json', descriptor(null)))).toEqual([])
    expect(await codes(lines, consentKeys('d.json', descriptor(1_800_000_000_006)))).toEqual(
      Array(4).fill('RECEIPT_KEY_UNKNOWN'),
    )
  })
})

describe('parley verify receipts.jsonl --key', () => {
  it('exits 0 for an intact export and 1, naming the line, for one changed byte', () => {
    const good = join(dir, 'receipts.jsonl')
    writeFileSync(good, `${lines.join('\n')}\n`)
    const ok = parley('verify', good, '--key', key.publicKey)
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('OK: every signature holds and the chain is unbroken')
    const text = `${lines.join('\n')}\n`
    const at = text.indexOf('"ip":"198.51.100.0"', lines[0]!.length + lines[1]!.length) + 14
    const bad = join(dir, 'changed.jsonl')
    writeFileSync(bad, `${text.slice(0, at)}1${text.slice(at + 1)}`)
    const failed = parley('verify', bad, '--key', key.publicKey)
    expect(failed.code).toBe(1)
    expect(failed.stdout).toContain('line 3  RECEIPT_SIGNATURE_INVALID')
    expect(failed.stdout).toContain('FAILED: do not rely on these receipts.')
    const usage = parley('verify', good)
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('--key')
  })
})
