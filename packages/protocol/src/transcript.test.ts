import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { utf8 } from './bytes.ts'
import { generateKeyPair } from './crypto.ts'
import { makeEquivocationProof, verifyEquivocationProof } from './equivocation.ts'
import { createEvent, type EventFields, type Signer } from './event.ts'
import { signReceipt } from './receipt.ts'
import type { Event, SignedReceipt } from './schemas.ts'
import {
  checkTranscriptLine,
  equivocationLine,
  eventLine,
  type LineFact,
  MAX_REPORTED_FAILURES,
  parseTranscriptHeader,
  receiptLine,
  TRANSCRIPT_FORMAT,
  TranscriptAssessor,
  type TranscriptHeader,
  type TranscriptReport,
  transcriptHeaderLine,
  transcriptSegments,
  verifyTranscript,
} from './transcript.ts'

// ---- a small multi-party world that produces valid transcripts ----

const PARTY_IDS = ['usa', 'rus', 'osce', 'chn'] as const
const CHANNEL = 'ch_01JDXS4Q8ZK3M5N7P9R2T4V6W8'
const T0 = 1_764_277_200_000

interface Party {
  readonly id: string
  readonly signer: Signer
  readonly publicKey: string
}

let parties: Party[]

beforeAll(async () => {
  parties = await Promise.all(
    PARTY_IDS.map(async (id) => {
      const { publicKey, privateKey } = await generateKeyPair()
      return { id, publicKey, signer: { keyId: `${id}#1`, privateKey } }
    }),
  )
})

interface Signed {
  readonly event: Event
  readonly sig: string
  readonly id: string
}

/** One step of a random history: a party posts, or one party's node delivers to another's. */
type Step = { readonly post: number } | { readonly from: number; readonly to: number }

interface World {
  readonly header: TranscriptHeader
  readonly members: readonly Party[]
  readonly logs: ReadonlyMap<string, readonly Signed[]>
  readonly receipts: readonly SignedReceipt[]
  /** Header line first, then every event and receipt line in a random order. */
  readonly lines: readonly string[]
}

function headerFor(members: readonly Party[]): TranscriptHeader {
  return {
    format: TRANSCRIPT_FORMAT,
    channel: CHANNEL,
    exportedAt: T0 + 10_000_000,
    exportedBy: members[0]!.id,
    parties: Object.fromEntries(
      members.map((p) => [
        p.id,
        { keys: [{ id: p.signer.keyId, publicKey: p.publicKey, validFrom: 0, validUntil: null }] },
      ]),
    ),
  }
}

