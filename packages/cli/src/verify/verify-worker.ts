// A worker thread of `parley verify`: decoding and the per-line checks (shape, key, signature,
// hash), which are independent of each other, so lines can be checked on every core at once.
import {
  checkTranscriptLine,
  installCryptoBackend,
  type LineFact,
  ProtocolError,
  parseTranscriptHeader,
} from '@parley/protocol'
import { nodeCrypto } from '@parley/server/node-crypto'
import { type DefectiveLine, decodeLines, type LineBatch, MAX_LINE_BYTES } from './line-reader.ts'
import { serveTasks } from './worker-pool.ts'

// Each worker thread is a core's worth of signature checks: synchronous node:crypto keeps it
// on this thread instead of hopping to libuv's shared pool for every hash and signature. It is
// imported on its own: the whole server would cost each worker ~0.3–0.7 s of CPU to load.
installCryptoBackend(nodeCrypto)

/**
 * A batch of lines as the reader found them (its bytes transferred, not copied), with each
 * line's fact in return; `null` for the header (line 1) and for a cut last line, which only
 * the reading thread can judge.
 */
export type CheckTask = LineBatch

export type CheckResult = (LineFact | null)[]

let header: ReturnType<typeof parseTranscriptHeader> | undefined

serveTasks<CheckTask, CheckResult>(async (batch, data) => {
  header ??= parseTranscriptHeader(data as string)
  const lines = decodeLines(batch)
  const facts: CheckResult = new Array(batch.count).fill(null)
  const last = batch.unterminated ? batch.count - 1 : batch.count
  for (let i = 0; i < batch.count; i++) {
    const number = batch.firstLine + i
    const line = lines[i]!
    if (number === 1 || i === last) continue
    facts[i] =
      typeof line === 'string'
        ? await checkTranscriptLine(header, line, number)
        : defectFact(line, number)
  }
  return facts
})

function defectFact(line: DefectiveLine, number: number): LineFact {
  const error =
    line.defect === 'utf8-invalid'
      ? new ProtocolError('UTF8_INVALID')
      : new ProtocolError('TRANSCRIPT_MALFORMED', {
          line: number,
          reason: `longer than ${MAX_LINE_BYTES} bytes`,
        })
  return { kind: 'failure', failure: { code: error.code, message: error.message, line: number } }
}
