import { bytesEqual, concatBytes } from './bytes.ts'
import { sha256 } from './crypto.ts'
import { ProtocolError } from './errors.ts'

// RFC 9162 §2.1.1: distinct prefixes for leaves and interior nodes, so that no leaf can be
// passed off as a subtree (second-preimage resistance of the tree).
const LEAF_PREFIX = new Uint8Array([0])
const NODE_PREFIX = new Uint8Array([1])

/** RFC 9162 leaf hash: SHA-256(0x00 || data). */
export function merkleLeafHash(data: Uint8Array): Promise<Uint8Array> {
  return sha256(concatBytes(LEAF_PREFIX, data))
}

/** RFC 9162 interior node hash: SHA-256(0x01 || left || right). */
export function merkleNodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(concatBytes(NODE_PREFIX, left, right))
}

/**
 * Merkle Tree Hash (RFC 9162 §2.1.1) of a list of leaf entries (the raw data, not their hashes).
 * The empty tree hashes to SHA-256 of the empty string.
 * @example toHex(await merkleRoot([])) // 'e3b0c442…b855'
 */
export async function merkleRoot(leaves: readonly Uint8Array[]): Promise<Uint8Array> {
  if (leaves.length === 0) return sha256(new Uint8Array())
  return subtreeHash(await Promise.all(leaves.map(merkleLeafHash)), 0, leaves.length)
}

/**
 * Inclusion proof (audit path, RFC 9162 §2.1.3.1) of leaf `index` in the tree of all `leaves`,
 * ordered from the leaf upwards.
 */
export async function inclusionProof(
  leaves: readonly Uint8Array[],
  index: number,
): Promise<Uint8Array[]> {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) {
    throw invalid(`leaf index ${index} is outside a tree of ${leaves.length}`)
  }
  const hashes = await Promise.all(leaves.map(merkleLeafHash))
  const proof: Uint8Array[] = []
  await path(hashes, index, 0, hashes.length, proof)
  return proof
}

/**
 * Consistency proof (RFC 9162 §2.1.4.1) that the tree of the first `size1` leaves is a prefix
 * of the tree of all `leaves`. Requires 0 < size1 ≤ leaves.length.
 */
export async function consistencyProof(
  leaves: readonly Uint8Array[],
  size1: number,
): Promise<Uint8Array[]> {
  if (!Number.isSafeInteger(size1) || size1 <= 0 || size1 > leaves.length) {
    throw invalid(`no consistency proof from size ${size1} to size ${leaves.length}`)
  }
  const hashes = await Promise.all(leaves.map(merkleLeafHash))
  const proof: Uint8Array[] = []
  await subproof(hashes, size1, 0, hashes.length, true, proof)
  return proof
}

/** An inclusion claim: `leafHash` (a {@link merkleLeafHash}) is leaf `index` of the tree `root`. */
export interface InclusionClaim {
  readonly index: number
  readonly size: number
  readonly leafHash: Uint8Array
  readonly proof: readonly Uint8Array[]
  readonly root: Uint8Array
}

/** A consistency claim: the tree `root1` of `size1` leaves is a prefix of the tree `root2`. */
export interface ConsistencyClaim {
  readonly size1: number
  readonly size2: number
  readonly proof: readonly Uint8Array[]
  readonly root1: Uint8Array
  readonly root2: Uint8Array
}

/**
 * Checks an inclusion proof (RFC 9162 §2.1.3.2); throws `MERKLE_PROOF_INVALID` with the reason
 * when it does not hold. See {@link isValidInclusion} for the boolean form.
 */
export async function verifyInclusion(claim: InclusionClaim): Promise<void> {
  const { index, size, leafHash, proof, root } = claim
  if (!isSize(size) || !isSize(index) || index >= size) {
    throw invalid(`leaf index ${index} is outside a tree of ${size}`)
  }
  if (leafHash.length !== 32) throw invalid(`leaf hash is ${leafHash.length} bytes, not 32`)
  let fn = index
  let sn = size - 1
  let r = leafHash
  for (const p of proof) {
    if (sn === 0) throw invalid('proof is longer than the path to the root')
    if (fn % 2 === 1 || fn === sn) {
      r = await merkleNodeHash(p, r)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      r = await merkleNodeHash(r, p)
    }
    fn = half(fn)
    sn = half(sn)
  }
  if (sn !== 0) throw invalid('proof is shorter than the path to the root')
  if (!bytesEqual(r, root)) throw invalid('computed root does not match')
}