async function buildWorld(
  size: number,
  steps: readonly Step[],
  shuffleSeed: number,
): Promise<World> {
  const members = parties.slice(0, size)
  const logs = new Map<string, Signed[]>(members.map((p) => [p.id, []]))
  // seen.get(to).get(from): how much of from's log `to` has stored.
  const seen = new Map(members.map((p) => [p.id, new Map(members.map((q) => [q.id, 0]))]))
  const receipts: SignedReceipt[] = []
  let clock = T0

  const append = async (author: Party, fields: Pick<EventFields, 'type' | 'body'>) => {
    const log = logs.get(author.id)!
    const heads: Record<string, { seq: number; id: string }> = {}
    for (const [other, count] of seen.get(author.id)!) {
      if (other !== author.id && count > 0)
        heads[other] = { seq: count, id: logs.get(other)![count - 1]!.id }
    }
    clock += 1000
    const signed = await createEvent(
      {
        channel: CHANNEL,
        author: author.id,
        seq: log.length + 1,
        prev: log.at(-1)?.id ?? null,
        heads,
        time: clock,
        ...fields,
      } as EventFields,
      author.signer,
    )
    log.push(signed)
    seen.get(author.id)!.set(author.id, log.length)
  }
  const deliver = async (from: Party, to: Party) => {
    if (from === to) return
    const log = logs.get(from.id)!
    const fresh = log.slice(seen.get(to.id)!.get(from.id)!)
    if (fresh.length === 0) return
    seen.get(to.id)!.set(from.id, log.length)
    clock += 10
    receipts.push(
      await signReceipt(
        { events: fresh.map((e) => e.id), by: to.id, receivedAt: clock },
        to.signer,
      ),
    )
  }

  const [creator, ...others] = members
  await append(creator!, {
    type: 'channel.create',
    body: { title: 'Cyber hotline', members: members.map((p) => p.id), observers: [] },
  })
  const genesis = logs.get(creator!.id)![0]!.id
  for (const p of others) {
    await deliver(creator!, p)
    await append(p, { type: 'channel.join', body: { accepts: genesis } })
  }
  for (const step of steps) {
    if ('post' in step) {
      const author = members[step.post % size]!
      await append(author, {
        type: 'message.post',
        body: { text: `note ${clock}`, lang: 'en', urgency: 'routine', tlp: 'green' },
      })
    } else {
      await deliver(members[step.from % size]!, members[step.to % size]!)
    }
  }
  // Everyone ends up with everything, so every event is covered by someone's receipt.
  for (const from of members) for (const to of members) await deliver(from, to)

  const body = [...[...logs.values()].flat().map(eventLine), ...receipts.map(receiptLine)]
  return {
    header: headerFor(members),
    members,
    logs,
    receipts,
    lines: [transcriptHeaderLine(headerFor(members)), ...shuffle(body, shuffleSeed)],
  }
}

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items]
  let state = seed >>> 0 || 1
  for (let i = out.length - 1; i > 0; i--) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    const j = (state >>> 0) % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const textOf = (lines: readonly string[]) => `${lines.join('\n')}\n`
const verifyText = (text: string) => verifyTranscript(text.split('\n'))
const codes = (report: TranscriptReport) => report.failures.map((f) => f.code)

const worldArb = fc.record({
  size: fc.integer({ min: 2, max: 4 }),
  steps: fc.array(
    fc.oneof(fc.record({ post: fc.nat(3) }), fc.record({ from: fc.nat(3), to: fc.nat(3) })),
    { maxLength: 16 },
  ),
  shuffleSeed: fc.nat(),
})

const world = (arb: { size: number; steps: Step[]; shuffleSeed: number }) =>
  buildWorld(arb.size, arb.steps, arb.shuffleSeed)

const RUNS = { numRuns: 50 }

/** Lines of the transcript (1-based line numbers) that hold events. */
function eventLineNumbers(lines: readonly string[]): number[] {
  return lines.flatMap((line, i) => (line.startsWith('{"event":') ? [i + 1] : []))
}

// ---- properties ----

describe('verifyTranscript on valid transcripts', () => {
  it('accepts any valid multi-party transcript, whatever the order of its lines', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, async (arb) => {
        const w = await world(arb)
        const report = await verifyText(textOf(w.lines))
        expect(report.failures).toEqual([])
        expect(report.ok).toBe(true)
        const all = [...w.logs.values()].flat()
        expect(report.events).toBe(all.length)
        expect(report.receipts).toBe(w.receipts.length)
        expect(report.equivocations).toBe(0)
        for (const p of w.members) {
          const log = w.logs.get(p.id)!
          expect(report.parties[p.id]).toEqual({
            events: log.length,
            head: { seq: log.length, id: log.at(-1)!.id },
          })
        }
      }),
      RUNS,
    )
  })

  it('gives the same report from a byte stream cut into arbitrary chunks', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, fc.array(fc.nat(), { maxLength: 12 }), async (arb, cuts) => {
        const w = await world(arb)
        const bytes = utf8(textOf(w.lines))
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
        const chunks = [0, ...points].map((start, i) =>
          bytes.slice(start, [...points, bytes.length][i]),
        )
        const fromBytes = await verifyTranscript(transcriptSegments(chunks))
        expect(fromBytes).toEqual(await verifyText(textOf(w.lines)))
      }),
      { numRuns: 20 },
    )
  })

  it('the assessor reaches the same report whatever order the facts arrive in', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, fc.nat(), async (arb, seed) => {
        const w = await world(arb)
        const facts = await Promise.all(
          w.lines.slice(1).map((line, i) => checkTranscriptLine(w.header, line, i + 2)),
        )
        // Facts cross thread boundaries: they must survive structured cloning unchanged.
        expect(structuredClone(facts)).toEqual(facts)
        const assess = (list: readonly LineFact[]) => {
          const assessor = new TranscriptAssessor(w.header)
          for (const fact of list) assessor.add(fact)
          return assessor.finish({ lastLine: w.lines.length, endsWithNewline: true })
        }
        expect(assess(shuffle(facts, seed))).toEqual(assess(facts))
      }),
      { numRuns: 20 },
    )
  })
})

