import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noticeToStix } from '@parley/api'
import {
  type BodyOf,
  createEvent,
  type Event,
  type EventOf,
  eventLine,
  generateKeyPair,
  TRANSCRIPT_FORMAT,
  transcriptHeaderLine,
} from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const main = new URL('../main.ts', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'parley-stix-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const CHANNEL = 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YZ'
const T0 = Date.UTC(2026, 11, 7, 2, 20)

function parley(...args: string[]) {
  const result = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const incident: BodyOf<'notice.open'> = {
  kind: 'incident',
  subject: 'Scanning of election infrastructure',
  lang: 'ru',
  urgency: 'flash',
  tlp: 'green',
  severity: 4,
  requestedAction: 'Прекратить сканирование.',
  indicators: [
    { type: 'domain', value: 'scan.example', tlp: 'green' },
    { type: 'email', value: 'red@only.example', tlp: 'red' },
    { type: 'other', value: 'JA3 e7d705a3286e19ea42f587b344ee6865', tlp: 'clear' },
  ],
}

let transcript: string
let lines: string[]
let open: { id: string; event: EventOf<'notice.open'> }
let clarification: string
let closedAt: number

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair()
  const signer = { keyId: 'usa#1', privateKey }
  const chain: { event: Event; sig: string; id: string }[] = []
  const append = async (type: Event['type'], body: object) => {
    const previous = chain.at(-1)
    const signed = await createEvent(
      {
        channel: CHANNEL,
        author: 'usa',
        seq: chain.length + 1,
        prev: previous?.id ?? null,
        heads: {},
        time: T0 + chain.length * 60_000,
        type,
        body,
      } as Parameters<typeof createEvent>[0],
      signer,
    )
    chain.push(signed)
    return signed
  }
  await append('channel.create', { title: 'Working group', members: ['usa'], observers: [] })
  const opened = await append('notice.open', incident)
  open = { id: opened.id, event: opened.event as EventOf<'notice.open'> }
  clarification = (await append('notice.open', { ...incident, kind: 'clarification' })).id
  closedAt = (await append('notice.close', { notice: opened.id, resolution: 'Прекращено.' })).event
    .time
  const header = transcriptHeaderLine({
    format: TRANSCRIPT_FORMAT,
    channel: CHANNEL,
    exportedAt: T0 + 3_600_000,
    exportedBy: 'usa',
    parties: { usa: { keys: [{ id: 'usa#1', publicKey, validFrom: 0, validUntil: null }] } },
  })
  lines = [header.replace(/\n$/, ''), ...chain.map((signed) => eventLine(signed))]
  transcript = join(dir, 'channel.parley')
  writeFileSync(transcript, `${lines.join('\n')}\n`)
})

describe('parley stix', () => {
  it('prints the bundle of an incident notice and says how many indicators it left out', () => {
    const run = parley('stix', transcript, open.id)
    expect(run.stderr).toBe(
      '5 STIX objects; withheld 1 TLP:RED indicator(s); 1 indicator(s) with no STIX pattern left out\n',
    )
    expect(run.code).toBe(0)
    const bundle = JSON.parse(run.stdout)
    expect(bundle).toEqual(
      noticeToStix({ ...open, channelTitle: 'Working group', closedAt }).bundle,
    )
    expect(run.stdout).not.toContain('red@only.example')
    // The free text stays in Russian; the template's own words follow the notice's language.
    const incidentObject = bundle.objects.find((o: { type: string }) => o.type === 'incident')
    expect(incidentObject.description).toBe('Запрашиваемые меры: Прекратить сканирование.')
  })

  it('writes the bundle to --out instead, the same bytes', () => {
    const out = join(dir, 'bundle.json')
    const run = parley('stix', transcript, open.id, '--out', out)
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('')
    expect(readFileSync(out, 'utf8')).toBe(parley('stix', transcript, open.id).stdout)
  })

  it('refuses a notice the transcript does not hold, a notice that is no incident, a bad id', () => {
    const missing = parley('stix', transcript, 'e'.repeat(64))
    expect([missing.code, missing.stderr]).toEqual([
      2,
      `parley: STIX_NOTICE_NOT_IN_TRANSCRIPT: No notice ${'e'.repeat(64)} in ${transcript}\n`,
    ])
    const kind = parley('stix', transcript, clarification)
    expect(kind.code).toBe(2)
    expect(kind.stderr).toContain('STIX_KIND_NOT_EXPORTED')
    expect(kind.stderr).toContain('clarification')
    const usage = parley('stix', transcript, 'not-an-id')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('USAGE')
    expect(usage.stdout).toBe('')
  })

  it('exports nothing from a transcript that does not verify', () => {
    const tampered = join(dir, 'tampered.parley')
    writeFileSync(
      tampered,
      `${lines.map((line, i) => (i === 2 ? line.replace('Scanning', 'Probing') : line)).join('\n')}\n`,
    )
    const run = parley('stix', tampered, open.id)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('STIX_TRANSCRIPT_UNVERIFIED')
    expect(run.stdout).toBe('')
  })
})
