import { fromBase64Url, toHex } from './bytes.ts'
import { type ErrorDetails, ProtocolError, type ProtocolErrorCode } from './errors.ts'
import type {
  LineFact,
  TranscriptEnd,
  TranscriptHeader,
  TranscriptReport,
  VerifyFailure,
} from './transcript.ts'

/**
 * The sequential, structural half of transcript verification (DESIGN §4.8): chains, duplicates,
 * forks, heads and receipt coverage, over the compact facts that {@link checkTranscriptLine}
 * produces (in any order, possibly from worker threads). Memory stays small: per event it keeps
 * 32-byte ids and a few numbers in typed arrays, never the event itself.
 * @example
 * const assessor = new TranscriptAssessor(header)
 * for (const fact of facts) assessor.add(fact)
 * const report = assessor.finish({ lastLine: 42, endsWithNewline: true })
 */
/** How many failures a report lists at most; `failureCount` counts every one. */
export const MAX_REPORTED_FAILURES = 10_000

export class TranscriptAssessor {
  readonly #header: TranscriptHeader
  readonly #parties: readonly string[]
  readonly #partyIndex = new Map<string, number>()
  readonly #failures: VerifyFailure[] = []
  #failureCount = 0

  // Events, one record per distinct id; the record number is the id's position in #ids.
  readonly #ids = new IdTable(32)
  #author = new Uint16Array(1024)
  #seq = new Float64Array(1024)
  #time = new Float64Array(1024)
  #line = new Float64Array(1024)
  #prev = new Uint8Array(32 * 1024)
  #hasPrev = new Uint8Array(1024)

  // heads entries still to be checked against the chains, once all lines are in.
  #headCount = 0
  #headFrom = new Int32Array(256)
  #headParty = new Uint16Array(256)
  #headSeq = new Float64Array(256)
  #headId = new Uint8Array(32 * 256)
  // Consecutive events of an author usually repeat its heads: those are stored once.
  readonly #lastHead = new Map<string, string>()

  // Event ids that receipts cover, checked once all lines are in.
  #coveredCount = 0
  #covered = new Uint8Array(32 * 256)
  #coveredLine = new Float64Array(256)
  #coveredBy = new Uint16Array(256)
  // Stryker disable next-line ArrayDeclaration: a name stored at a start slot is never looked up, and each receipt's own name is found or added after it
  readonly #receiptBy: string[] = []
  readonly #receiptSigs = new IdTable(64)
  #receiptLine = new Float64Array(64)
  #receipts = 0

  // Proven forks: `author seq` → event ids, and each proof's pair of ids → its first line.
  readonly #proven = new Map<string, Set<string>>()
  readonly #proofs = new Map<string, Proof>()

  readonly #scratch = new Uint8Array(32)
  #finished = false