describe('verifyTranscript on damaged transcripts', () => {
  const FLIP_CODES = new Set([
    'TRANSCRIPT_MALFORMED',
    'UTF8_INVALID',
    'EVENT_MALFORMED',
    'TYPE_UNKNOWN',
    'KEY_UNKNOWN',
    'KEY_NOT_VALID_AT_TIME',
    'SIGNATURE_INVALID',
    'NUMBER_NOT_INTEGER',
    'NUMBER_OUT_OF_RANGE',
  ])

  it('catches any single flipped byte of any event line, at that line', async () => {
    await fc.assert(
      fc.asyncProperty(
        worldArb,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (arb, pickLine, pickByte, mask) => {
          const w = await world(arb)
          const targets = eventLineNumbers(w.lines)
          const line = targets[pickLine % targets.length]!
          const bytes = utf8(textOf(w.lines))
          const start = utf8(textOf(w.lines.slice(0, line - 1))).length
          const length = utf8(w.lines[line - 1]!).length
          bytes[start + (pickByte % length)]! ^= mask
          const report = await verifyTranscript(transcriptSegments([bytes]))
          expect(report.ok).toBe(false)
          const atLine = report.failures.filter((f) => f.line === line)
          expect(atLine.length).toBeGreaterThan(0)
          for (const failure of atLine) expect(FLIP_CODES).toContain(failure.code)
        },
      ),
      RUNS,
    )
  })

  it('catches a dropped event line through the gap, the heads or the receipts that need it', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, fc.nat(), async (arb, pick) => {
        const w = await world(arb)
        const targets = eventLineNumbers(w.lines)
        const line = targets[pick % targets.length]!
        const dropped = JSON.parse(w.lines[line - 1]!).event as Event
        const report = await verifyText(textOf(w.lines.filter((_, i) => i !== line - 1)))
        expect(report.ok).toBe(false)
        for (const code of codes(report)) {
          expect(['CHAIN_GAP', 'HEADS_EVENT_MISSING', 'RECEIPT_EVENT_MISSING']).toContain(code)
        }
        // Every other party received it, and receipted it.
        expect(codes(report)).toContain('RECEIPT_EVENT_MISSING')
        const log = w.logs.get(dropped.author)!
        if (dropped.seq < log.length) expect(codes(report)).toContain('CHAIN_GAP')
      }),
      RUNS,
    )
  })

  it('reports a header that is missing from line 1', async () => {
    const w = await buildWorld(2, [], 1)
    const report = await verifyText(textOf(w.lines.slice(1)))
    expect(report.ok).toBe(false)
    expect(report.failures).toMatchObject([{ code: 'TRANSCRIPT_MALFORMED', line: 1 }])
  })

  it('cannot notice a dropped receipt line, since nothing in the format refers to receipts', async () => {
    const w = await buildWorld(2, [{ post: 0 }], 1)
    const receiptAt = w.lines.findIndex((line) => line.startsWith('{"kind":"receipt"'))
    const report = await verifyText(textOf(w.lines.filter((_, i) => i !== receiptAt)))
    expect(report.ok).toBe(true)
    expect(report.receipts).toBe(w.receipts.length - 1)
  })

  it('reports a duplicated line once, at the later copy', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, fc.nat(), fc.nat(), async (arb, pick, at) => {
        const w = await world(arb)
        const copied = w.lines[pick % w.lines.length]!
        const lines = [...w.lines]
        lines.splice(1 + (at % lines.length), 0, copied)
        const later = lines.lastIndexOf(copied) + 1
        const report = await verifyText(textOf(lines))
        const expected = copied.startsWith('{"event":')
          ? 'TRANSCRIPT_DUPLICATE_EVENT'
          : copied.startsWith('{"kind":"receipt"')
            ? 'TRANSCRIPT_DUPLICATE_LINE'
            : 'TRANSCRIPT_MALFORMED' // a second header
        expect(report.failures).toMatchObject([{ code: expected, line: later }])
      }),
      RUNS,
    )
  })

  it('catches a chain whose author swapped two events, however the lines are ordered', async () => {
    const withChain = worldArb.filter((arb) =>
      arb.steps.some((s) => 'post' in s && s.post % arb.size === 0),
    )
    await fc.assert(
      fc.asyncProperty(withChain, fc.nat(), fc.nat(), async (arb, pick, seed) => {
        const w = await world(arb)
        const author = w.members[0]!
        const log = w.logs.get(author.id)!
        fc.pre(log.length >= 3)
        const k = 2 + (pick % (log.length - 2)) // swap seq k and k+1, both after the genesis
        const [a, b] = [log[k - 1]!.event, log[k]!.event]
        // The author re-signs each event under the other's seq, keeping its own prev.
        const swapped = await Promise.all([
          createEvent({ ...withoutSigned(b), seq: k } as EventFields, author.signer),
          createEvent({ ...withoutSigned(a), seq: k + 1 } as EventFields, author.signer),
        ])
        const replaced = new Set([eventLine(log[k - 1]!), eventLine(log[k]!)])
        const lines = [
          w.lines[0]!,
          ...shuffle(
            [...w.lines.slice(1).filter((l) => !replaced.has(l)), ...swapped.map(eventLine)],
            seed,
          ),
        ]
        const report = await verifyText(textOf(lines))
        expect(report.ok).toBe(false)
        expect(report.failures).toContainEqual(
          expect.objectContaining({ code: 'CHAIN_PREV_MISMATCH', eventId: swapped[0]!.id }),
        )
        for (const code of codes(report)) {
          expect(['CHAIN_PREV_MISMATCH', 'HEADS_CONFLICT', 'RECEIPT_EVENT_MISSING']).toContain(code)
        }
        expect(report.parties[author.id]!.head).toEqual({ seq: k - 1, id: log[k - 2]!.id })
      }),
      RUNS,
    )
  })

  it('reports a file cut off mid-line as truncated, at the cut line', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, fc.nat(), async (arb, pick) => {
        const w = await world(arb)
        const text = textOf(w.lines)
        let cut = 1 + (pick % (text.length - 1))
        if (text[cut - 1] === '\n') cut++ // end inside a line, not on a boundary
        const line = text.slice(0, cut).split('\n').length
        const report = await verifyText(text.slice(0, cut))
        expect(report.ok).toBe(false)
        expect(report.failures).toContainEqual(
          expect.objectContaining({ code: 'TRANSCRIPT_TRUNCATED', line }),
        )
      }),
      RUNS,
    )
  })
})

