import { isUtf8 } from 'node:buffer'
import { createReadStream } from 'node:fs'

/** Why a line could not become text. */
export type LineDefect = 'utf8-invalid' | 'too-long'

/** One line's place in a batch when its bytes cannot be a transcript line. */
export interface DefectiveLine {
  readonly defect: LineDefect
}

/** Consecutive lines of a file, in order. */
export interface LineBatch {
  /** 1-based number of the first entry of `lines`. */
  readonly firstLine: number
  /** Each line without its `\n` or `\r\n`, or what is wrong with it. */
  readonly lines: readonly (string | DefectiveLine)[]
  /** Set on the last batch when the file does not end with a newline: its last line is cut. */
  readonly unterminated: boolean
}

export interface LineReaderOptions {
  /** Most lines per batch. */
  readonly batchLines?: number
  /**
   * A batch ends after the line that brings its text to this many UTF-16 code units, so that
   * a few batches in flight stay small even when the lines are long.
   */
  readonly batchChars?: number
  /**
   * Longest line kept, in bytes. A longer one is reported as `too-long` and skipped without
   * being buffered, so a file without newlines cannot exhaust memory.
   */
  readonly maxLineBytes?: number
}

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 13

/**
 * Splits a byte stream into batches of lines, never holding more than one chunk plus one
 * line. Lines are strict UTF-8: a line with a malformed sequence is reported, not repaired.
 */
export async function* readLineBatches(
  chunks: AsyncIterable<Uint8Array>,
  options: LineReaderOptions = {},
): AsyncGenerator<LineBatch> {
  const batchLines = options.batchLines ?? 1024
  const batchChars = options.batchChars ?? Number.POSITIVE_INFINITY
  const maxLineBytes = options.maxLineBytes ?? 4 * 1024 * 1024
  let lines: (string | DefectiveLine)[] = []
  let chars = 0
  let firstLine = 1
  let carry: Buffer | undefined
  // Inside a line already known to be too long: bytes are dropped until its newline.
  let skipping = false

  const push = (line: string | DefectiveLine): LineBatch | undefined => {
    lines.push(line)
    if (typeof line === 'string') chars += line.length
    if (lines.length < batchLines && chars < batchChars) return undefined
    const batch = { firstLine, lines, unterminated: false }
    firstLine += lines.length
    lines = []
    chars = 0
    return batch
  }

  for await (const chunk of chunks) {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (skipping) {
      const end = bytes.indexOf(NEWLINE)
      if (end < 0) continue
      skipping = false
      const batch = push({ defect: 'too-long' })
      if (batch) yield batch
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
    if (last < 0) continue
    for (const line of splitComplete(bytes.subarray(0, last + 1), maxLineBytes)) {
      const batch = push(line)
      if (batch) yield batch
    }
  }

  if (skipping) lines.push({ defect: 'too-long' })
  else if (carry !== undefined) lines.push(decodeLine(carry, maxLineBytes))
  const unterminated = skipping || carry !== undefined
  if (lines.length > 0) yield { firstLine, lines, unterminated }
}

/** Lines of bytes that end with a newline, decoded. */
function splitComplete(bytes: Buffer, maxLineBytes: number): (string | DefectiveLine)[] {
  if (isUtf8(bytes)) {
    // Valid UTF-8 never has a 0x0A byte inside a multi-byte sequence, so decoding the whole
    // run at once and splitting the text gives exactly the per-line result, much faster.
    const lines: (string | DefectiveLine)[] = bytes.toString('utf8').split('\n')
    lines.pop()
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string
      if (line.length * 3 > maxLineBytes && Buffer.byteLength(line) > maxLineBytes) {
        lines[i] = { defect: 'too-long' }
      } else if (line.charCodeAt(line.length - 1) === CARRIAGE_RETURN) {
        lines[i] = line.slice(0, -1)
      }
    }
    return lines
  }
  const lines: (string | DefectiveLine)[] = []
  let start = 0
  while (start < bytes.length) {
    const end = bytes.indexOf(NEWLINE, start)
    lines.push(decodeLine(bytes.subarray(start, end), maxLineBytes))
    start = end + 1
  }
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
