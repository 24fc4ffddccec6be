import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TranscriptReport, transcriptSegments, verifyTranscript } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GeneratedTranscript, generateTranscript } from '../../bench/transcript-generator.ts'
import { verifyTranscriptFile } from './verify-file.ts'

const dir = mkdtempSync(join(tmpdir(), 'parley-verify-file-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let good: GeneratedTranscript
let lines: string[]

beforeAll(async () => {
  // Canonical lines, as exports write them: the workers' one-pass reading of a line.
  good = await generateTranscript(
    join(dir, 'good.parley'),
    { events: 300, parties: ['usa', 'rus', 'osce'], receiptEvery: 50, seed: 3 },
    { workers: 1, canonical: true },
  )
  lines = readFileSync(good.path, 'utf8').split('\n').slice(0, -1)
})

function write(name: string, content: string | Uint8Array): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

const file = (of: readonly string[], end = '\n') => `${of.join(end)}${end}`

/** The protocol's own single-threaded reading of the same bytes. */
async function reference(path: string): Promise<TranscriptReport> {
  return verifyTranscript(transcriptSegments([readFileSync(path)]))
}

// Lines are ~1 KB, so reads of 1,000 bytes cut nearly every line in two, some in three.
const small = { workers: 2, batchLines: 16, chunkBytes: 1000 } as const

describe('verifyTranscriptFile', () => {
  it('verifies a canonical transcript read in pieces smaller than its lines as one thread does', async () => {
    const { header, report } = await verifyTranscriptFile(good.path, small)
    expect(header.channel).toBe(good.channel)
    expect(report).toEqual(await reference(good.path))
    expect(report).toMatchObject({ ok: true, events: 300, receipts: good.receipts, failures: [] })
    for (const [party, head] of Object.entries(good.heads)) {
      expect(report.parties[party]).toEqual({ events: head.seq, head })
    }
  })

  it('reports a broken line far past the first read at its own line number', async () => {
    const broken = [...lines]
    const at = 250
    const { event, sig } = JSON.parse(broken[at - 1]!) as { event: unknown; sig: string }
    expect(event).toBeDefined()
    const forged = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`
    broken[at - 1] = broken[at - 1]!.replace(sig, forged)
    const path = write('forged.parley', file(broken))
    const { report } = await verifyTranscriptFile(path, { ...small, chunkBytes: 64 * 1024 })
    expect(report).toEqual(await reference(path))
    expect(report.ok).toBe(false)
    expect(report.failures[0]).toMatchObject({ code: 'SIGNATURE_INVALID', line: at })
    expect(report.failures[0]!.eventId).toMatch(/^[0-9a-f]{64}$/)
  })

  it('reads CRLF line ends as LF ones', async () => {
    const { report } = await verifyTranscriptFile(write('crlf.parley', file(lines, '\r\n')), small)
    expect(report).toEqual((await verifyTranscriptFile(good.path, small)).report)
    expect(report.ok).toBe(true)
  })

  it('refuses a header behind a UTF-8 byte order mark: JSON has none', async () => {
    const path = write('bom.parley', `\ufeff${file(lines)}`)
    await expect(verifyTranscriptFile(path, small)).rejects.toMatchObject({
      code: 'NOT_A_TRANSCRIPT',
    })
  })

  it('reports a cut last line as truncated at its number, every line before it checked', async () => {
    const text = file(lines)
    const path = write('cut.parley', text.slice(0, text.length - 300))
    const { report } = await verifyTranscriptFile(path, small)
    expect(report).toEqual(await reference(path))
    expect(report.failures).toEqual([
      expect.objectContaining({ code: 'TRANSCRIPT_TRUNCATED', line: lines.length }),
    ])
    const before = lines.slice(1, -1).filter((line) => line.startsWith('{"event":'))
    expect(report.events).toBe(before.length)
  })

  it('verifies a transcript of its header line alone: no events, every chain empty', async () => {
    const path = write('header.parley', file(lines.slice(0, 1)))
    const { report } = await verifyTranscriptFile(path, small)
    expect(report).toEqual(await reference(path))
    expect(report).toMatchObject({ ok: true, events: 0, receipts: 0, failures: [] })
  })
})
