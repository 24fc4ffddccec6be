import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { canonicalJson } from './canonical-json.ts'
import { isProtocolError, ProtocolError } from './errors.ts'
import { describeSchemaError } from './event.ts'
import type { EquivocationProof, PartyKey, SignedEvent } from './schemas.ts'
import { type Checked, checkSignedEvent } from './validate.ts'

const proofShape = Compile(
  Type.Object({ a: Type.Unknown(), b: Type.Unknown() }, { additionalProperties: false }),
)

/** Result of {@link verifyEquivocationProof}: who forked, where, and the two ids. */
export type EquivocationVerification =
  | { ok: true; channel: string; author: string; seq: number; ids: [string, string] }
  | { ok: false; code: 'EQUIVOCATION_PROOF_INVALID'; message: string }

function invalid(reason: string): ProtocolError {
  return new ProtocolError('EQUIVOCATION_PROOF_INVALID', { reason })
}

/**
 * Pairs two signed events with one channel, author and seq but different content into a proof
 * (DESIGN §2: a fork is kept as proof). Signatures are checked by
 * {@link verifyEquivocationProof}, which needs the keys. Throws `EQUIVOCATION_PROOF_INVALID`.
 */
export function makeEquivocationProof(a: SignedEvent, b: SignedEvent): EquivocationProof {
  const reason = mismatch(a.event, b.event)
  if (reason !== undefined) throw invalid(reason)
  // Equal canonical forms are one event (one id); anything else gives two ids.
  if (canonicalJson(a.event) === canonicalJson(b.event)) throw invalid('a and b are the same event')
  return { a: { event: a.event, sig: a.sig }, b: { event: b.event, sig: b.sig } }
}

function mismatch(
  a: Pick<SignedEvent['event'], 'channel' | 'author' | 'seq'>,
  b: Pick<SignedEvent['event'], 'channel' | 'author' | 'seq'>,
): string | undefined {
  if (a.channel !== b.channel) return `different channels (${a.channel}, ${b.channel})`
  if (a.author !== b.author) return `different authors (${a.author}, ${b.author})`
  if (a.seq !== b.seq) return `different seqs (${a.seq}, ${b.seq})`
  return undefined
}

/**
 * Checks an equivocation proof offline: both events well formed and signed by pinned keys of
 * their author, same channel, author and seq, different ids. Never throws for bad input.
 */
export async function verifyEquivocationProof(
  proof: unknown,
  keys: (party: string) => readonly PartyKey[],
): Promise<EquivocationVerification> {
  try {
    if (!proofShape.Check(proof)) throw invalid(describeSchemaError(proofShape.Errors(proof)))
    const { a, b } = proof as { a: unknown; b: unknown }
    // Both are checked, and a's failure is reported first, so the answer never depends on timing.
    const [settledA, settledB] = await Promise.allSettled([
      checkSignedEvent(a, keys),
      checkSignedEvent(b, keys),
    ])
    const checkedA = checkedOrThrow(settledA, 'a')
    const checkedB = checkedOrThrow(settledB, 'b')
    const reason = mismatch(checkedA.event, checkedB.event)
    if (reason !== undefined) throw invalid(reason)
    if (checkedA.id === checkedB.id) throw invalid('a and b are the same event')
    const { channel, author, seq } = checkedA.event
    return { ok: true, channel, author, seq, ids: [checkedA.id, checkedB.id] }
  } catch (error) {
    if (!isProtocolError(error)) throw error
    const failure =
      error.code === 'EQUIVOCATION_PROOF_INVALID'
        ? error
        : // Stryker disable next-line StringLiteral: unreachable, every error the try raises is EQUIVOCATION_PROOF_INVALID already
          invalid(`${error.code}: ${error.message}`)
    return { ok: false, code: 'EQUIVOCATION_PROOF_INVALID', message: failure.message }
  }
}

function checkedOrThrow(settled: PromiseSettledResult<Checked>, side: 'a' | 'b'): Checked {
  if (settled.status === 'fulfilled') return settled.value
  const error: unknown = settled.reason
  if (!isProtocolError(error)) throw error
  throw invalid(`${side}: ${error.code}: ${error.message}`)
}