  constructor(header: TranscriptHeader) {
    this.#header = header
    // Stryker disable next-line MethodExpression: a header read from a transcript is canonical JSON, whose parties are already sorted
    this.#parties = Object.keys(header.parties).sort()
    for (const [i, party] of this.#parties.entries()) this.#partyIndex.set(party, i)
  }

  /** Takes the fact of one line (any line but the header), in any order. */
  add(fact: LineFact): void {
    if (this.#finished) throw new Error('TranscriptAssessor.add after finish')
    switch (fact.kind) {
      case 'failure':
        this.#record(fact.failure)
        return
      case 'event':
        this.#addEvent(fact)
        return
      case 'receipt':
        this.#addReceipt(fact)
        return
      case 'equivocation':
        this.#addEquivocation(fact)
        return
    }
  }

  /**
   * Runs the checks that need every line and returns the report. `end` says how the file ended:
   * a file whose last byte is not '\n' was cut off, and its unterminated last line (which the
   * caller must not check) is reported as `TRANSCRIPT_TRUNCATED`.
   */
  finish(end: TranscriptEnd): TranscriptReport {
    if (this.#finished) throw new Error('TranscriptAssessor.finish called twice')
    this.#finished = true
    if (!end.endsWithNewline) {
      this.#fail('TRANSCRIPT_TRUNCATED', end.lastLine, { line: end.lastLine })
    }
    const bySeq = this.#sortedByAuthorAndSeq()
    const parties = this.#checkChains(bySeq)
    this.#checkHeads(bySeq)
    this.#checkReceiptCoverage()
    this.#reportEquivocations()
    const failures = this.#failures.sort(
      // Stryker disable next-line ConditionalExpression,EqualityOperator: V8's sort reads only whether a comparison is below zero, so 0 and 1 for a later code order alike
      (a, b) => a.line - b.line || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
    )
    return {
      ok: this.#failureCount === 0,
      failureCount: this.#failureCount,
      events: this.#ids.size,
      receipts: this.#receipts,
      equivocations: this.#proofs.size,
      parties,
      failures,
    }
  }

  #fail(code: ProtocolErrorCode, line: number, details: ErrorDetails, eventId?: string): void {
    const { message } = new ProtocolError(code, details)
    // Stryker disable next-line ConditionalExpression: a failure with `eventId: undefined` is the same report, and the same JSON, as one without it
    this.#record(eventId === undefined ? { code, message, line } : { code, message, line, eventId })
  }

  // A transcript broken on every line must not hold a million failure objects in memory: the
  // report lists the first MAX_REPORTED_FAILURES and counts them all.
  #record(failure: VerifyFailure): void {
    this.#failureCount++
    if (this.#failures.length < MAX_REPORTED_FAILURES) this.#failures.push(failure)
  }

  #addEvent(fact: Extract<LineFact, { kind: 'event' }>): void {
    const author = this.#partyIndex.get(fact.author)
    if (author === undefined) {
      // checkTranscriptLine never lets such an event through (KEY_UNKNOWN); a fact made elsewhere may.
      const reason = `${fact.author} is not a party of the header`
      this.#fail('TRANSCRIPT_MALFORMED', fact.line, { line: fact.line, reason }, fact.id)
      return
    }
    writeHex(this.#scratch, 0, fact.id)
    const existing = this.#ids.find(this.#scratch, 0)
    if (existing >= 0) {
      // The same event twice: report the later line, whatever order the facts came in.
      const firstLine = this.#line[existing]!
      // Stryker disable next-line EqualityOperator: two facts never share a line
      const [first, again] = firstLine < fact.line ? [firstLine, fact.line] : [fact.line, firstLine]
      this.#line[existing] = first
      this.#fail(
        'TRANSCRIPT_DUPLICATE_EVENT',
        again,
        { eventId: fact.id, line: again, first },
        fact.id,
      )
      return
    }
    const record = this.#ids.insert(this.#scratch, 0)
    if (record >= this.#seq.length) this.#growEvents()
    this.#author[record] = author
    this.#seq[record] = fact.seq
    this.#time[record] = fact.time
    this.#line[record] = fact.line
    if (fact.prev !== null) {
      writeHex(this.#prev, record * 32, fact.prev)
      this.#hasPrev[record] = 1
    }
    for (const [party, head] of Object.entries(fact.heads)) {
      const target = this.#partyIndex.get(party)
      if (target === undefined) {
        this.#fail('HEADS_EVENT_MISSING', fact.line, { party, seq: head.seq }, fact.id)
        continue
      }
      const key = `${author} ${target}`
      const value = `${head.seq} ${head.id}`
      if (this.#lastHead.get(key) === value) continue
      this.#lastHead.set(key, value)
      this.#addHead(record, target, head.seq, head.id)
    }
  }

  #addHead(from: number, party: number, seq: number, id: string): void {
    if (this.#headCount === this.#headFrom.length) {
      const capacity = this.#headCount * 2
      this.#headFrom = grow(this.#headFrom, capacity)
      this.#headParty = grow(this.#headParty, capacity)
      this.#headSeq = grow(this.#headSeq, capacity)
      this.#headId = grow(this.#headId, capacity * 32)
    }
    const i = this.#headCount++
    this.#headFrom[i] = from
    this.#headParty[i] = party
    this.#headSeq[i] = seq
    writeHex(this.#headId, i * 32, id)
  }

  #addReceipt(fact: Extract<LineFact, { kind: 'receipt' }>): void {
    // Ed25519 signatures are deterministic: a repeated receipt line repeats its signature.
    const sig = fromBase64Url(fact.sig)
    const existing = this.#receiptSigs.find(sig, 0)
    if (existing >= 0) {
      const firstLine = this.#receiptLine[existing]!
      // Stryker disable next-line EqualityOperator: two facts never share a line
      const [first, again] = firstLine < fact.line ? [firstLine, fact.line] : [fact.line, firstLine]
      this.#receiptLine[existing] = first
      this.#fail('TRANSCRIPT_DUPLICATE_LINE', again, { line: again, first })
      return
    }
    const receipt = this.#receiptSigs.insert(sig, 0)
    if (receipt >= this.#receiptLine.length) {
      this.#receiptLine = grow(this.#receiptLine, this.#receiptLine.length * 2)
    }
    this.#receiptLine[receipt] = fact.line
    this.#receipts++
    let by = this.#receiptBy.indexOf(fact.by)
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a name stored twice is still the same name for every receipt that points at it
    if (by < 0) by = this.#receiptBy.push(fact.by) - 1
    for (const id of fact.events) {
      if (this.#coveredCount === this.#coveredLine.length) {
        const capacity = this.#coveredCount * 2
        this.#covered = grow(this.#covered, capacity * 32)
        this.#coveredLine = grow(this.#coveredLine, capacity)
        this.#coveredBy = grow(this.#coveredBy, capacity)
      }
      const i = this.#coveredCount++
      writeHex(this.#covered, i * 32, id)
      this.#coveredLine[i] = fact.line
      this.#coveredBy[i] = by
    }
  }

  #addEquivocation(fact: Extract<LineFact, { kind: 'equivocation' }>): void {
    const pair = [...fact.ids].sort().join(' ')
    const proof: Proof = {
      line: fact.line,
      author: fact.author,
      seq: fact.seq,
      eventId: fact.ids[0],
    }
    const known = this.#proofs.get(pair)
    if (known !== undefined) {
      // The same proof twice: the earlier line is the proof, the later one its repetition.
      // Stryker disable next-line EqualityOperator: two facts never share a line
      const [first, again] = known.line < fact.line ? [known, proof] : [proof, known]
      this.#proofs.set(pair, first)
      this.#fail('TRANSCRIPT_DUPLICATE_LINE', again.line, { line: again.line, first: first.line })
      return
    }
    this.#proofs.set(pair, proof)
    const slot = `${fact.author} ${fact.seq}`
    const ids = this.#proven.get(slot) ?? new Set<string>()
    this.#proven.set(slot, ids)
    for (const id of fact.ids) ids.add(id)
  }

  // A proven fork is not a defect of the transcript but of its author: it is reported with its
  // own code so that a reader can tell it from a broken file, at the first line that proves it
  // (known only once every line is in, since lines come in any order).
  #reportEquivocations(): void {
    const channel = this.#header.channel
    for (const { line, author, seq, eventId } of this.#proofs.values()) {
      this.#fail('EQUIVOCATION', line, { author, seq, channel }, eventId)
    }
  }

  #growEvents(): void {
    const capacity = this.#seq.length * 2
    this.#author = grow(this.#author, capacity)
    this.#seq = grow(this.#seq, capacity)
    this.#time = grow(this.#time, capacity)
    this.#line = grow(this.#line, capacity)
    this.#prev = grow(this.#prev, capacity * 32)
    this.#hasPrev = grow(this.#hasPrev, capacity)
  }

