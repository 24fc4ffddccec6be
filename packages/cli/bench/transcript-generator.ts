import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import {
  domains,
  type Event,
  eventLine,
  exportPrivateKey,
  generateKeyPair,
  type Receipt,
  receiptLine,
  type Signer,
  signedMessage,
} from '@parley/protocol'
import { WorkerPool } from '../src/verify/worker-pool.ts'
import type { SignResult, SignTask } from './sign-worker.ts'

/** What a generated transcript contains. */
export interface TranscriptPlan {
  /** Events in total, including the channel.create and one channel.join per other party. */
  readonly events: number
  /** Party ids; the first creates the channel and exports the transcript. */
  readonly parties: readonly string[]
  /** A receipt line after every this many events (0: none). */
  readonly receiptEvery: number
  /** Seed of the deterministic choice of authors, texts and times. */
  readonly seed: number
}

export interface GeneratedTranscript {
  readonly path: string
  readonly channel: string
  readonly events: number
  readonly receipts: number
  readonly bytes: number
  /** Each party's last (seq, id). */
  readonly heads: Readonly<Record<string, { seq: number; id: string }>>
  /** The private keys, for tests that sign more lines (e.g. an equivocation). */
  readonly signers: Readonly<Record<string, Signer>>
}

const T0 = 1_764_277_200_000
const DAY = 86_400_000

/**
 * Writes a valid multi-party transcript (header, channel.create, joins, message.post with heads,
 * receipts) to `path`, atomically. Events are planned on this thread, because each event's
 * prev and heads need earlier ids; their signatures are made by `workers` threads meanwhile.
 */
export async function generateTranscript(
  path: string,
  plan: TranscriptPlan,
  options: {
    workers?: number
    onProgress?: (events: number) => void
    /**
     * Write each line in canonical form, as a node's export does. Otherwise members keep the
     * order they were made in, valid lines that a verifier reads by its full, slower path.
     */
    canonical?: boolean
  } = {},
): Promise<GeneratedTranscript> {
  const [creator] = plan.parties
  if (creator === undefined || plan.events < plan.parties.length) {
    throw new RangeError('a transcript needs a party and at least one event per party')
  }
  const random = mulberry32(plan.seed)
  const channel = `ch_${Array.from({ length: 26 }, () => CROCKFORD[Math.floor(random() * 32)]).join('')}`
  const keys = await Promise.all(plan.parties.map(() => generateKeyPair(true)))
  const pkcs8: Record<string, Uint8Array> = {}
  const signers: Record<string, Signer> = {}
  for (const [i, party] of plan.parties.entries()) {
    pkcs8[party] = await exportPrivateKey(keys[i]!.privateKey)
    signers[party] = { keyId: `${party}#1`, privateKey: keys[i]!.privateKey }
  }

  const pool = new WorkerPool<SignTask, SignResult>(new URL('./sign-worker.ts', import.meta.url), {
    size: options.workers ?? availableParallelism(),
    workerData: pkcs8,
  })
  const temp = `${path}.${process.pid}.tmp`
  const out = createWriteStream(temp)
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain')
  }

  try {
    let time = T0
    const chains = new Map(plan.parties.map((p) => [p, { seq: 0, id: '' }]))
    // Ids each party has not yet receipted, oldest first.
    const unreceipted = new Map(plan.parties.map((p) => [p, [] as string[]]))
    let receiptTurn = 0
    let eventsPlanned = 0
    let receipts = 0
    let genesis = ''

    const nextEvent = (): PlannedLine => {
      const index = eventsPlanned++
      const author =
        index < plan.parties.length
          ? plan.parties[index]!
          : plan.parties[Math.floor(random() * plan.parties.length)]!
      const chain = chains.get(author)!
      const heads: Record<string, { seq: number; id: string }> = {}
      for (const [party, head] of chains) {
        if (party !== author && head.seq > 0) heads[party] = { seq: head.seq, id: head.id }
      }
      time += 200 + Math.floor(random() * 4800)
      const base = {
        v: 1,
        channel,
        author,
        seq: chain.seq + 1,
        prev: chain.seq === 0 ? null : chain.id,
        heads,
        time,
        key: `${author}#1`,
      }
      const event =
        index === 0
          ? {
              ...base,
              type: 'channel.create',
              body: {
                title: 'Bilateral working group on ICT security',
                members: [...plan.parties],
                observers: [],
              },
            }
          : index < plan.parties.length
            ? { ...base, type: 'channel.join', body: { accepts: genesis } }
            : { ...base, officer: `o_${author}duty01`, type: 'message.post', body: post(random) }
      const message = signedMessage(domains.event, event)
      const id = createHash('sha256').update(message).digest('hex')
      if (index === 0) genesis = id
      chain.seq += 1
      chain.id = id
      for (const [party, ids] of unreceipted) if (party !== author) ids.push(id)
      return { kind: 'event', value: event, signer: author, message }
    }

    const nextReceipt = (): PlannedLine | undefined => {
      const by = plan.parties[receiptTurn++ % plan.parties.length]!
      const ids = unreceipted.get(by)!
      if (ids.length === 0) return undefined
      const receipt = { events: ids.splice(0).slice(-500), by, key: `${by}#1`, receivedAt: time }
      receipts += 1
      return {
        kind: 'receipt',
        value: receipt,
        signer: by,
        message: signedMessage(domains.receipt, receipt),
      }
    }

    const planBatch = (): PlannedLine[] => {
      const batch: PlannedLine[] = []
      while (batch.length < 1024 && eventsPlanned < plan.events) {
        batch.push(nextEvent())
        if (plan.receiptEvery > 0 && eventsPlanned % plan.receiptEvery === 0) {
          const receipt = nextReceipt()
          if (receipt) batch.push(receipt)
        }
      }
      return batch
    }

    const header = {
      format: 'parley-transcript/1',
      channel,
      // Events are at most 5 s apart, so this follows the last one without knowing it yet.
      exportedAt: T0 + plan.events * 5000 + 1000,
      exportedBy: creator,
      parties: Object.fromEntries(
        plan.parties.map((party, i) => [
          party,
          {
            keys: [
              {
                id: `${party}#1`,
                publicKey: keys[i]!.publicKey,
                validFrom: T0 - DAY,
                validUntil: null,
              },
            ],
          },
        ]),
      ),
    }
    await write(`${JSON.stringify(header)}\n`)

    const inFlight: { batch: PlannedLine[]; signatures: Promise<SignResult> }[] = []
    const window = 2 * pool.size + 2
    for (;;) {
      while (inFlight.length < window && eventsPlanned < plan.events) {
        const batch = planBatch()
        inFlight.push({ batch, signatures: pool.run(packTask(batch), []) })
      }
      const done = inFlight.shift()
      if (done === undefined) break
      const signatures = await done.signatures
      let text = ''
      done.batch.forEach((line, i) => {
        const sig = Buffer.from(signatures.buffer, signatures.byteOffset + 64 * i, 64).toString(
          'base64url',
        )
        text += `${options.canonical ? canonicalLine(line, sig) : insertionOrderLine(line, sig)}\n`
      })
      await write(text)
      options.onProgress?.(eventsPlanned)
    }
    out.end()
    await once(out, 'finish')
    await rename(temp, path)
    const { size } = await stat(path)
    return {
      path,
      channel,
      events: eventsPlanned,
      receipts,
      bytes: size,
      heads: Object.fromEntries(chains),
      signers,
    }
  } catch (error) {
    out.destroy()
    await rm(temp, { force: true })
    throw error
  } finally {
    await pool.close()
  }
}

