import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { LineFact, TranscriptHeader, TranscriptReport } from './transcript.ts'
import { TranscriptAssessor } from './transcript-assessor.ts'

// The assessor is the half of transcript verification that sees the whole file: chains, forks,
// heads and receipt coverage, over the facts that checkTranscriptLine produces (possibly in
// worker threads, in any order). These tests feed it facts directly, so a transcript can be as
// large as a real export (thousands of events, hundreds of receipts) and still run in a moment.

const CHANNEL = 'ch_01JDXS4Q8ZK3M5N7P9R2T4V6W8'
const T0 = 1_764_277_200_000

function headerOf(parties: readonly string[]): TranscriptHeader {
  const key = (party: string) => ({
    id: `${party}#1`,
    publicKey: 'A'.repeat(43),
    validFrom: 0,
    validUntil: null,
  })
  return {
    format: 'parley-transcript/1',
    channel: CHANNEL,
    exportedAt: T0,
    exportedBy: parties[0]!,
    parties: Object.fromEntries(parties.map((p) => [p, { keys: [key(p)] }])),
  }
}

/** A distinct 32-byte id (64 lowercase hex digits) for any name. */
const idOf = (name: string) => createHash('sha256').update(name).digest('hex')
/** A distinct 64-byte signature (base64url, as on a receipt line) for any name. */
const sigOf = (name: string) => createHash('sha512').update(name).digest().toString('base64url')

type EventFact = Extract<LineFact, { kind: 'event' }>
type ReceiptFact = Extract<LineFact, { kind: 'receipt' }>

interface Heads {
  readonly [party: string]: { readonly seq: number; readonly id: string }
}

function event(
  author: string,
  seq: number,
  line: number,
  fields: { prev?: string | null; time?: number; heads?: Heads; id?: string } = {},
): EventFact {
  return {
    kind: 'event',
    line,
    id: fields.id ?? idOf(`${author} ${seq}`),
    author,
    seq,
    prev:
      fields.prev === undefined ? (seq === 1 ? null : idOf(`${author} ${seq - 1}`)) : fields.prev,
    time: fields.time ?? T0 + seq * 1000,
    heads: fields.heads ?? {},
  }
}

const receipt = (by: string, line: number, events: readonly string[], name = `${by} ${line}`) =>
  ({ kind: 'receipt', line, by, sig: sigOf(name), events }) as ReceiptFact

const equivocation = (author: string, seq: number, line: number, ids: [string, string]) =>
  ({ kind: 'equivocation', line, author, seq, ids }) as LineFact

function assess(
  header: TranscriptHeader,
  facts: readonly LineFact[],
  end = { lastLine: Math.max(1, ...facts.map(lineOf)), endsWithNewline: true },
): TranscriptReport {
  const assessor = new TranscriptAssessor(header)
  for (const fact of facts) assessor.add(fact)
  return assessor.finish(end)
}

const lineOf = (fact: LineFact) => (fact.kind === 'failure' ? fact.failure.line : fact.line)
const located = (report: TranscriptReport) =>
  report.failures.map(({ code, line, eventId }) => ({ code, line, eventId }))

/** Reorders facts by a xorshift seed: the assessor takes lines in any order. */
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

// ---- a large, valid transcript ----

const BIG_PARTIES = ['chn', 'osce', 'rus', 'usa'] as const
const PER_PARTY = 1_200
const RECEIPT_EVERY = 12

interface Big {
  readonly header: TranscriptHeader
  readonly facts: readonly LineFact[]
  /** For each event id: the lines whose heads name it, and the line of the receipt that covers it. */
  readonly headsAt: ReadonlyMap<string, number[]>
  readonly receiptAt: ReadonlyMap<string, { line: number; by: string }>
  readonly lastLine: number
}

/**
 * Four parties take turns posting; every event names the others' latest events in its heads,
 * and each party's events are receipted in batches by the next party. 4,800 events, 19,000
 * heads entries and 400 receipts: far beyond every initial table of the assessor.
 */
