import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  canonicalJson,
  checkTranscriptLine,
  createEvent,
  domainMessage,
  domains,
  type Event,
  type EventFields,
  equivocationLine,
  eventLine,
  makeEquivocationProof,
  parseTranscriptHeader,
  sign,
  TranscriptAssessor,
  type TranscriptReport,
  transcriptSegments,
  utf8,
  verifyTranscript,
} from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GeneratedTranscript, generateTranscript } from '../../bench/transcript-generator.ts'

const main = new URL('../main.ts', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'parley-verify-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function parley(...args: string[]) {
  const result = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

let good: GeneratedTranscript
let goodLines: string[]

beforeAll(async () => {
  // 1,200 events in 512-line batches: several batches, so line order across workers matters.
  good = await generateTranscript(
    join(dir, 'good.parley'),
    { events: 1200, parties: ['usa', 'rus', 'osce'], receiptEvery: 40, seed: 7 },
    { workers: 1 },
  )
  goodLines = readFileSync(good.path, 'utf8').split('\n').slice(0, -1)
})

function transcript(name: string, content: string | Uint8Array): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

const file = (lines: readonly string[]) => `${lines.join('\n')}\n`

/** Line number (1-based) of the first event line matching a test. */
function lineOf(test: (event: Event) => boolean): number {
  const index = goodLines.findIndex((text) => {
    const value = JSON.parse(text)
    return value.kind === 'event' && test(value.event)
  })
  expect(index).toBeGreaterThan(0)
  return index + 1
}

/**
 * The report of the simplest use of the protocol's API: every line checked in order on one
 * thread, then assessed in order. The CLI's reader, batches and workers must not change it.
 */
async function sequentialReport(path: string): Promise<TranscriptReport> {
  const segments: Uint8Array[] = []
  for await (const segment of transcriptSegments([readFileSync(path)])) segments.push(segment)
  const endsWithNewline = segments.at(-1)!.length === 0
  const lines = endsWithNewline ? segments.slice(0, -1) : segments
  const header = parseTranscriptHeader(lines[0]!)
  const assessor = new TranscriptAssessor(header)
  // The last line of a file that does not end with a newline is cut: never checked.
  const complete = endsWithNewline ? lines.length : lines.length - 1
  for (let i = 1; i < complete; i++)
    assessor.add(await checkTranscriptLine(header, lines[i]!, i + 1))
  return assessor.finish({ lastLine: lines.length, endsWithNewline })
}

/** The CLI's --json report, checked against {@link sequentialReport}. */
async function verifyBoth(path: string, ...args: string[]) {
  const run = parley('verify', path, '--json', ...args)
  expect(run.stderr).toBe('')
  const report = JSON.parse(run.stdout)
  const reference = await sequentialReport(path)
  expect(report.failures).toEqual(reference.failures)
  expect(report).toMatchObject({
    ok: reference.ok,
    events: reference.events,
    parties: reference.parties,
    receipts: reference.receipts,
    equivocations: reference.equivocations,
  })
  return { code: run.code, report }
}

describe('parley verify', () => {
  it('accepts a valid transcript: exit 0 and every party’s chain head', async () => {
    const { code, report } = await verifyBoth(good.path)
    expect(code).toBe(0)
    const reference = await verifyTranscript(transcriptSegments([readFileSync(good.path)]))
    expect(report).toMatchObject({ ok: true, events: reference.events, parties: reference.parties })
    expect(report).toMatchObject({
      ok: true,
      events: 1200,
      receipts: good.receipts,
      equivocations: 0,
      failures: [],
      channel: good.channel,
    })
    for (const [party, head] of Object.entries(good.heads)) {
      expect(report.parties[party].head).toEqual(head)
      expect(report.parties[party].events).toBe(head.seq)
    }
  })

  it('prints a human summary with counts, chain heads and OK', () => {
    const run = parley('verify', good.path)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('events         1,200\n')
    expect(run.stdout).toContain(`receipts       ${good.receipts.toLocaleString('en')}\n`)
    for (const [party, head] of Object.entries(good.heads)) {
      expect(run.stdout).toMatch(
        new RegExp(`  ${party} +[\\d,]+ events  head seq [\\d,]+ ${head.id}\\n`),
      )
    }
    expect(run.stdout).toMatch(/\nOK: /)
    expect(run.stderr).toBe('')
  })

  it('accepts the same lines in another order, with any number of workers', async () => {
    const [header, ...rest] = goodLines
    const path = transcript('reversed.parley', file([header!, ...rest.reverse()]))
    expect((await verifyBoth(path, '--workers', '3')).code).toBe(0)
    expect((await verifyBoth(path, '--workers', '1')).code).toBe(0)
  })

  it('reports an altered message by line and event id, exit 1', async () => {
    const line = lineOf((event) => event.type === 'message.post' && event.seq === 50)
    const lines = [...goodLines]
    lines[line - 1] = lines[line - 1]!.replace(/"text":"(.)/, '"text":"X')
    const { code, report } = await verifyBoth(transcript('altered.parley', file(lines)))
    expect(code).toBe(1)
    expect(report.ok).toBe(false)
    expect(report.failures[0]).toMatchObject({ code: 'SIGNATURE_INVALID', line })
    expect(report.failures[0].eventId).toMatch(/^[0-9a-f]{64}$/)
  })

  it('reports a removed event as a broken chain, exit 1', async () => {
    const line = lineOf((event) => event.author === 'usa' && event.seq === 30)
    const lines = goodLines.filter((_, i) => i !== line - 1)
    const { code, report } = await verifyBoth(transcript('removed.parley', file(lines)))
    expect(code).toBe(1)
    expect(report.failures.map((f: { code: string }) => f.code)).toContain('CHAIN_GAP')
    expect(report.parties.usa.head.seq).toBe(29)
  })

  it('reports a repeated line, exit 1', async () => {
    const lines = [...goodLines, goodLines[10]!]
    const { code, report } = await verifyBoth(transcript('repeated.parley', file(lines)))
    expect(code).toBe(1)
    expect(report.failures).toHaveLength(1)
    expect(report.failures[0].line).toBe(lines.length)
  })

  it('reports a header key that did not sign the events, exit 1', async () => {
    const other = JSON.parse(goodLines[0]!)
    const rus = other.parties.rus.keys[0].publicKey
    other.parties.rus.keys[0].publicKey = other.parties.usa.keys[0].publicKey
    const lines = [JSON.stringify(other), ...goodLines.slice(1)]
    const { code, report } = await verifyBoth(transcript('wrong-key.parley', file(lines)))
    expect(code).toBe(1)
    expect(rus).not.toBe(other.parties.rus.keys[0].publicKey)
    expect(report.parties.rus).toEqual({ events: 0, head: null })
    expect(report.failures.some((f: { code: string }) => f.code === 'SIGNATURE_INVALID')).toBe(true)
  })

  it('reports a proven fork as an equivocation, exit 1', async () => {
    const line = lineOf((event) => event.author === 'rus' && event.seq === 20)
    const original = JSON.parse(goodLines[line - 1]!) as { event: Event; sig: string }
    const { v: _v, key: _key, ...fields } = original.event
    const fork = await createEvent(
      { ...fields, body: { ...fields.body, text: 'A different statement.' } } as EventFields,
      good.signers.rus!,
    )
    const proof = makeEquivocationProof(original, fork)
    const lines = [...goodLines, eventLine(fork), equivocationLine(proof)]
    const { code, report } = await verifyBoth(transcript('fork.parley', file(lines)))
    expect(code).toBe(1)
    expect(report.equivocations).toBe(1)
    expect(report.failures).toEqual([
      expect.objectContaining({ code: 'EQUIVOCATION', line: lines.length }),
    ])
  })

  it('reports a line that is not UTF-8 with its number, exit 1', async () => {
    const bytes = Buffer.from(file(goodLines))
    const start = bytes.indexOf('"text":"', bytes.indexOf(goodLines[99]!)) + 8
    bytes[start] = 0xff
    const { code, report } = await verifyBoth(transcript('not-utf8.parley', bytes))
    expect(code).toBe(1)
    expect(report.failures[0]).toEqual({
      code: 'UTF8_INVALID',
      line: 100,
      message: 'Not valid UTF-8',
    })
  })

  it('reports a line that is not JSON, exit 1', async () => {
    const lines = [...goodLines]
    lines.splice(5, 0, '{"kind":"event",')
    const { code, report } = await verifyBoth(transcript('not-json.parley', file(lines)))
    expect(code).toBe(1)
    expect(report.failures[0]).toMatchObject({ code: 'TRANSCRIPT_MALFORMED', line: 6 })
  })

  it('reports a transcript cut off within its last line as truncated, exit 1', async () => {
    const text = file(goodLines)
    const { code, report } = await verifyBoth(transcript('cut.parley', text.slice(0, -40)))
    expect(code).toBe(1)
    expect(report.failures).toEqual([
      expect.objectContaining({ code: 'TRANSCRIPT_TRUNCATED', line: goodLines.length }),
    ])
  })

  it('reports a header without its newline as truncated, exit 1', async () => {
    const { code, report } = await verifyBoth(transcript('header-only.parley', goodLines[0]!))
    expect(code).toBe(1)
    expect(report.failures).toEqual([
      expect.objectContaining({ code: 'TRANSCRIPT_TRUNCATED', line: 1 }),
    ])
  })

  it('reports every bad line with its code and line, the good ones still checked: floats, NUL, repeated names, bad signatures, a cut end', async () => {
    const lines = [...goodLines]
    const bad: { line: number; code: string }[] = []
    const event = (line: number) => JSON.parse(lines[line - 1]!) as { event: Event; sig: string }

    const float = lineOf((e) => e.author === 'usa' && e.seq === 100)
    lines[float - 1] = lines[float - 1]!.replace(/"time":(\d+)/, '"time":$1.5')
    bad.push({ line: float, code: 'NUMBER_NOT_INTEGER' })

    const forged = lineOf((e) => e.author === 'rus' && e.seq === 200)
    lines[forged - 1] = lines[forged - 1]!.replace(
      /"sig":"(.)/,
      (_, c) => `"sig":"${c === 'A' ? 'B' : 'A'}`,
    )
    bad.push({ line: forged, code: 'SIGNATURE_INVALID' })

    // Validly signed, as an implementation that allowed U+0000 would sign it: JCS writes it as
    // \u0000, here put where the private-use U+E000 stood.
    const nul = lineOf((e) => e.author === 'osce' && e.seq > 150 && e.type === 'message.post')
    const original = event(nul).event as Event & { body: { text: string } }
    const changed = { ...original, body: { ...original.body, text: 'agreed\ue000' } }
    const jcs = canonicalJson(changed).replace('\ue000', '\\u0000')
    const sig = await sign(good.signers.osce!.privateKey, domainMessage(domains.event, utf8(jcs)))
    lines[nul - 1] = `{"event":${jcs},"kind":"event","sig":"${sig}"}`
    bad.push({ line: nul, code: 'STRING_HAS_NUL' })

    // The same signed event, with a second "text" that JSON.parse would silently drop.
    const twice = lineOf((e) => e.author === 'usa' && e.seq === 300 && e.type === 'message.post')
    lines[twice - 1] = lines[twice - 1]!.replace('"text":', '"text":"not agreed","text":')
    bad.push({ line: twice, code: 'JSON_DUPLICATE_NAME' })

    const receipt = goodLines.findIndex((text) => text.startsWith('{"kind":"receipt"')) + 1
    lines[receipt - 1] = lines[receipt - 1]!.replace(
      '{"kind":"receipt"',
      '{"kind":"receipt","kind":"x"',
    )
    bad.push({ line: receipt, code: 'JSON_DUPLICATE_NAME' })

    bad.push({ line: lines.length, code: 'TRANSCRIPT_TRUNCATED' })
    const path = transcript('mixed.parley', file(lines).slice(0, -40))

    for (const workers of ['1', '3']) {
      const { code, report } = await verifyBoth(path, '--workers', workers)
      expect(code).toBe(1)
      expect(report.ok).toBe(false)
      for (const { line, code } of bad) {
        expect(report.failures).toContainEqual(expect.objectContaining({ line, code }))
      }
      expect(report.failures).toContainEqual(
        expect.objectContaining({ line: forged, eventId: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      )
      // Every other event verifies: the four bad ones, and the cut last line if it is one, not.
      const cutEvent = goodLines.at(-1)!.startsWith('{"kind":"event"') ? 1 : 0
      expect(report.events).toBe(1200 - 4 - cutEvent)
    }
    // The protocol's own single-thread verifier, which a browser runs, finds the same.
    const single = await verifyTranscript(transcriptSegments([readFileSync(path)]))
    expect(single.failures).toEqual((await sequentialReport(path)).failures)

    const human = parley('verify', path)
    expect(human.code).toBe(1)
    expect(human.stderr).toBe('')
    for (const { line, code } of bad) expect(human.stdout).toContain(`\n  line ${line}  ${code}`)
    expect(human.stdout).toMatch(/\nFAILED: \d+ problems; do not rely on this transcript\.\n$/)
  })

  it('prints every failure with code, line and event id in the human summary', () => {
    const lines = [...goodLines]
    const line = lineOf((event) => event.type === 'message.post' && event.author === 'osce')
    lines[line - 1] = lines[line - 1]!.replace(
      /"sig":"(.)/,
      (_, c) => `"sig":"${c === 'A' ? 'B' : 'A'}`,
    )
    const run = parley('verify', transcript('bad-sig.parley', file(lines)))
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      new RegExp(
        `\\n  line ${line}  SIGNATURE_INVALID  event [0-9a-f]{64}  Signature does not verify`,
      ),
    )
    expect(run.stdout).toMatch(/\nFAILED: \d+ problems?; do not rely on this transcript\.\n$/)
  })

  describe('files that are not transcripts: exit 2, one line, no stack trace', () => {
    const cases: [string, () => string, RegExp][] = [
      [
        'an empty file',
        () => transcript('empty.parley', ''),
        /^parley: TRANSCRIPT_EMPTY: .*empty\.parley is empty/,
      ],
      [
        'a missing file',
        () => join(dir, 'missing.parley'),
        /^parley: FILE_NOT_FOUND: No such file: .*missing\.parley/,
      ],
      [
        'a directory',
        () => {
          mkdirSync(join(dir, 'folder.parley'), { recursive: true })
          return join(dir, 'folder.parley')
        },
        /^parley: FILE_UNREADABLE: Cannot read .*folder\.parley: it is a directory/,
      ],
      [
        'a JSON file of another kind',
        () => transcript('other.json', '{"format":"something-else/1"}\n'),
        /^parley: NOT_A_TRANSCRIPT: .*other\.json is not a Parley transcript: .*format "something-else\/1"/,
      ],
      [
        'a text file',
        () => transcript('notes.txt', 'hello\nworld\n'),
        /^parley: NOT_A_TRANSCRIPT: .*notes\.txt is not a Parley transcript/,
      ],
      [
        'a header that is not UTF-8',
        () => transcript('latin1.parley', Buffer.from([0x7b, 0xe9, 0x7d, 0x0a])),
        /^parley: NOT_A_TRANSCRIPT: .*line 1 is not valid UTF-8/,
      ],
      [
        'a header with a repeated member name',
        () =>
          transcript(
            'repeated-name.parley',
            file([
              goodLines[0]!.replace('"channel":', '"channel":"ch_x","channel":'),
              ...goodLines.slice(1),
            ]),
          ),
        /^parley: NOT_A_TRANSCRIPT: .*member name "channel" more than once/,
      ],
      [
        'an event where the header belongs',
        () => transcript('no-header.parley', file(goodLines.slice(1))),
        /^parley: NOT_A_TRANSCRIPT: .*must be the header/,
      ],
    ]
    it.each(cases)('%s', (_, make, message) => {
      for (const json of [[], ['--json']]) {
        const run = parley('verify', make(), ...json)
        expect(run.code).toBe(2)
        expect(run.stdout).toBe('')
        expect(run.stderr).toMatch(message)
        expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
      }
    })
  })

  it('treats a usage error as exit 2', () => {
    expect(parley('verify').code).toBe(2)
    expect(parley('verify', good.path, '--workers', '0').code).toBe(2)
    expect(parley('verify', good.path, '--bogus').code).toBe(2)
  })
})