function withoutSigned(event: Event): Omit<Event, 'v' | 'key'> {
  const { v: _v, key: _key, ...fields } = event
  return fields
}

describe('reports of badly broken transcripts', () => {
  it('lists the first failures and counts them all, so memory stays bounded', async () => {
    const header = parseTranscriptHeader(
      transcriptHeaderLine({
        format: TRANSCRIPT_FORMAT,
        channel: CHANNEL,
        exportedAt: T0,
        exportedBy: 'usa',
        parties: {
          usa: {
            keys: [
              {
                id: 'usa#1',
                publicKey: (await generateKeyPair()).publicKey,
                validFrom: 0,
                validUntil: null,
              },
            ],
          },
        },
      }),
    )
    const assessor = new TranscriptAssessor(header)
    const broken = MAX_REPORTED_FAILURES + 25
    for (let line = 2; line < broken + 2; line++) {
      assessor.add({
        kind: 'failure',
        failure: { code: 'TRANSCRIPT_MALFORMED', message: 'not JSON', line },
      })
    }
    const report = assessor.finish({ lastLine: broken + 1, endsWithNewline: true })
    expect(report.ok).toBe(false)
    expect(report.failureCount).toBe(broken)
    expect(report.failures).toHaveLength(MAX_REPORTED_FAILURES)
    expect(report.failures[0]!.line).toBe(2)
  })
})

