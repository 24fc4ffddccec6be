import { stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import {
  isProtocolError,
  parseTranscriptHeader,
  TranscriptAssessor,
  type TranscriptHeader,
  type TranscriptReport,
} from '@parley/protocol'
import { CliError } from '../errors.ts'
import {
  type DefectiveLine,
  decodeLines,
  type LineBatch,
  MAX_LINE_BYTES,
  readFileChunks,
  readLineBatches,
} from './line-reader.ts'
import type { CheckResult, CheckTask } from './verify-worker.ts'
import { WorkerPool } from './worker-pool.ts'

export interface VerifyProgress {
  /** Lines assessed so far, the header included. */
  readonly lines: number
  /** Estimated share of the file assessed, from 0 to 1 (0 when the size is unknown). */
  readonly fraction: number
}

export interface VerifyFileOptions {
  /** Worker threads for the per-line checks (default: every core). */
  readonly workers?: number
  /** Lines per task sent to a worker. */
  readonly batchLines?: number
  /** Bytes per read of the file (4 MiB). */
  readonly chunkBytes?: number
  readonly onProgress?: (progress: VerifyProgress) => void
}

export interface VerifiedFile {
  readonly header: TranscriptHeader
  readonly report: TranscriptReport
}

/**
 * Verifies a transcript file as a stream: the main thread reads and splits lines, worker threads
 * decode and check each line (its bytes transferred, never copied into a string here), and the
 * protocol's assessor takes the facts in line order. Memory holds a few batches of lines plus the assessor's compact tables, whatever the
 * file size. Throws a CliError (exit 2) when the file is missing, unreadable, empty or not a
 * transcript at all; any other finding is a failure in the report.
 */
export async function verifyTranscriptFile(
  path: string,
  options: VerifyFileOptions = {},
): Promise<VerifiedFile> {
  const totalBytes = await sizeOf(path)
  let bytesRead = 0
  async function* counted(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of readFileChunks(path, options.chunkBytes)) {
        bytesRead += chunk.length
        yield chunk
      }
    } catch (error) {
      throw unreadable(path, error)
    }
  }
  const batches = readLineBatches(counted(), {
    batchLines: options.batchLines ?? 512,
    batchBytes: 1024 * 1024,
    maxLineBytes: MAX_LINE_BYTES,
  })

  const first = await batches.next()
  if (first.done) throw new CliError('TRANSCRIPT_EMPTY', { path })
  let headerText: string
  let header: TranscriptHeader
  try {
    headerText = readHeaderLine(path, decodeLines(first.value)[0]!)
    header = parseHeader(path, headerText)
  } catch (error) {
    await batches.return(undefined)
    throw error
  }
  const assessor = new TranscriptAssessor(header)

  const pool = new WorkerPool<CheckTask, CheckResult>(
    new URL('./verify-worker.ts', import.meta.url),
    {
      size: options.workers ?? availableParallelism(),
      workerData: headerText,
      // Each line's garbage dies young; V8's default young generation (sized for this
      // machine's memory) only lets each worker's heap grow by ~80 MiB without saving time.
      resourceLimits: { maxYoungGenerationSizeMb: 16 },
    },
  )
  // Enough batches in flight that no worker waits for the next, few enough to bound memory.
  const window = 3 * pool.size
  const inFlight: { batch: { firstLine: number; count: number }; facts: Promise<CheckResult> }[] =
    []
  let lastLine = 0
  let endsWithNewline = true

  const assessOldest = async () => {
    const { batch, facts } = inFlight.shift()!
    for (const fact of await facts) if (fact !== null) assessor.add(fact)
    const lines = batch.firstLine + batch.count - 1
    // Reading runs ahead of checking; the bytes per line read so far place the lines assessed.
    const fraction = totalBytes > 0 ? Math.min(1, (lines * bytesRead) / lastLine / totalBytes) : 0
    options.onProgress?.({ lines, fraction })
  }

  try {
    let next: IteratorResult<LineBatch> = first
    while (!next.done) {
      const batch = next.value
      lastLine = batch.firstLine + batch.count - 1
      endsWithNewline = !batch.unterminated
      const facts = pool.run(batch, [batch.bytes.buffer])
      // Awaited in order below; this only keeps the ones abandoned after an error (the pool
      // rejects them on close) from counting as unhandled rejections.
      facts.catch(() => {})
      inFlight.push({ batch: { firstLine: batch.firstLine, count: batch.count }, facts })
      if (inFlight.length >= window) await assessOldest()
      next = await batches.next()
    }
    while (inFlight.length > 0) await assessOldest()
  } finally {
    await pool.close()
    await batches.return(undefined)
  }
  return { header, report: assessor.finish({ lastLine, endsWithNewline }) }
}

async function sizeOf(path: string): Promise<number> {
  let stats: Awaited<ReturnType<typeof stat>>
  try {
    stats = await stat(path)
  } catch (error) {
    throw unreadable(path, error)
  }
  if (stats.isDirectory())
    throw new CliError('FILE_UNREADABLE', { path, reason: 'it is a directory' })
  if (stats.isFile() && stats.size === 0) throw new CliError('TRANSCRIPT_EMPTY', { path })
  return stats.size
}

function unreadable(path: string, error: unknown): CliError {
  if (error instanceof CliError) return error
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new CliError('FILE_NOT_FOUND', { path })
  const reason =
    code === 'EACCES'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'it is a directory'
        : String(error)
  return new CliError('FILE_UNREADABLE', { path, reason })
}

function readHeaderLine(path: string, line: string | DefectiveLine): string {
  if (typeof line === 'string') return line
  const reason =
    line.defect === 'utf8-invalid'
      ? 'line 1 is not valid UTF-8'
      : `line 1 is longer than ${MAX_LINE_BYTES} bytes`
  throw new CliError('NOT_A_TRANSCRIPT', { path, reason })
}

function parseHeader(path: string, text: string): TranscriptHeader {
  try {
    return parseTranscriptHeader(text)
  } catch (error) {
    if (isProtocolError(error))
      throw new CliError('NOT_A_TRANSCRIPT', { path, reason: error.message })
    throw error
  }
}
