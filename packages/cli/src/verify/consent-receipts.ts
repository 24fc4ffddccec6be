import {
  ConsentCheckpointSchema,
  ConsentHeadSchema,
  ConsentReceiptSchema,
  consentHash,
  consentMessage,
} from '@parley/api'
import {
  canonicalJson,
  isKeyValidAt,
  NodeDescriptorSchema,
  type PartyKey,
  parseJson,
  verify,
} from '@parley/protocol'
import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { type CliErrorCode, cliErrors } from '../errors.ts'

/** One finding: the line (1-based) and what does not hold there. */
export interface ConsentFailure {
  readonly line: number
  readonly code: ConsentFailureCode
  readonly message: string
}

export type ConsentFailureCode = Extract<CliErrorCode, `RECEIPT_${string}`>

/** What `parley verify` found in a consent receipt export. */
export interface ConsentReport {
  readonly ok: boolean
  readonly receipts: number
  /** The checkpoint of the last prune the chain starts from, if any. */
  readonly checkpoint: { readonly seq: number; readonly pruned: number } | null
  /** The signed head the export ends with, if it verified. */
  readonly head: {
    readonly seq: number
    readonly hash: string | null
    readonly time: number
  } | null
  readonly failures: readonly ConsentFailure[]
}

/** Which public key signed a record: a key id and the record's time. */
export type ConsentKeys = (keyId: string, time: number) => string | undefined

/** The keys of a `--key` argument: one base64url public key, or a node descriptor's parties. */
export function consentKeys(argument: string, descriptorText?: string): ConsentKeys {
  if (descriptorText === undefined) return () => argument
  const descriptor = parseJson(descriptorText)
  if (!Value.Check(NodeDescriptorSchema, descriptor)) {
    throw new Error('not a node descriptor (GET /.well-known/parley) nor a base64url public key')
  }
  const keys = new Map<string, PartyKey>()
  for (const entry of descriptor.parties) for (const key of entry.party.keys) keys.set(key.id, key)
  return (keyId, time) => {
    const key = keys.get(keyId)
    return key !== undefined && isKeyValidAt(key, time) ? key.publicKey : undefined
  }
}

const KINDS: Readonly<Record<string, TSchema>> = {
  receipt: ConsentReceiptSchema,
  checkpoint: ConsentCheckpointSchema,
  head: ConsentHeadSchema,
}

/**
 * Verifies an export line by line: each line is exactly the canonical JSON the node signed
 * (so one changed byte anywhere fails), each signature holds under the node's key, the
 * receipts run on from the checkpoint (or from seq 1) with each `prev` the hash of the one
 * before (a receipt removed, added or moved breaks it), and the signed head at the end names
 * the last receipt (a file cut short is noticed).
 */
export async function verifyConsentLines(
  lines: Iterable<string> | AsyncIterable<string>,
  keys: ConsentKeys,
): Promise<ConsentReport> {
  const failures: ConsentFailure[] = []
  const fail = (line: number, code: ConsentFailureCode, details: Record<string, string | number>) =>
    failures.push({ line, code, message: message(code, details) })
  let number = 0
  let receipts = 0
  let expectedSeq = 1
  let prev: string | null = null
  let checkpoint: ConsentReport['checkpoint'] = null
  let head: ConsentReport['head'] = null
  let ended = false
  for await (const text of lines) {
    number += 1
    if (text === '' && !ended) continue
    const parsed = parseLine(text)
    if (typeof parsed === 'string') {
      fail(number, 'RECEIPT_LINE_INVALID', { reason: parsed })
      continue
    }
    const { kind, record, sig } = parsed
    if (ended || (kind === 'checkpoint' && number !== 1)) {
      fail(number, 'RECEIPT_LINE_INVALID', {
        reason: ended ? 'a line after the signed head' : 'a checkpoint other than on line 1',
      })
      continue
    }
    const publicKey = keys(record.key as string, record.time as number)
    if (publicKey === undefined) {
      fail(number, 'RECEIPT_KEY_UNKNOWN', { key: String(record.key) })
    } else if (!(await verify(publicKey, sig, consentMessage(record as never)))) {
      fail(number, 'RECEIPT_SIGNATURE_INVALID', { key: String(record.key) })
    }
    const seq = record.seq as number
    if (kind === 'checkpoint') {
      checkpoint = { seq, pruned: record.pruned as number }
      expectedSeq = seq + 1
      prev = record.head as string
    } else if (kind === 'receipt') {
      receipts += 1
      if (seq !== expectedSeq) {
        fail(number, 'RECEIPT_SEQ_GAP', { expected: expectedSeq, seq })
      } else if (record.prev !== prev) {
        fail(number, 'RECEIPT_CHAIN_BROKEN', { seq })
      }
      expectedSeq = seq + 1
      prev = await consentHash(record as never)
    } else {
      ended = true
      if (seq !== expectedSeq - 1 || record.head !== prev) {
        fail(number, 'RECEIPT_HEAD_MISMATCH', { seq, last: expectedSeq - 1 })
      } else {
        head = { seq, hash: record.head as string | null, time: record.time as number }
      }
    }
  }
  if (!ended) fail(number + 1, 'RECEIPT_HEAD_MISSING', {})
  return { ok: failures.length === 0, receipts, checkpoint, head, failures }
}

interface Line {
  readonly kind: 'receipt' | 'checkpoint' | 'head'
  readonly record: Readonly<Record<string, unknown>>
  readonly sig: string
}

/** A line as a record, or why it is none. */
function parseLine(text: string): Line | string {
  let value: unknown
  try {
    value = parseJson(text)
  } catch (error) {
    return `not JSON: ${(error as Error).message}`
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object'
  if (canonicalJson(value) !== text) return 'not the canonical JSON the node signed'
  const names = Object.keys(value)
  const kind = names.find((name) => name !== 'sig')
  const object = value as Record<string, unknown>
  if (names.length !== 2 || kind === undefined || typeof object.sig !== 'string') {
    return 'not a signed consent record'
  }
  const schema = KINDS[kind]
  if (schema === undefined || !Value.Check(schema, object[kind])) {
    return `not a consent ${kind} record`
  }
  return {
    kind: kind as Line['kind'],
    record: object[kind] as Record<string, unknown>,
    sig: object.sig,
  }
}

function message(code: ConsentFailureCode, details: Record<string, string | number>): string {
  return cliErrors[code].message.replace(/\{(\w+)\}/g, (all, name: string) =>
    name in details ? String(details[name]) : all,
  )
}