describe('forks', () => {
  it('an undeclared fork is a failure; its equivocation line proves it on its own', async () => {
    const withPosts = worldArb.filter((arb) => arb.steps.some((s) => 'post' in s))
    await fc.assert(
      fc.asyncProperty(withPosts, fc.nat(), async (arb, pick) => {
        const w = await world(arb)
        const posts = [...w.logs.values()].flat().filter((e) => e.event.type === 'message.post')
        const original = posts[pick % posts.length]!
        const author = w.members.find((p) => p.id === original.event.author)!
        const fields = withoutSigned(original.event) as EventFields & { body: { text: string } }
        const forked = await createEvent(
          {
            ...fields,
            body: { ...fields.body, text: `${fields.body.text}, amended` },
          } as EventFields,
          author.signer,
        )
        const proof = makeEquivocationProof(original, forked)
        const keys = (party: string) => w.header.parties[party]?.keys ?? []
        expect(await verifyEquivocationProof(proof, keys)).toMatchObject({
          ok: true,
          author: author.id,
          seq: original.event.seq,
        })

        const undeclared = await verifyText(textOf([...w.lines, eventLine(forked)]))
        expect(undeclared.failures).toMatchObject([
          { code: 'EQUIVOCATION_UNDECLARED', line: w.lines.length + 1 },
        ])

        const declared = await verifyText(
          textOf([...w.lines, eventLine(forked), equivocationLine(proof)]),
        )
        expect(declared.ok).toBe(false)
        expect(declared.equivocations).toBe(1)
        expect(declared.failures).toMatchObject([
          { code: 'EQUIVOCATION', line: w.lines.length + 2 },
        ])

        const proofOnly = await verifyText(textOf([...w.lines, equivocationLine(proof)]))
        expect(proofOnly.failures).toMatchObject([{ code: 'EQUIVOCATION' }])
      }),
      RUNS,
    )
  })

  it('rejects an equivocation line whose two events do not conflict', async () => {
    const w = await buildWorld(2, [{ post: 0 }, { post: 0 }], 7)
    const [, second, third] = w.logs.get('usa')!
    const bogus = { kind: 'equivocation', a: pick(second!), b: pick(third!) }
    const report = await verifyText(textOf([...w.lines, JSON.stringify(bogus)]))
    expect(report.failures).toMatchObject([
      { code: 'EQUIVOCATION_PROOF_INVALID', line: w.lines.length + 1 },
    ])
  })
})

function pick({ event, sig }: Signed) {
  return { event, sig }
}

// ---- single cases ----