  /** Record numbers ordered by author, seq, then line: each author's chain, forks side by side. */
  #sortedByAuthorAndSeq(): Uint32Array {
    const order = new Uint32Array(this.#ids.size)
    // Stryker disable next-line EqualityOperator: a typed array ignores a write past its end
    for (let i = 0; i < order.length; i++) order[i] = i
    const author = this.#author
    const seq = this.#seq
    const line = this.#line
    return order.sort((a, b) => author[a]! - author[b]! || seq[a]! - seq[b]! || line[a]! - line[b]!)
  }

  #checkChains(order: Uint32Array): TranscriptReport['parties'] {
    const parties: Record<string, { events: number; head: { seq: number; id: string } | null }> = {}
    for (const party of this.#parties) parties[party] = { events: 0, head: null }
    let i = 0
    while (i < order.length) {
      const author = this.#author[order[i]!]!
      const party = this.#parties[author]!
      let expected = 1
      let intact = true // whether every seq so far is present and linked by prev
      let previous: number[] = []
      let head: number | undefined
      // Stryker disable next-line EqualityOperator: a read past the end of `order` is undefined, which matches no author
      while (i < order.length && this.#author[order[i]!] === author) {
        const seq = this.#seq[order[i]!]!
        const group: number[] = []
        while (
          // Stryker disable next-line EqualityOperator: a read past the end of `order` is undefined, which matches no author
          i < order.length &&
          this.#author[order[i]!] === author &&
          this.#seq[order[i]!] === seq
        ) {
          group.push(order[i++]!)
        }
        parties[party]!.events += group.length
        const linked = this.#checkLinks(party, seq, expected, group, previous)
        if (group.length > 1) this.#checkFork(party, seq, group)
        intact = intact && linked.length > 0
        if (intact) head = linked[0]
        previous = group
        expected = seq + 1
      }
      if (head !== undefined) {
        parties[party]!.head = { seq: this.#seq[head]!, id: this.#ids.hex(head) }
      }
    }
    return parties
  }

  /** Checks seq and prev of the events at one seq; returns those properly linked. */
  #checkLinks(
    author: string,
    seq: number,
    expected: number,
    group: readonly number[],
    previous: readonly number[],
  ): number[] {
    const first = group[0]!
    if (seq !== expected) {
      // One failure per hole; the events after it are checked against each other as usual.
      this.#fail('CHAIN_GAP', this.#line[first]!, { author, expected, seq }, this.#ids.hex(first))
      return []
    }
    const linked: number[] = []
    for (const record of group) {
      const predecessor =
        seq === 1
          ? this.#hasPrev[record] === 0
            ? -1
            : undefined
          : // Stryker disable next-line ConditionalExpression: an event without prev keeps 32 zero bytes there, and no event id is zero
            this.#hasPrev[record] === 1
            ? previous.find((p) => this.#ids.equals(p, this.#prev, record * 32))
            : undefined
      if (predecessor === undefined) {
        this.#fail(
          'CHAIN_PREV_MISMATCH',
          this.#line[record]!,
          { author, seq },
          this.#ids.hex(record),
        )
        continue
      }
      // Stryker disable next-line ConditionalExpression: at seq 1 the predecessor is -1, and a time compared with #time[-1] (undefined) is never earlier
      if (predecessor >= 0 && this.#time[record]! < this.#time[predecessor]!) {
        this.#fail(
          'TIME_INVALID',
          this.#line[record]!,
          { time: this.#time[record]!, reason: `earlier than ${author}'s previous event` },
          this.#ids.hex(record),
        )
        continue
      }
      linked.push(record)
    }
    return linked
  }