function bigTranscript(): Big {
  const facts: LineFact[] = []
  const headsAt = new Map<string, number[]>()
  const receiptAt = new Map<string, { line: number; by: string }>()
  let line = 1
  const pending = new Map<string, string[]>(BIG_PARTIES.map((p) => [p, []]))
  for (let seq = 1; seq <= PER_PARTY; seq++) {
    for (const [a, author] of BIG_PARTIES.entries()) {
      const heads: Record<string, { seq: number; id: string }> = {}
      for (const [b, other] of BIG_PARTIES.entries()) {
        // Parties before this author in the turn already posted this round.
        const seen = b < a ? seq : seq - 1
        if (other === author || seen === 0) continue
        const id = idOf(`${other} ${seen}`)
        heads[other] = { seq: seen, id }
      }
      line++
      for (const { id } of Object.values(heads)) headsAt.set(id, [...(headsAt.get(id) ?? []), line])
      facts.push(event(author, seq, line, { heads }))
      const batch = pending.get(author)!
      batch.push(idOf(`${author} ${seq}`))
      if (batch.length === RECEIPT_EVERY) {
        const by = BIG_PARTIES[(a + 1) % BIG_PARTIES.length]!
        line++
        for (const id of batch) receiptAt.set(id, { line, by })
        facts.push(receipt(by, line, batch.splice(0)))
      }
    }
  }
  return { header: headerOf(BIG_PARTIES), facts, headsAt, receiptAt, lastLine: line }
}