describe('transcript lines', () => {
  it('rejects a header of another format, a non-header first line, and bad JSON at line 1', async () => {
    const w = await buildWorld(2, [], 1)
    const header = JSON.parse(w.lines[0]!)
    const cases: [string, string][] = [
      [JSON.stringify({ ...header, format: 'parley-transcript/2' }), 'parley-transcript/2'],
      [JSON.stringify({ ...header, extra: 1 }), 'unknown field'],
      [JSON.stringify({ ...header, exportedBy: 'fra' }), 'exportedBy'],
      [w.lines[1]!, 'must be the header'],
      ['{"format":', 'Unexpected end'],
    ]
    for (const [first, reason] of cases) {
      expect(() => parseTranscriptHeader(first)).toThrowError(
        expect.objectContaining({ code: 'TRANSCRIPT_MALFORMED' }),
      )
      const report = await verifyText(textOf([first, ...w.lines.slice(1)]))
      expect(report.failures).toHaveLength(1)
      expect(report.failures[0]).toMatchObject({ code: 'TRANSCRIPT_MALFORMED', line: 1 })
      expect(report.failures[0]!.message).toContain(reason)
    }
  })

  it('rejects a header that lists a key under another party', () => {
    const header = headerFor(parties.slice(0, 2))
    const usa = header.parties.usa!
    const bad = { ...header, parties: { ...header.parties, rus: { keys: [{ ...usa.keys[0]! }] } } }
    expect(() => transcriptHeaderLine(bad)).toThrowError(/usa#1 is not a key of rus/)
  })

  it('reports malformed lines with their line numbers and keeps checking the rest', async () => {
    const w = await buildWorld(2, [{ post: 1 }], 3)
    const lines = [
      ...w.lines,
      'not json',
      '',
      '[1,2]',
      '{"kind":"note","text":"hello"}',
      '{"kind":"event","event":{},"sig":"x","extra":true}',
      w.lines[0]!,
    ]
    const report = await verifyText(textOf(lines))
    const n = w.lines.length
    expect(report.failures.map((f) => [f.code, f.line])).toEqual([
      ['TRANSCRIPT_MALFORMED', n + 1],
      ['TRANSCRIPT_MALFORMED', n + 2],
      ['TRANSCRIPT_MALFORMED', n + 3],
      ['TRANSCRIPT_MALFORMED', n + 4],
      ['TRANSCRIPT_MALFORMED', n + 5],
      ['TRANSCRIPT_MALFORMED', n + 6],
    ])
    expect(report.events).toBe([...w.logs.values()].flat().length)
  })

  it('reports a line that is not signed JSON with its own code and keeps checking the rest', async () => {
    const w = await buildWorld(2, [{ post: 1 }], 3)
    const lines = [
      w.lines[0]!,
      '{"kind":"event","event":{"time":1764277262000.5},"sig":"x"}',
      '{"kind":"event","event":{"body":{"text":"\\u0000"}},"sig":"x"}',
      '{"kind":"event","event":{"body":{"text":"not agreed","text":"agreed"}},"sig":"x"}',
      '{"kind":"event","kind":"event","event":{},"sig":"x"}',
      ...w.lines.slice(1),
    ]
    const report = await verifyText(textOf(lines))
    expect(report.failures.map((f) => [f.code, f.line])).toEqual([
      ['NUMBER_NOT_INTEGER', 2],
      ['STRING_HAS_NUL', 3],
      ['JSON_DUPLICATE_NAME', 4],
      ['JSON_DUPLICATE_NAME', 5],
    ])
    expect(report.events).toBe([...w.logs.values()].flat().length)
  })

  it('reports invalid UTF-8 in a line as UTF8_INVALID at that line', async () => {
    const w = await buildWorld(2, [], 1)
    const text = utf8(textOf([...w.lines, '{"kind":"receipt"}']))
    const bad = new Uint8Array([...text.slice(0, -3), 0xff, ...text.slice(-2)])
    const report = await verifyTranscript(transcriptSegments([bad]))
    expect(report.failures).toMatchObject([{ code: 'UTF8_INVALID', line: w.lines.length + 1 }])
  })

  it('reports an event of another channel, even when correctly signed', async () => {
    const w = await buildWorld(2, [], 1)
    const usa = parties[0]!
    const foreign = await createEvent(
      {
        channel: 'ch_01JDXS4Q8ZK3M5N7P9R2T4V6W9',
        author: 'usa',
        seq: 1,
        prev: null,
        heads: {},
        time: T0,
        type: 'channel.create',
        body: { title: 'Elsewhere', members: ['usa', 'rus'], observers: [] },
      },
      usa.signer,
    )
    const report = await verifyText(textOf([...w.lines, eventLine(foreign)]))
    expect(report.failures).toMatchObject([
      { code: 'TRANSCRIPT_CHANNEL_MISMATCH', line: w.lines.length + 1, eventId: foreign.id },
    ])
  })

  it('checks heads against the chains: a wrong id conflicts, a seq beyond the chain is missing', async () => {
    const w = await buildWorld(2, [], 1)
    const rus = parties[1]!
    const rusLog = w.logs.get('rus')!
    const last = rusLog.at(-1)!
    const next = (heads: Record<string, { seq: number; id: string }>, seq: number, prev: string) =>
      createEvent(
        {
          channel: CHANNEL,
          author: 'rus',
          seq,
          prev,
          heads,
          time: T0 + 9_000_000,
          type: 'message.post',
          body: { text: 'hello', lang: 'en', urgency: 'flash', tlp: 'clear' },
        },
        rus.signer,
      )
    const conflicting = await next(
      { usa: { seq: 1, id: 'ab'.repeat(32) } },
      last.event.seq + 1,
      last.id,
    )
    const beyond = await next(
      { usa: { seq: 9, id: 'cd'.repeat(32) } },
      last.event.seq + 2,
      conflicting.id,
    )
    const report = await verifyText(textOf([...w.lines, eventLine(conflicting), eventLine(beyond)]))
    const n = w.lines.length
    expect(report.failures).toMatchObject([
      { code: 'HEADS_CONFLICT', line: n + 1, eventId: conflicting.id },
      { code: 'HEADS_EVENT_MISSING', line: n + 2, eventId: beyond.id },
    ])
  })

  it('checks receipts: a forged signature is invalid, an unknown event id is missing', async () => {
    const w = await buildWorld(2, [], 1)
    const rus = parties[1]!
    const ghost = 'ef'.repeat(32)
    const receipt = await signReceipt(
      { events: [ghost], by: 'rus', receivedAt: T0 + 5 },
      rus.signer,
    )
    const forged = { ...receipt, receipt: { ...receipt.receipt, receivedAt: T0 + 6 } }
    const report = await verifyText(textOf([...w.lines, receiptLine(receipt), receiptLine(forged)]))
    const n = w.lines.length
    expect(report.failures).toMatchObject([
      { code: 'RECEIPT_EVENT_MISSING', line: n + 1, eventId: ghost },
      { code: 'RECEIPT_INVALID', line: n + 2 },
    ])
  })

  it('rejects an event signed with a key outside its validity', async () => {
    const members = parties.slice(0, 2)
    const header = headerFor(members)
    const expired = {
      ...header,
      parties: {
        ...header.parties,
        usa: { keys: [{ ...header.parties.usa!.keys[0]!, validUntil: T0 }] },
      },
    }
    const w = await buildWorld(2, [], 1)
    const report = await verifyText(textOf([transcriptHeaderLine(expired), ...w.lines.slice(1)]))
    // usa's only event and its receipt are refused, so rus's heads and receipt point at nothing.
    expect(new Set(codes(report))).toEqual(
      new Set([
        'KEY_NOT_VALID_AT_TIME',
        'RECEIPT_INVALID',
        'HEADS_EVENT_MISSING',
        'RECEIPT_EVENT_MISSING',
      ]),
    )
    expect(report.failures.filter((f) => f.code === 'KEY_NOT_VALID_AT_TIME')).toHaveLength(1)
  })

  it('reports an empty transcript and one cut within its header', async () => {
    for (const text of ['', '{"format":"parley-tr']) {
      const report = await verifyText(text)
      expect(report.ok).toBe(false)
      expect(report.failures).toHaveLength(1)
      expect(report.failures[0]!.line).toBe(1)
    }
    expect((await verifyText('{"format":"parley-tr')).failures[0]!.code).toBe(
      'TRANSCRIPT_TRUNCATED',
    )
  })
})