/**
 * Checks a consistency proof (RFC 9162 §2.1.4.2); throws `MERKLE_PROOF_INVALID` with the reason
 * when it does not hold. A proof from the empty tree is rejected: it would prove nothing.
 */
export async function verifyConsistency(claim: ConsistencyClaim): Promise<void> {
  const { size1, size2, proof, root1, root2 } = claim
  if (!isSize(size1) || !isSize(size2) || size1 > size2) {
    throw invalid(`size ${size1} cannot be a prefix of size ${size2}`)
  }
  if (size1 === 0) throw invalid('a consistency proof from the empty tree proves nothing')
  if (size1 === size2) {
    if (proof.length > 0) throw invalid('equal sizes need an empty proof')
    if (!bytesEqual(root1, root2)) throw invalid('equal sizes with different roots')
    return
  }
  if (proof.length === 0) throw invalid('empty proof')
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof]
  let fn = size1 - 1
  let sn = size2 - 1
  while (fn % 2 === 1) {
    fn = half(fn)
    sn = half(sn)
  }
  let fr = path[0]!
  let sr = path[0]!
  for (const c of path.slice(1)) {
    if (sn === 0) throw invalid('proof is longer than the path to the root')
    if (fn % 2 === 1 || fn === sn) {
      fr = await merkleNodeHash(c, fr)
      sr = await merkleNodeHash(c, sr)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      sr = await merkleNodeHash(sr, c)
    }
    fn = half(fn)
    sn = half(sn)
  }
  if (sn !== 0) throw invalid('proof is shorter than the path to the root')
  if (!bytesEqual(fr, root1)) throw invalid('computed first root does not match')
  if (!bytesEqual(sr, root2)) throw invalid('computed second root does not match')
}

/** Boolean form of {@link verifyInclusion}. */
export async function isValidInclusion(claim: InclusionClaim): Promise<boolean> {
  return verifyInclusion(claim).then(
    () => true,
    () => false,
  )
}

/** Boolean form of {@link verifyConsistency}. */
export async function isValidConsistency(claim: ConsistencyClaim): Promise<boolean> {
  return verifyConsistency(claim).then(
    () => true,
    () => false,
  )
}

function invalid(reason: string): ProtocolError {
  return new ProtocolError('MERKLE_PROOF_INVALID', { reason })
}

// Sizes may exceed 2^32, so halving uses arithmetic rather than 32-bit shifts.
function half(n: number): number {
  return Math.floor(n / 2)
}

function isSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0
}

function isPowerOfTwo(n: number): boolean {
  let k = n
  while (k > 1 && k % 2 === 0) k = half(k)
  return k === 1
}

/** The largest power of two strictly smaller than n (n ≥ 2): the split point k of RFC 9162. */
function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

async function subtreeHash(
  hashes: readonly Uint8Array[],
  start: number,
  end: number,
): Promise<Uint8Array> {
  if (end - start === 1) return hashes[start]!
  const k = splitPoint(end - start)
  const [left, right] = await Promise.all([
    subtreeHash(hashes, start, start + k),
    subtreeHash(hashes, start + k, end),
  ])
  return merkleNodeHash(left, right)
}

// PATH(m, D[start:end]) of RFC 9162 §2.1.3.1, appended bottom-up to `out`.
async function path(
  hashes: readonly Uint8Array[],
  m: number,
  start: number,
  end: number,
  out: Uint8Array[],
): Promise<void> {
  const n = end - start
  if (n <= 1) return
  const k = splitPoint(n)
  if (m < k) {
    await path(hashes, m, start, start + k, out)
    out.push(await subtreeHash(hashes, start + k, end))
  } else {
    await path(hashes, m - k, start + k, end, out)
    out.push(await subtreeHash(hashes, start, start + k))
  }
}

// SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1, appended bottom-up to `out`.
async function subproof(
  hashes: readonly Uint8Array[],
  m: number,
  start: number,
  end: number,
  complete: boolean,
  out: Uint8Array[],
): Promise<void> {
  const n = end - start
  if (m === n) {
    if (!complete) out.push(await subtreeHash(hashes, start, end))
    return
  }
  const k = splitPoint(n)
  if (m <= k) {
    await subproof(hashes, m, start, start + k, complete, out)
    out.push(await subtreeHash(hashes, start + k, end))
  } else {
    await subproof(hashes, m - k, start + k, end, false, out)
    out.push(await subtreeHash(hashes, start, start + k))
  }
}