describe('TranscriptAssessor on a large transcript', () => {
  const big = bigTranscript()
  const end = { lastLine: big.lastLine, endsWithNewline: true }

  it('accepts thousands of events, heads and receipts, in any order of lines', () => {
    const expected: TranscriptReport = {
      ok: true,
      failureCount: 0,
      events: BIG_PARTIES.length * PER_PARTY,
      receipts: (BIG_PARTIES.length * PER_PARTY) / RECEIPT_EVERY,
      equivocations: 0,
      parties: Object.fromEntries(
        BIG_PARTIES.map((p) => [
          p,
          { events: PER_PARTY, head: { seq: PER_PARTY, id: idOf(`${p} ${PER_PARTY}`) } },
        ]),
      ),
      failures: [],
    }
    expect(assess(big.header, big.facts, end)).toEqual(expected)
    expect(assess(big.header, shuffle(big.facts, 20_261_207), end)).toEqual(expected)
  })

  it('reports a dropped event at every line that needs it, and ends its author’s head before it', () => {
    // A late event of rus: it lies beyond every table's first growth.
    const seq = 1_000
    const dropped = idOf(`rus ${seq}`)
    const facts = big.facts.filter((f) => !(f.kind === 'event' && f.id === dropped))
    const next = facts.find((f) => f.kind === 'event' && f.author === 'rus' && f.seq === seq + 1)!
    const { line: receiptLine, by } = big.receiptAt.get(dropped)!
    const expected = [
      { code: 'CHAIN_GAP', line: lineOf(next), eventId: idOf(`rus ${seq + 1}`) },
      ...big.headsAt.get(dropped)!.map((line) => ({
        code: 'HEADS_EVENT_MISSING',
        line,
        eventId: (facts.find((f) => lineOf(f) === line) as EventFact).id,
      })),
      { code: 'RECEIPT_EVENT_MISSING', line: receiptLine, eventId: dropped },
    ].sort((a, b) => a.line - b.line)

    const report = assess(big.header, shuffle(facts, 7), end)
    expect(located(report)).toEqual(expected)
    expect(report.failureCount).toBe(expected.length)
    expect(report.events).toBe(BIG_PARTIES.length * PER_PARTY - 1)
    expect(report.parties.rus).toEqual({
      events: PER_PARTY - 1,
      head: { seq: seq - 1, id: idOf(`rus ${seq - 1}`) },
    })
    expect(report.parties.usa!.head).toEqual({ seq: PER_PARTY, id: idOf(`usa ${PER_PARTY}`) })
    const gap = report.failures.find((f) => f.code === 'CHAIN_GAP')!
    expect(gap.message).toBe(`Expected seq ${seq} from rus, got ${seq + 1}`)
    const missing = report.failures.find((f) => f.code === 'RECEIPT_EVENT_MISSING')!
    expect(missing.message).toBe(
      `Receipt by ${by} covers event ${dropped}, which the transcript does not hold`,
    )
  })

  it('finds a repeated event or receipt line among thousands, and names the first copy', () => {
    const lateEvent = big.facts.find(
      (f) => f.kind === 'event' && f.author === 'osce' && f.seq === 1_100,
    )!
    const lateReceipt = big.facts.filter((f) => f.kind === 'receipt').at(-3)!
    const again = big.lastLine + 1
    const facts = [...big.facts, { ...lateEvent, line: again }, { ...lateReceipt, line: again + 1 }]
    const report = assess(big.header, shuffle(facts, 99), {
      lastLine: again + 1,
      endsWithNewline: true,
    })
    const id = idOf('osce 1100')
    expect(report.failures).toEqual([
      {
        code: 'TRANSCRIPT_DUPLICATE_EVENT',
        message: `Event ${id} on line ${again} already appears on line ${lineOf(lateEvent)}`,
        line: again,
        eventId: id,
      },
      {
        code: 'TRANSCRIPT_DUPLICATE_LINE',
        message: `Line ${again + 1} repeats line ${lineOf(lateReceipt)}`,
        line: again + 1,
      },
    ])
    expect(report.events).toBe(BIG_PARTIES.length * PER_PARTY)
    expect(report.receipts).toBe((BIG_PARTIES.length * PER_PARTY) / RECEIPT_EVERY)
  })

  it('names the first copy of a repeated receipt on either side of each growth of its table', () => {
    const receipts = big.facts.filter((f) => f.kind === 'receipt')
    const picked = [0, 63, 64, 65, 127, 128, 255, 256, 399].map((i) => receipts[i]!)
    const repeats = picked.map((f, i) => ({ ...f, line: big.lastLine + 1 + i }))
    const end = { lastLine: big.lastLine + repeats.length, endsWithNewline: true }
    const expected = picked.map((f, i) => ({
      code: 'TRANSCRIPT_DUPLICATE_LINE',
      message: `Line ${big.lastLine + 1 + i} repeats line ${lineOf(f)}`,
      line: big.lastLine + 1 + i,
    }))
    // In file order, the receipts picked are the first, 64th, 65th... that the table takes in.
    for (const facts of [[...big.facts, ...repeats], shuffle([...big.facts, ...repeats], 5)]) {
      const report = assess(big.header, facts, end)
      expect(report.failures).toEqual(expected)
      expect(report.receipts).toBe(receipts.length)
    }
  })

  it('tells a heads entry that contradicts a chain from one that names an event not held', () => {
    // One more event of each party, naming every seq of every other party with a wrong id:
    // seqs the transcript holds conflict, the one beyond each chain is missing.
    const extra: LineFact[] = []
    let line = big.lastLine
    const expected: { code: string; line: number; party: string; seq: number }[] = []
    for (const [a, author] of BIG_PARTIES.entries()) {
      const other = BIG_PARTIES[(a + 1) % BIG_PARTIES.length]!
      for (const [k, seq] of [
        1,
        2,
        PER_PARTY / 2,
        PER_PARTY - 1,
        PER_PARTY,
        PER_PARTY + 10,
      ].entries()) {
        line++
        extra.push(
          event(author, PER_PARTY + 1 + k, line, {
            id: idOf(`${author} extra ${k}`),
            prev: k === 0 ? idOf(`${author} ${PER_PARTY}`) : idOf(`${author} extra ${k - 1}`),
            heads: { [other]: { seq, id: idOf(`wrong ${other} ${seq}`) } },
          }),
        )
        const code = seq <= PER_PARTY ? 'HEADS_CONFLICT' : 'HEADS_EVENT_MISSING'
        expected.push({ code, line, party: other, seq })
      }
    }
    const report = assess(big.header, shuffle([...big.facts, ...extra], 3), {
      lastLine: line,
      endsWithNewline: true,
    })
    expect(report.failures.map((f) => ({ code: f.code, line: f.line }))).toEqual(
      expected.map(({ code, line }) => ({ code, line })),
    )
    for (const [i, { code, party, seq }] of expected.entries()) {
      const message =
        code === 'HEADS_CONFLICT'
          ? `heads entry for ${party} (seq ${seq}) does not match the receiver’s chain`
          : `heads entry for ${party} names seq ${seq}, which the transcript does not hold`
      expect(report.failures[i]!.message).toBe(message)
    }
  })
})

