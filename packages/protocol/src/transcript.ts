import { type Static, Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { concatBytes, decodeUtf8 } from './bytes.ts'
import { canonicalJson } from './canonical-json.ts'
import { verifyEquivocationProof } from './equivocation.ts'
import { isProtocolError, ProtocolError } from './errors.ts'
import { describeSchemaError } from './event.ts'
import { authenticateEventLine } from './event-line.ts'
import { parseJson } from './json-text.ts'
import { verifyReceipt } from './receipt.ts'
import {
  ChannelIdSchema,
  type EquivocationProof,
  PartyIdSchema,
  type PartyKey,
  PartyKeySchema,
  type SignedEvent,
  type SignedReceipt,
  TimeSchema,
} from './schemas.ts'
import { eventId } from './signing.ts'
import { TranscriptAssessor } from './transcript-assessor.ts'
import { type Checked, checkSignedEvent } from './validate.ts'

export { MAX_REPORTED_FAILURES, TranscriptAssessor } from './transcript-assessor.ts'

/** The `format` of a transcript header (DESIGN §4.8). */
export const TRANSCRIPT_FORMAT = 'parley-transcript/1'

/** Line 1 of a transcript: the channel and every party's keys, so it verifies on its own. */
export const TranscriptHeaderSchema = Type.Object(
  {
    format: Type.Literal(TRANSCRIPT_FORMAT),
    channel: ChannelIdSchema,
    exportedAt: TimeSchema,
    exportedBy: PartyIdSchema,
    parties: Type.Record(
      PartyIdSchema,
      Type.Object(
        { keys: Type.Array(PartyKeySchema, { minItems: 1, maxItems: 1000 }) },
        { additionalProperties: false },
      ),
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
export type TranscriptHeader = Static<typeof TranscriptHeaderSchema>

/** One thing that does not hold in a transcript, located by line (and event, when known). */
export interface VerifyFailure {
  readonly code: string
  readonly message: string
  readonly line: number
  readonly eventId?: string
}

/** What {@link verifyTranscript} finds. `ok` is true exactly when no failure was found. */
export interface TranscriptReport {
  readonly ok: boolean
  /** Distinct events whose signature verified. */
  readonly events: number
  /** Distinct receipts whose signature verified. */
  readonly receipts: number
  /** Distinct forks proven by valid equivocation lines (each is also a failure `EQUIVOCATION`). */
  readonly equivocations: number
  /** Per header party: its verified events, and the last event of its unbroken chain from seq 1. */
  readonly parties: Record<
    string,
    { readonly events: number; readonly head: { readonly seq: number; readonly id: string } | null }
  >
  /** Sorted by line; at most MAX_REPORTED_FAILURES of them. */
  readonly failures: VerifyFailure[]
  /** Every failure found, including those the list leaves out. */
  readonly failureCount: number
}

/**
 * The outcome of checking one line on its own: a compact, structured-clonable summary that a
 * worker thread can post to the {@link TranscriptAssessor}.
 */
export type LineFact =
  | {
      readonly kind: 'event'
      readonly line: number
      readonly id: string
      readonly author: string
      readonly seq: number
      readonly prev: string | null
      readonly time: number
      readonly heads: Readonly<Record<string, { readonly seq: number; readonly id: string }>>
    }
  | {
      readonly kind: 'receipt'
      readonly line: number
      readonly by: string
      readonly sig: string
      readonly events: readonly string[]
    }
  | {
      readonly kind: 'equivocation'
      readonly line: number
      readonly author: string
      readonly seq: number
      readonly ids: readonly [string, string]
    }
  | { readonly kind: 'failure'; readonly failure: VerifyFailure }

/** How a transcript file ended, for {@link TranscriptAssessor.finish}. */
export interface TranscriptEnd {
  /** Number of the last line; when the file does not end with '\n', the unterminated one. */
  readonly lastLine: number
  /** Whether the file's last byte is '\n', as it is when every line is complete. */
  readonly endsWithNewline: boolean
}

const headerShape = Compile(TranscriptHeaderSchema)

/** The header line (without its '\n'); throws `TRANSCRIPT_MALFORMED` for an invalid header. */
export function transcriptHeaderLine(header: TranscriptHeader): string {
  assertValidHeader(header)
  return canonicalJson(header)
}

/** An event line (without its '\n'), in canonical JSON so that exports are reproducible. */
export function eventLine(signed: SignedEvent): string {
  return canonicalJson({ kind: 'event', event: signed.event, sig: signed.sig })
}

/** A receipt line (without its '\n'). */
export function receiptLine(signed: SignedReceipt): string {
  return canonicalJson({ kind: 'receipt', receipt: signed.receipt, sig: signed.sig })
}

/** An equivocation line (without its '\n'): both signed events of a fork. */
export function equivocationLine(proof: EquivocationProof): string {
  return canonicalJson({ kind: 'equivocation', a: proof.a, b: proof.b })
}

/**
 * Parses and checks line 1 of a transcript. Throws `TRANSCRIPT_MALFORMED` (line 1) for anything
 * but a valid `parley-transcript/1` header, `JSON_DUPLICATE_NAME` for a member name repeated
 * in one object, and `UTF8_INVALID` for bytes that are not UTF-8.
 */
export function parseTranscriptHeader(text: string | Uint8Array): TranscriptHeader {
  const value = parseLine(typeof text === 'string' ? text : decodeUtf8(text), 1)
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { format, kind } = value as { format?: unknown; kind?: unknown }
    if (format === undefined && kind !== undefined) {
      throw malformed(1, `the first line must be the header, not a line of kind ${String(kind)}`)
    }
    if (format !== undefined && format !== TRANSCRIPT_FORMAT) {
      throw malformed(1, `format ${JSON.stringify(format)} is not ${TRANSCRIPT_FORMAT}`)
    }
  }
  assertValidHeader(value)
  return value
}

function assertValidHeader(value: unknown): asserts value is TranscriptHeader {
  if (!headerShape.Check(value)) {
    throw malformed(1, describeSchemaError(headerShape.Errors(value)))
  }
  for (const [party, { keys }] of Object.entries(value.parties)) {
    const ids = new Set<string>()
    for (const key of keys) {
      if (key.id.slice(0, key.id.indexOf('#')) !== party) {
        throw malformed(1, `/parties/${party}: key ${key.id} is not a key of ${party}`)
      }
      if (ids.has(key.id)) throw malformed(1, `/parties/${party}: key ${key.id} is listed twice`)
      ids.add(key.id)
    }
  }
  if (!Object.hasOwn(value.parties, value.exportedBy)) {
    throw malformed(1, `exportedBy ${value.exportedBy} is not among the parties`)
  }
}

function malformed(line: number, reason: string): ProtocolError {
  return new ProtocolError('TRANSCRIPT_MALFORMED', { line, reason })
}

function parseLine(text: string, line: number): unknown {
  if (text.length === 0) throw malformed(line, 'empty line')
  try {
    return parseJson(text)
  } catch (error) {
    // A repeated name is JSON, just not one object: it keeps its own code.
    if (isProtocolError(error, 'JSON_DUPLICATE_NAME')) throw error
    throw malformed(line, isProtocolError(error) ? String(error.details.reason) : 'not JSON')
  }
}

/** The keys of a header party at any time; pinnedKeyAt picks the one valid at event time. */
function keysOf(header: TranscriptHeader): (party: string) => readonly PartyKey[] {
  return (party) => (Object.hasOwn(header.parties, party) ? header.parties[party]!.keys : [])
}

const lineFields = {
  event: ['event', 'kind', 'sig'],
  receipt: ['kind', 'receipt', 'sig'],
  equivocation: ['a', 'b', 'kind'],
} as const

/**
 * Checks one transcript line (not the header) on its own: JSON, kind, schema, key and
 * signature, channel. Pure and crypto-heavy, so a CLI can spread lines over worker threads; never
 * throws for bad content. Bytes are decoded as strict UTF-8 (`UTF8_INVALID`).
 * @example const fact = await checkTranscriptLine(header, '{"kind":"event",…}', 2)
 */
export async function checkTranscriptLine(
  header: TranscriptHeader,
  text: string | Uint8Array,
  line: number,
): Promise<LineFact> {
  let value: unknown
  try {
    const decoded = typeof text === 'string' ? text : decodeUtf8(text)
    // Most lines hold: they are read once, and any other again to find its first problem.
    const checked = await authenticateEventLine(decoded, keysOf(header))
    if (checked !== undefined) return eventFact(header, checked, line)
    value = parseLine(decoded, line)
  } catch (error) {
    return failureFact(error, line)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return failureFact(malformed(line, 'not a JSON object'), line)
  }
  const kind = (value as { kind?: unknown }).kind
  if (kind !== 'event' && kind !== 'receipt' && kind !== 'equivocation') {
    const reason =
      'format' in value
        ? 'a header is allowed on line 1 only'
        : `unknown kind ${JSON.stringify(kind) ?? '(none)'}`
    return failureFact(malformed(line, reason), line)
  }
  const fields = Object.keys(value).sort()
  if (fields.join() !== lineFields[kind].join()) {
    const expected = lineFields[kind].join(', ')
    return failureFact(malformed(line, `a ${kind} line has exactly the fields ${expected}`), line)
  }
  const keys = keysOf(header)
  switch (kind) {
    case 'event': {
      const { event, sig } = value as { event: unknown; sig: unknown }
      return checkEventLine(header, { event, sig }, line, keys)
    }
    case 'receipt': {
      const { receipt, sig } = value as { receipt: unknown; sig: unknown }
      const result = await verifyReceipt({ receipt, sig }, keys)
      if (!result.ok)
        return { kind: 'failure', failure: { code: result.code, message: result.message, line } }
      return {
        kind: 'receipt',
        line,
        by: result.receipt.by,
        sig: sig as string,
        events: result.receipt.events,
      }
    }
    case 'equivocation': {
      const { a, b } = value as { a: unknown; b: unknown }
      const result = await verifyEquivocationProof({ a, b }, keys)
      if (!result.ok)
        return { kind: 'failure', failure: { code: result.code, message: result.message, line } }
      if (result.channel !== header.channel) return channelMismatch(header, result.channel, line)
      return { kind: 'equivocation', line, author: result.author, seq: result.seq, ids: result.ids }
    }
  }
}

async function checkEventLine(
  header: TranscriptHeader,
  signed: { event: unknown; sig: unknown },
  line: number,
  keys: (party: string) => readonly PartyKey[],
): Promise<LineFact> {
  try {
    return eventFact(header, await checkSignedEvent(signed, keys), line)
  } catch (error) {
    // Name the event when it can be named, so that a reader can find it elsewhere.
    const id = await eventId(signed.event).catch(() => undefined)
    return failureFact(error, line, id)
  }
}

function eventFact(header: TranscriptHeader, { event, id }: Checked, line: number): LineFact {
  if (event.channel !== header.channel) return channelMismatch(header, event.channel, line, id)
  const { author, seq, prev, time, heads } = event
  return { kind: 'event', line, id, author, seq, prev, time, heads }
}

function channelMismatch(
  header: TranscriptHeader,
  actual: string,
  line: number,
  id?: string,
): LineFact {
  const details = { line, actual, channel: header.channel }
  return failureFact(new ProtocolError('TRANSCRIPT_CHANNEL_MISMATCH', details), line, id)
}

function failureFact(error: unknown, line: number, eventId?: string): LineFact {
  if (!isProtocolError(error)) throw error
  const failure: VerifyFailure =
    eventId === undefined
      ? { code: error.code, message: error.message, line }
      : { code: error.code, message: error.message, line, eventId }
  return { kind: 'failure', failure }
}

/** A report for a transcript whose header cannot be read: nothing else in it can be checked. */
export function unreadableTranscriptReport(error: unknown): TranscriptReport {
  const failure = (failureFact(error, 1) as { failure: VerifyFailure }).failure
  return {
    ok: false,
    events: 0,
    receipts: 0,
    equivocations: 0,
    parties: {},
    failures: [failure],
    failureCount: 1,
  }
}

/** One segment of a transcript split at '\n': text, or raw bytes still to be decoded. */
export type TranscriptSegment = string | Uint8Array

/**
 * Verifies a whole transcript on one thread (DESIGN §4.8). `segments` is the file split at
 * every '\n', exactly like `text.split('\n')`: the last segment is what follows the final '\n',
 * empty for a complete file (see {@link transcriptSegments} for a byte stream). Never throws for
 * bad content: every problem is a failure in the report.
 * @example const report = await verifyTranscript(text.split('\n'))
 */
export async function verifyTranscript(
  segments: AsyncIterable<TranscriptSegment> | Iterable<TranscriptSegment>,
): Promise<TranscriptReport> {
  let assessor: TranscriptAssessor | undefined
  let header: TranscriptHeader | undefined
  let pending: TranscriptSegment | undefined
  let line = 0
  // A few lines in flight let WebCrypto work while the next lines are parsed; facts reach the
  // assessor in line order, so the report never depends on which check finished first.
  const inFlight: Promise<LineFact>[] = []
  for await (const segment of segments) {
    if (pending !== undefined) {
      line++
      if (line === 1) {
        try {
          header = parseTranscriptHeader(pending)
        } catch (error) {
          return unreadableTranscriptReport(error)
        }
        assessor = new TranscriptAssessor(header)
      } else {
        inFlight.push(checkTranscriptLine(header!, pending, line))
        if (inFlight.length >= 32) assessor!.add(await inFlight.shift()!)
      }
    }
    pending = segment
  }
  for (const fact of inFlight) assessor?.add(await fact)
  if (assessor === undefined) {
    // Nothing but (part of) a header line: an empty file, or one cut off within line 1.
    const empty = pending === undefined || pending.length === 0
    return unreadableTranscriptReport(
      empty
        ? malformed(1, 'empty transcript')
        : new ProtocolError('TRANSCRIPT_TRUNCATED', { line: 1 }),
    )
  }
  const endsWithNewline = pending === undefined || pending.length === 0
  return assessor.finish({ lastLine: endsWithNewline ? line : line + 1, endsWithNewline })
}

/**
 * Splits a byte stream (a Node stream, a browser `ReadableStream`, chunks in memory) at every
 * '\n' into the segments {@link verifyTranscript} takes, without decoding: each line is decoded
 * on its own, so invalid UTF-8 is reported with its line number.
 */
export async function* transcriptSegments(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  let carry: Uint8Array[] = []
  for await (const chunk of chunks) {
    let start = 0
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      carry.push(chunk.subarray(start, nl))
      // Always a copy, never a view of the chunk: a caller may transfer it to a worker.
      yield concatBytes(...carry)
      carry = []
      start = nl + 1
    }
    if (start < chunk.length) carry.push(chunk.slice(start))
  }
  yield concatBytes(...carry)
}
