import { isUtf8 } from 'node:buffer'
import { createReadStream } from 'node:fs'

/** Why a line could not become text. */
export type LineDefect = 'utf8-invalid' | 'too-long'

/** One line's place in a batch when its bytes cannot be a transcript line. */
export interface DefectiveLine {
  readonly defect: LineDefect
}

/**
 * Consecutive lines of a file, in order, still as bytes: the thread that checks them decodes
 * them (see {@link decodeLines}), so the reading thread never makes a string of a line.
 */
export interface LineBatch {
  /** 1-based number of the first line. */
  readonly firstLine: number
  /** How many lines the batch holds. */
  readonly count: number
  /**
   * The lines, each followed by '\n' (the cut last line too), in a buffer of their own that can
   * be transferred to a worker. A line skipped as too long is empty here and listed in `tooLong`.
   */
  readonly bytes: Uint8Array<ArrayBuffer>
  /** Indexes in this batch of the lines skipped, unread, as longer than `maxLineBytes`. */
  readonly tooLong: readonly number[]
  /** Set on the last batch when the file does not end with a newline: its last line is cut. */
  readonly unterminated: boolean
}

export interface LineReaderOptions {
  /** Most lines per batch. */
  readonly batchLines?: number
  /**
   * A batch ends after the line that brings its bytes (newlines not counted) to this many, so
   * that a few batches in flight stay small even when the lines are long.
   */
  readonly batchBytes?: number
  /**
   * Longest line kept, in bytes. A longer one is reported as `too-long` and skipped without
   * being buffered, so a file without newlines cannot exhaust memory.
   */
  readonly maxLineBytes?: number
}

/** The longest transcript line `parley verify` reads, in bytes. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 13
const NEWLINE_BYTES = Uint8Array.of(NEWLINE)

/** The pieces of one batch until it is complete; copied into one buffer when it is. */
class BatchBuilder {
  #pieces: Uint8Array[] = []
  #size = 0
  #tooLong: number[] = []
  count = 0
  bytes = 0

  /** Complete lines (each ending in '\n'), as a view that stays valid until {@link take}. */
  addLines(piece: Uint8Array, lines: number, bytes: number): void {
    this.#pieces.push(piece)
    this.#size += piece.length
    this.count += lines
    this.bytes += bytes
  }

  addTooLong(): void {
    this.#tooLong.push(this.count)
    this.addLines(NEWLINE_BYTES, 1, 0)
  }

  take(firstLine: number, unterminated: boolean): LineBatch {
    const bytes = new Uint8Array(this.#size)
    let offset = 0
    for (const piece of this.#pieces) {
      bytes.set(piece, offset)
      offset += piece.length
    }
    const batch = { firstLine, count: this.count, bytes, tooLong: this.#tooLong, unterminated }
    this.#pieces = []
    this.#size = 0
    this.#tooLong = []
    this.count = 0
    this.bytes = 0
    return batch
  }
}

/**
 * Splits a byte stream into batches of lines, never holding more than a chunk, one line and the
 * batch being filled. Only newlines are looked at here: decoding is left to {@link decodeLines}.
 */
export async function* readLineBatches(
  chunks: AsyncIterable<Uint8Array>,
  options: LineReaderOptions = {},
): AsyncGenerator<LineBatch> {
  const batchLines = options.batchLines ?? 1024
  const batchBytes = options.batchBytes ?? Number.POSITIVE_INFINITY
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES
  const batch = new BatchBuilder()
  let firstLine = 1
  let carry: Buffer | undefined
  // Inside a line already known to be too long: bytes are dropped until its newline.
  let skipping = false
  const full = () => batch.count >= batchLines || batch.bytes >= batchBytes
  const take = () => {
    const taken = batch.take(firstLine, false)
    firstLine += taken.count
    return taken
  }

  for await (const chunk of chunks) {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (skipping) {
      const end = bytes.indexOf(NEWLINE)
      if (end < 0) continue
      skipping = false
      batch.addTooLong()
      if (full()) yield take()
      bytes = bytes.subarray(end + 1)
    }
    if (carry !== undefined) {
      bytes = Buffer.concat([carry, bytes])
      carry = undefined
    }
    const last = bytes.lastIndexOf(NEWLINE)
    const rest = bytes.subarray(last + 1)
    if (rest.length > maxLineBytes) skipping = true
    // A copy, so the carry does not pin the whole chunk it came from.
    else if (rest.length > 0) carry = Buffer.from(rest)
    let from = 0
    let lines = 0
    let lineBytes = 0
    for (let start = 0; start <= last; ) {
      const end = bytes.indexOf(NEWLINE, start)
      lines++
      lineBytes += end - start
      start = end + 1
      if (batch.count + lines >= batchLines || batch.bytes + lineBytes >= batchBytes) {
        batch.addLines(bytes.subarray(from, start), lines, lineBytes)
        yield take()
        from = start
        lines = 0
        lineBytes = 0
      }
    }
    if (lines > 0) batch.addLines(bytes.subarray(from, last + 1), lines, lineBytes)
  }

  if (skipping) batch.addTooLong()
  else if (carry !== undefined) {
    batch.addLines(carry, 0, carry.length)
    batch.addLines(NEWLINE_BYTES, 1, 0)
  }
  const unterminated = skipping || carry !== undefined
  if (batch.count > 0) yield batch.take(firstLine, unterminated)
}

/**
 * The lines of a batch as text, each without its `\n` or `\r\n`, or what is wrong with it.
 * Lines are strict UTF-8: a line with a malformed sequence is reported, not repaired.
 */
export function decodeLines(
  batch: LineBatch,
  maxLineBytes = MAX_LINE_BYTES,
): (string | DefectiveLine)[] {
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength)
  let lines: (string | DefectiveLine)[]
  if (isUtf8(bytes)) {
    // Valid UTF-8 never has a 0x0A byte inside a multi-byte sequence, so decoding the whole
    // batch at once and splitting the text gives exactly the per-line result, much faster.
    lines = bytes.toString('utf8').split('\n')
    lines.pop()
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string
      if (line.length * 3 > maxLineBytes && Buffer.byteLength(line) > maxLineBytes) {
        lines[i] = { defect: 'too-long' }
      } else if (line.charCodeAt(line.length - 1) === CARRIAGE_RETURN) {
        lines[i] = line.slice(0, -1)
      }
    }
  } else {
    lines = []
    for (let start = 0; start < bytes.length; ) {
      const end = bytes.indexOf(NEWLINE, start)
      lines.push(decodeLine(bytes.subarray(start, end), maxLineBytes))
      start = end + 1
    }
  }
  for (const i of batch.tooLong) lines[i] = { defect: 'too-long' }
  return lines
}

function decodeLine(bytes: Buffer, maxLineBytes: number): string | DefectiveLine {
  if (bytes.length > maxLineBytes) return { defect: 'too-long' }
  if (!isUtf8(bytes)) return { defect: 'utf8-invalid' }
  const line = bytes.toString('utf8')
  return line.charCodeAt(line.length - 1) === CARRIAGE_RETURN ? line.slice(0, -1) : line
}

/** Reads a file in large chunks; pair with {@link readLineBatches}. */
export function readFileChunks(path: string, chunkBytes = 4 * 1024 * 1024): AsyncIterable<Buffer> {
  return createReadStream(path, { highWaterMark: chunkBytes })
}