// ---- single cases, as an auditor reads them ----

const SMALL = headerOf(['rus', 'usa'])

describe('TranscriptAssessor, line by line', () => {
  it('orders failures by line, and those of one line by code, whatever order they were found in', () => {
    // Line 3: rus seq 3 follows a hole (CHAIN_GAP, found at the end) and names a party that is
    // not in the header (HEADS_EVENT_MISSING, found as the line comes in).
    const facts: LineFact[] = [
      { kind: 'failure', failure: { code: 'TRANSCRIPT_MALFORMED', message: 'not JSON', line: 5 } },
      event('rus', 3, 3, { heads: { fra: { seq: 1, id: idOf('fra 1') } } }),
      event('rus', 1, 2),
      event('usa', 1, 4),
    ]
    const report = assess(SMALL, facts, { lastLine: 6, endsWithNewline: false })
    expect(report.failures).toEqual([
      {
        code: 'CHAIN_GAP',
        message: 'Expected seq 2 from rus, got 3',
        line: 3,
        eventId: idOf('rus 3'),
      },
      {
        code: 'HEADS_EVENT_MISSING',
        message: 'heads entry for fra names seq 1, which the transcript does not hold',
        line: 3,
        eventId: idOf('rus 3'),
      },
      { code: 'TRANSCRIPT_MALFORMED', message: 'not JSON', line: 5 },
      {
        code: 'TRANSCRIPT_TRUNCATED',
        message: 'Transcript ends in the middle of line 6',
        line: 6,
      },
    ])
    expect(report.ok).toBe(false)
    expect(report.failureCount).toBe(4)
    expect(report.parties).toEqual({
      rus: { events: 2, head: { seq: 1, id: idOf('rus 1') } },
      usa: { events: 1, head: { seq: 1, id: idOf('usa 1') } },
    })
  })

  it('refuses an event whose author is not a party of the header, and counts it nowhere', () => {
    const report = assess(SMALL, [event('usa', 1, 2), event('fra', 1, 3)])
    expect(report.failures).toEqual([
      {
        code: 'TRANSCRIPT_MALFORMED',
        message: 'Transcript line 3 is malformed: fra is not a party of the header',
        line: 3,
        eventId: idOf('fra 1'),
      },
    ])
    expect(report.events).toBe(1)
    expect(Object.keys(report.parties)).toEqual(['rus', 'usa'])
  })

  it('reports a repeated event at the later line even when the later copy arrives first', () => {
    const facts = [event('usa', 1, 9), event('usa', 1, 4), event('usa', 1, 7)]
    const report = assess(SMALL, facts)
    expect(located(report)).toEqual([
      { code: 'TRANSCRIPT_DUPLICATE_EVENT', line: 7, eventId: idOf('usa 1') },
      { code: 'TRANSCRIPT_DUPLICATE_EVENT', line: 9, eventId: idOf('usa 1') },
    ])
    expect(report.failures.map((f) => f.message)).toEqual([
      `Event ${idOf('usa 1')} on line 7 already appears on line 4`,
      `Event ${idOf('usa 1')} on line 9 already appears on line 4`,
    ])
    expect(report.events).toBe(1)
  })

  it('reports a repeated receipt or equivocation line at the later copy, naming the first', () => {
    const fork: [string, string] = [idOf('usa 1'), idOf('usa 1 bis')]
    const facts: LineFact[] = [
      event('usa', 1, 2),
      event('usa', 1, 3, { id: fork[1] }),
      receipt('rus', 8, [idOf('usa 1')], 'r'),
      receipt('rus', 5, [idOf('usa 1')], 'r'),
      equivocation('usa', 1, 9, [fork[1], fork[0]]),
      equivocation('usa', 1, 6, fork),
    ]
    const report = assess(SMALL, facts)
    expect(report.failures.map(({ code, line, message }) => ({ code, line, message }))).toEqual([
      {
        code: 'EQUIVOCATION',
        line: 6,
        message: `usa signed two different events with seq 1 in channel ${CHANNEL}`,
      },
      { code: 'TRANSCRIPT_DUPLICATE_LINE', line: 8, message: 'Line 8 repeats line 5' },
      { code: 'TRANSCRIPT_DUPLICATE_LINE', line: 9, message: 'Line 9 repeats line 6' },
    ])
    expect(report.failures[0]!.eventId).toBe(fork[0])
    expect(report.receipts).toBe(1)
    expect(report.equivocations).toBe(1)
    // The same lines with each first copy arriving first.
    expect(assess(SMALL, [...facts].reverse())).toEqual(report)
  })

  it('reports an event earlier than its predecessor, and ends the chain’s head before it', () => {
    const facts = [
      event('usa', 1, 2, { time: T0 + 5000 }),
      event('usa', 2, 3, { time: T0 + 4999 }),
      event('usa', 3, 4, { time: T0 + 6000 }),
      event('rus', 1, 5, { time: T0 }),
      event('rus', 2, 6, { time: T0 }),
    ]
    const report = assess(SMALL, facts)
    expect(report.failures).toEqual([
      {
        code: 'TIME_INVALID',
        message: `Event time ${T0 + 4999} is earlier than usa's previous event`,
        line: 3,
        eventId: idOf('usa 2'),
      },
    ])
    // An equal time is not earlier; the chain after a refused event has no head beyond it.
    expect(report.parties).toEqual({
      rus: { events: 2, head: { seq: 2, id: idOf('rus 2') } },
      usa: { events: 3, head: { seq: 1, id: idOf('usa 1') } },
    })
  })

  it('checks prev at seq 1 and after it: none at the start, the previous event’s id later', () => {
    const facts = [
      event('usa', 1, 2, { prev: idOf('usa 0') }),
      event('rus', 1, 3),
      event('rus', 2, 4, { prev: null }),
      event('rus', 3, 5, { prev: idOf('usa 2') }),
    ]
    const report = assess(SMALL, facts)
    expect(
      report.failures.map(({ code, line, eventId, message }) => ({ code, line, eventId, message })),
    ).toEqual([
      {
        code: 'CHAIN_PREV_MISMATCH',
        line: 2,
        eventId: idOf('usa 1'),
        message: 'prev of usa seq 1 does not match the stored chain',
      },
      {
        code: 'CHAIN_PREV_MISMATCH',
        line: 4,
        eventId: idOf('rus 2'),
        message: 'prev of rus seq 2 does not match the stored chain',
      },
      {
        code: 'CHAIN_PREV_MISMATCH',
        line: 5,
        eventId: idOf('rus 3'),
        message: 'prev of rus seq 3 does not match the stored chain',
      },
    ])
    expect(report.parties).toEqual({
      rus: { events: 3, head: { seq: 1, id: idOf('rus 1') } },
      usa: { events: 1, head: null },
    })
  })

  it('holds a fork undeclared until every event of its slot is in an equivocation line', () => {
    const a = idOf('usa 2')
    const b = idOf('usa 2 bis')
    const c = idOf('usa 2 ter')
    const chain = [event('usa', 1, 2), event('usa', 2, 3), event('usa', 2, 4, { id: b })]
    const third = event('usa', 2, 5, { id: c })

    const proven = assess(SMALL, [...chain, equivocation('usa', 2, 6, [a, b])])
    expect(located(proven)).toEqual([{ code: 'EQUIVOCATION', line: 6, eventId: a }])
    expect(proven.equivocations).toBe(1)
    // Both events of the fork follow usa seq 1, so the chain's head is the first of them.
    expect(proven.parties.usa).toEqual({ events: 3, head: { seq: 2, id: a } })

    const partly = assess(SMALL, [...chain, third, equivocation('usa', 2, 6, [b, a])])
    expect(located(partly)).toEqual([
      { code: 'EQUIVOCATION_UNDECLARED', line: 4, eventId: c },
      { code: 'EQUIVOCATION', line: 6, eventId: b },
    ])
    expect(partly.failures[0]!.message).toContain('usa')

    const undeclared = assess(SMALL, chain)
    expect(located(undeclared)).toEqual([{ code: 'EQUIVOCATION_UNDECLARED', line: 4, eventId: a }])
  })

  it('reports each of two different proven forks at its own line, and counts both', () => {
    // A fork of usa at seq 2 and one of rus at seq 1, each proven by its own line; a third
    // event in usa's slot is proven by a second pair that shares one id with the first.
    const usa = [idOf('usa 2'), idOf('usa 2 bis'), idOf('usa 2 ter')] as const
    const rus = [idOf('rus 1'), idOf('rus 1 bis')] as const
    const facts: LineFact[] = [
      event('usa', 1, 2),
      event('usa', 2, 3),
      event('usa', 2, 4, { id: usa[1] }),
      event('usa', 2, 5, { id: usa[2] }),
      event('rus', 1, 6),
      event('rus', 1, 7, { id: rus[1] }),
      equivocation('usa', 2, 8, [usa[0], usa[1]]),
      equivocation('rus', 1, 9, [rus[1], rus[0]]),
      equivocation('usa', 2, 10, [usa[2], usa[0]]),
    ]
    const expected = [
      { code: 'EQUIVOCATION', line: 8, eventId: usa[0] },
      { code: 'EQUIVOCATION', line: 9, eventId: rus[1] },
      { code: 'EQUIVOCATION', line: 10, eventId: usa[2] },
    ]
    for (const seed of [1, 2, 3]) {
      const report = assess(SMALL, shuffle(facts, seed))
      expect(located(report)).toEqual(expected)
      expect(report.failures.map((f) => f.message)).toEqual([
        `usa signed two different events with seq 2 in channel ${CHANNEL}`,
        `rus signed two different events with seq 1 in channel ${CHANNEL}`,
        `usa signed two different events with seq 2 in channel ${CHANNEL}`,
      ])
      expect(report.equivocations).toBe(3)
      expect(report.parties).toEqual({
        rus: { events: 2, head: { seq: 1, id: rus[0] } },
        usa: { events: 4, head: { seq: 2, id: usa[0] } },
      })
    }
  })

  it('finds a heads entry in conflict when it names a held event under another party or seq', () => {
    // Each heads entry names an id the transcript holds, but not at the party and seq it claims.
    const facts = [
      event('usa', 1, 2),
      event('usa', 2, 3),
      event('rus', 1, 4, { heads: { usa: { seq: 2, id: idOf('usa 1') } } }),
      event('rus', 2, 5, { heads: { usa: { seq: 1, id: idOf('rus 1') } } }),
      event('rus', 3, 6, { heads: { usa: { seq: 7, id: idOf('usa 2') } } }),
      event('rus', 4, 7, { heads: { usa: { seq: 2, id: idOf('usa 2') } } }),
    ]
    const report = assess(SMALL, facts)
    expect(report.failures).toEqual([
      {
        code: 'HEADS_CONFLICT',
        message: 'heads entry for usa (seq 2) does not match the receiver’s chain',
        line: 4,
        eventId: idOf('rus 1'),
      },
      {
        code: 'HEADS_CONFLICT',
        message: 'heads entry for usa (seq 1) does not match the receiver’s chain',
        line: 5,
        eventId: idOf('rus 2'),
      },
      {
        code: 'HEADS_EVENT_MISSING',
        message: 'heads entry for usa names seq 7, which the transcript does not hold',
        line: 6,
        eventId: idOf('rus 3'),
      },
    ])
  })

  it('reports a heads entry for a seq no event holds as missing, beside other parties and in a hole', () => {
    // rus posted nothing, though usa holds a seq 1; usa's own chain skips seq 3.
    const facts = [
      event('usa', 1, 2),
      event('usa', 2, 3),
      event('usa', 4, 4, { prev: idOf('usa 3') }),
      event('usa', 5, 5, { heads: { rus: { seq: 1, id: idOf('rus 1') } } }),
    ]
    const three = headerOf(['chn', 'rus', 'usa'])
    const withHole = [
      ...facts,
      event('chn', 1, 6, { heads: { usa: { seq: 3, id: idOf('usa 3') } } }),
    ]
    const report = assess(three, withHole)
    expect(located(report)).toEqual([
      { code: 'CHAIN_GAP', line: 4, eventId: idOf('usa 4') },
      { code: 'HEADS_EVENT_MISSING', line: 5, eventId: idOf('usa 5') },
      { code: 'HEADS_EVENT_MISSING', line: 6, eventId: idOf('chn 1') },
    ])
    expect(report.failures.slice(1).map((f) => f.message)).toEqual([
      'heads entry for rus names seq 1, which the transcript does not hold',
      'heads entry for usa names seq 3, which the transcript does not hold',
    ])
    expect(report.parties).toEqual({
      chn: { events: 1, head: { seq: 1, id: idOf('chn 1') } },
      rus: { events: 0, head: null },
      usa: { events: 4, head: { seq: 2, id: idOf('usa 2') } },
    })
  })

  it('reports a heads entry that an author repeats on consecutive events once, at its first line', () => {
    const wrong = { usa: { seq: 1, id: idOf('not usa 1') } }
    const facts = [
      event('usa', 1, 2),
      event('rus', 1, 3, { heads: wrong }),
      event('rus', 2, 4, { heads: wrong }),
      event('rus', 3, 5, { heads: { usa: { seq: 1, id: idOf('usa 1') } } }),
      event('rus', 4, 6, { heads: wrong }),
    ]
    const report = assess(SMALL, facts)
    expect(located(report)).toEqual([
      { code: 'HEADS_CONFLICT', line: 3, eventId: idOf('rus 1') },
      { code: 'HEADS_CONFLICT', line: 6, eventId: idOf('rus 4') },
    ])
  })

  it('reports the same wrong heads entry once for each author that makes it', () => {
    const wrong = { usa: { seq: 1, id: idOf('not usa 1') } }
    const facts = [
      event('usa', 1, 2),
      event('rus', 1, 3, { heads: wrong }),
      event('chn', 1, 4, { heads: wrong }),
      event('chn', 2, 5, { heads: wrong }),
    ]
    const report = assess(headerOf(['chn', 'rus', 'usa']), facts)
    expect(located(report)).toEqual([
      { code: 'HEADS_CONFLICT', line: 3, eventId: idOf('rus 1') },
      { code: 'HEADS_CONFLICT', line: 4, eventId: idOf('chn 1') },
    ])
  })

  it('names the party whose receipt covers an event the transcript does not hold', () => {
    const ghost = idOf('ghost')
    const facts = [
      event('usa', 1, 2),
      receipt('usa', 3, [idOf('usa 1')]),
      receipt('rus', 4, [idOf('usa 1'), ghost]),
      receipt('usa', 5, [ghost]),
    ]
    const report = assess(SMALL, facts)
    expect(report.failures).toEqual([
      {
        code: 'RECEIPT_EVENT_MISSING',
        message: `Receipt by rus covers event ${ghost}, which the transcript does not hold`,
        line: 4,
        eventId: ghost,
      },
      {
        code: 'RECEIPT_EVENT_MISSING',
        message: `Receipt by usa covers event ${ghost}, which the transcript does not hold`,
        line: 5,
        eventId: ghost,
      },
    ])
    expect(report.receipts).toBe(3)
  })

  it('gives an empty transcript a report with every party and no head', () => {
    expect(assess(SMALL, [], { lastLine: 1, endsWithNewline: true })).toEqual({
      ok: true,
      failureCount: 0,
      events: 0,
      receipts: 0,
      equivocations: 0,
      parties: { rus: { events: 0, head: null }, usa: { events: 0, head: null } },
      failures: [],
    } satisfies TranscriptReport)
  })

  it('refuses to take lines after its report, or to report twice', () => {
    const assessor = new TranscriptAssessor(SMALL)
    assessor.add(event('usa', 1, 2))
    const report = assessor.finish({ lastLine: 2, endsWithNewline: true })
    expect(report.events).toBe(1)
    expect(() => assessor.add(event('usa', 2, 3))).toThrowError(
      'TranscriptAssessor.add after finish',
    )
    expect(() => assessor.finish({ lastLine: 3, endsWithNewline: true })).toThrowError(
      'TranscriptAssessor.finish called twice',
    )
  })
})