  /** Two or more different events in one slot must be backed by an equivocation line. */
  #checkFork(author: string, seq: number, group: readonly number[]): void {
    const proven = this.#proven.get(`${author} ${seq}`)
    const unproven = group.filter((record) => !proven?.has(this.#ids.hex(record)))
    if (unproven.length === 0) return
    const record = group[1]!
    this.#fail(
      'EQUIVOCATION_UNDECLARED',
      this.#line[record]!,
      { author, seq },
      this.#ids.hex(unproven[0]!),
    )
  }

  #checkHeads(order: Uint32Array): void {
    for (let h = 0; h < this.#headCount; h++) {
      const party = this.#headParty[h]!
      const seq = this.#headSeq[h]!
      const record = this.#ids.find(this.#headId, h * 32)
      if (record >= 0 && this.#author[record] === party && this.#seq[record] === seq) continue
      const from = this.#headFrom[h]!
      const details = { party: this.#parties[party]!, seq }
      const code = this.#holds(order, party, seq) ? 'HEADS_CONFLICT' : 'HEADS_EVENT_MISSING'
      this.#fail(code, this.#line[from]!, details, this.#ids.hex(from))
    }
  }

  /** Whether the transcript holds any event of `party` with `seq` (binary search in `order`). */
  #holds(order: Uint32Array, party: number, seq: number): boolean {
    let lo = 0
    let hi = order.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const r = order[mid]!
      const a = this.#author[r]!
      if (a < party || (a === party && this.#seq[r]! < seq)) lo = mid + 1
      else hi = mid
    }
    const r = order[lo]
    return r !== undefined && this.#author[r] === party && this.#seq[r] === seq
  }

  #checkReceiptCoverage(): void {
    for (let c = 0; c < this.#coveredCount; c++) {
      if (this.#ids.find(this.#covered, c * 32) >= 0) continue
      const eventId = toHex(this.#covered.subarray(c * 32, c * 32 + 32))
      const by = this.#receiptBy[this.#coveredBy[c]!]!
      this.#fail('RECEIPT_EVENT_MISSING', this.#coveredLine[c]!, { by, eventId }, eventId)
    }
  }
}

/**
 * A set of fixed-width byte keys (event ids, signatures) numbered in insertion order, by open
 * addressing. Keys are stored once, packed; the table holds only their numbers.
 */
class IdTable {
  readonly #width: number
  #keys: Uint8Array
  #slots = new Int32Array(1024) // 0: empty; otherwise key number + 1
  #size = 0
  // Ids are hashes an author can grind; a secret salt keeps chosen collisions from piling up.
  readonly #salt = globalThis.crypto.getRandomValues(new Uint32Array(2))

  constructor(width: number) {
    this.#width = width
    this.#keys = new Uint8Array(width * 512)
  }

  get size(): number {
    return this.#size
  }

  /** Number of the key at `bytes[offset..offset+width)`, or -1. */
  find(bytes: Uint8Array, offset: number): number {
    const mask = this.#slots.length - 1
    for (let slot = this.#hash(bytes, offset) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.#slots[slot]!
      if (entry === 0) return -1
      if (this.equals(entry - 1, bytes, offset)) return entry - 1
    }
  }

  /** Adds a key known to be absent; returns its number. */
  insert(bytes: Uint8Array, offset: number): number {
    const n = this.#size++
    if (n * this.#width === this.#keys.length) this.#keys = grow(this.#keys, this.#keys.length * 2)
    this.#keys.set(bytes.subarray(offset, offset + this.#width), n * this.#width)
    // Stryker disable next-line EqualityOperator: rehashing one key sooner changes speed only
    if (this.#size * 2 > this.#slots.length) this.#rehash(this.#slots.length * 2)
    else this.#place(n)
    return n
  }

  /** Whether key number `n` equals the bytes at `offset`. */
  equals(n: number, bytes: Uint8Array, offset: number): boolean {
    const keys = this.#keys
    const base = n * this.#width
    for (let i = 0; i < this.#width; i++) if (keys[base + i] !== bytes[offset + i]) return false
    return true
  }

  /** Lowercase hex of key number `n`. */
  hex(n: number): string {
    return toHex(this.#keys.subarray(n * this.#width, (n + 1) * this.#width))
  }

  #place(n: number): void {
    const mask = this.#slots.length - 1
    let slot = this.#hash(this.#keys, n * this.#width) & mask
    while (this.#slots[slot] !== 0) slot = (slot + 1) & mask
    this.#slots[slot] = n + 1
  }

  #rehash(capacity: number): void {
    this.#slots = new Int32Array(capacity)
    // Stryker disable next-line EqualityOperator: the extra slot points at the next key number, still zero bytes until that key is inserted, and no id or signature is zero
    for (let n = 0; n < this.#size; n++) this.#place(n)
  }

  #hash(bytes: Uint8Array, offset: number): number {
    let h = 0
    // Stryker disable next-line EqualityOperator: the words hashed change only how keys spread over slots, and probing finds a key wherever it lies
    for (let i = 0; i < 8; i += 4) {
      const word =
        (bytes[offset + i]! |
          (bytes[offset + i + 1]! << 8) |
          (bytes[offset + i + 2]! << 16) |
          (bytes[offset + i + 3]! << 24)) ^
        this.#salt[i >> 2]!
      h = Math.imul(h ^ word, 0x9e3779b1)
      h ^= h >>> 15
    }
    h = Math.imul(h, 0x85ebca77)
    return (h ^ (h >>> 13)) >>> 0
  }
}

/** A valid equivocation line: the fork it proves, and the line that first proved it. */
interface Proof {
  readonly line: number
  readonly author: string
  readonly seq: number
  readonly eventId: string
}

type TypedArray = Uint8Array | Uint16Array | Int32Array | Uint32Array | Float64Array

function grow<T extends TypedArray>(array: T, capacity: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(capacity)
  bigger.set(array)
  return bigger
}

// Stryker disable next-line UnaryOperator: only schema-checked lowercase hex digits are ever looked up
const HEX_VALUE = new Int8Array(128).fill(-1)
// Stryker disable next-line EqualityOperator: charCodeAt(16) is NaN, an index a typed array ignores
for (let i = 0; i < 16; i++) HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i

/** Writes 32 bytes from 64 lowercase hex digits (already schema-checked) into `target`. */
function writeHex(target: Uint8Array, offset: number, hex: string): void {
  // Stryker disable next-line EqualityOperator: the 33rd byte lands on the next record's first byte, which is written later or stays zero, or past the array's end
  for (let i = 0; i < 32; i++) {
    target[offset + i] =
      (HEX_VALUE[hex.charCodeAt(2 * i)]! << 4) | HEX_VALUE[hex.charCodeAt(2 * i + 1)]!
  }
}