interface PlannedLine {
  readonly kind: 'event' | 'receipt'
  readonly value: unknown
  readonly signer: string
  readonly message: Uint8Array
}

function packTask(batch: readonly PlannedLine[]): SignTask {
  const lengths = new Uint32Array(batch.length)
  let total = 0
  batch.forEach((line, i) => {
    lengths[i] = line.message.length
    total += line.message.length
  })
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const line of batch) {
    bytes.set(line.message, offset)
    offset += line.message.length
  }
  return { signers: batch.map((line) => line.signer), lengths, bytes }
}

function canonicalLine(line: PlannedLine, sig: string): string {
  return line.kind === 'event'
    ? eventLine({ event: line.value as Event, sig })
    : receiptLine({ receipt: line.value as Receipt, sig })
}

function insertionOrderLine(line: PlannedLine, sig: string): string {
  return line.kind === 'event'
    ? JSON.stringify({ kind: 'event', event: line.value, sig })
    : JSON.stringify({ kind: 'receipt', receipt: line.value, sig })
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

const WORDS_EN = (
  'the parties confirm receipt of the notification regarding observed scanning activity ' +
  'against energy sector infrastructure and request clarification on the indicators shared ' +
  'during the last session our computer emergency response team is investigating the incident ' +
  'and will provide a technical assessment within the agreed deadline please acknowledge'
).split(' ')
const WORDS_RU = (
  'стороны подтверждают получение уведомления о наблюдаемой активности сканирования ' +
  'объектов энергетического сектора и просят разъяснить индикаторы переданные ' +
  'на последней сессии наша группа реагирования расследует инцидент'
).split(' ')

function post(random: () => number) {
  const russian = random() < 0.3
  const words = russian ? WORDS_RU : WORDS_EN
  const count = 6 + Math.floor(random() * 36)
  const text = Array.from({ length: count }, () => words[Math.floor(random() * words.length)]).join(
    ' ',
  )
  const roll = random()
  return {
    text: `${text[0]!.toUpperCase()}${text.slice(1)}.`,
    lang: russian ? 'ru' : 'en',
    urgency: roll < 0.9 ? 'routine' : roll < 0.98 ? 'priority' : 'flash',
    tlp: roll < 0.5 ? 'green' : roll < 0.8 ? 'amber' : 'clear',
  }
}

/** A small, fast, seedable PRNG: the same seed gives the same transcript shape. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
