import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type DefectiveLine,
  decodeLines,
  type LineReaderOptions,
  readLineBatches,
} from './line-reader.ts'

/** A batch as its worker sees it: decoded. */
interface DecodedBatch {
  readonly firstLine: number
  readonly lines: readonly (string | DefectiveLine)[]
  readonly unterminated: boolean
}

async function* chunksOf(bytes: Uint8Array, cuts: readonly number[]): AsyncGenerator<Uint8Array> {
  let start = 0
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield bytes.subarray(start, cut)
    start = cut
  }
  yield bytes.subarray(start)
}

async function read(
  chunks: AsyncIterable<Uint8Array>,
  options?: LineReaderOptions,
): Promise<DecodedBatch[]> {
  const batches: DecodedBatch[] = []
  for await (const batch of readLineBatches(chunks, options)) {
    const lines = decodeLines(batch, options?.maxLineBytes)
    expect(lines).toHaveLength(batch.count)
    batches.push({ firstLine: batch.firstLine, lines, unterminated: batch.unterminated })
  }
  return batches
}

const bytesOf = (...parts: (string | number[])[]) =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))),
  )

describe('readLineBatches', () => {
  it('returns the same lines wherever the chunk boundaries fall, even inside a character', async () => {
    const line = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !/[\r\n]/.test(s))
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(line, fc.boolean()), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 1, max: 7 }),
        async (entries, rawCuts, batchLines) => {
          const text = entries.map(([l, crlf]) => `${l}${crlf ? '\r\n' : '\n'}`).join('')
          const bytes = Buffer.from(text)
          const cuts = rawCuts.map((c) => c % (bytes.length + 1))
          const batches = await read(chunksOf(bytes, cuts), { batchLines })
          expect(batches.flatMap((b) => b.lines)).toEqual(entries.map(([l]) => l))
          let next = 1
          for (const batch of batches) {
            expect(batch.firstLine).toBe(next)
            expect(batch.lines.length).toBeLessThanOrEqual(batchLines)
            expect(batch.unterminated).toBe(false)
            next += batch.lines.length
          }
        },
      ),
    )
  })

  it('strips CRLF line ends but keeps a carriage return inside a line and empty lines', async () => {
    const [batch] = await read(chunksOf(bytesOf('a\r\n\nb\rc\n\r\n'), []))
    expect(batch!.lines).toEqual(['a', '', 'b\rc', ''])
  })

  it('reports a line that is not UTF-8 by its number and keeps its neighbours', async () => {
    const bytes = bytesOf('first\n', [0x7b, 0xc3, 0x28, 0x7d], '\nthird é\n')
    for (let cut = 0; cut <= bytes.length; cut++) {
      const batches = await read(chunksOf(bytes, [cut]))
      expect(batches.flatMap((b) => b.lines)).toEqual([
        'first',
        { defect: 'utf8-invalid' },
        'third é',
      ])
    }
  })

  it('rejects encoded surrogates and overlong forms as invalid UTF-8', async () => {
    const bytes = bytesOf([0xed, 0xa0, 0x80], '\n', [0xc0, 0xaf], '\nok\n')
    const [batch] = await read(chunksOf(bytes, []))
    expect(batch!.lines).toEqual([{ defect: 'utf8-invalid' }, { defect: 'utf8-invalid' }, 'ok'])
  })

  it('marks a last line without a newline as cut, keeping its text', async () => {
    const batches = await read(chunksOf(bytesOf('one\ntwo\nthr'), [5]), { batchLines: 2 })
    expect(batches.at(-1)).toEqual({ firstLine: 3, lines: ['thr'], unterminated: true })
    expect(batches[0]!.unterminated).toBe(false)
  })

  it('marks a file cut inside a character as cut, not only as invalid UTF-8', async () => {
    const [batch] = await read(chunksOf(bytesOf('one\n', [0xe2, 0x82]), []))
    expect(batch).toEqual({
      firstLine: 1,
      lines: ['one', { defect: 'utf8-invalid' }],
      unterminated: true,
    })
  })

  it('ends a batch once its text reaches the size limit', async () => {
    const bytes = bytesOf('aaaa\nbbbb\ncc\nd\ne\n')
    const batches = await read(chunksOf(bytes, []), { batchBytes: 6 })
    expect(batches.map((b) => [b.firstLine, b.lines])).toEqual([
      [1, ['aaaa', 'bbbb']],
      [3, ['cc', 'd', 'e']],
    ])
  })

  it('yields nothing for an empty stream', async () => {
    expect(await read(chunksOf(new Uint8Array(0), []))).toEqual([])
  })

  it('skips an over-long line without buffering it and goes on with the next', async () => {
    let produced = 0
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('ok\n')
      for (let i = 0; i < 1000; i++) {
        produced += 1024
        yield Buffer.alloc(1024, 0x61)
      }
      yield Buffer.from('\nafter\n')
    }
    const batches = await read(endless(), { maxLineBytes: 4096 })
    expect(produced).toBe(1024 * 1000)
    expect(batches.flatMap((b) => b.lines)).toEqual(['ok', { defect: 'too-long' }, 'after'])
  })

  it('reports an over-long line that arrives whole in one chunk', async () => {
    const bytes = bytesOf('a\n', 'x'.repeat(100), '\nb\n')
    const [batch] = await read(chunksOf(bytes, []), { maxLineBytes: 50 })
    expect(batch!.lines).toEqual(['a', { defect: 'too-long' }, 'b'])
  })

  it('reports an over-long last line without a newline as cut', async () => {
    const batches = await read(chunksOf(bytesOf('a\n', 'x'.repeat(100)), [10, 70]), {
      maxLineBytes: 50,
    })
    expect(batches).toEqual([
      { firstLine: 1, lines: ['a', { defect: 'too-long' }], unterminated: true },
    ])
  })
})
