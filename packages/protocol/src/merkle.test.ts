import { readdirSync, readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from './bytes.ts'
import { isProtocolError } from './errors.ts'
import {
  consistencyProof,
  inclusionProof,
  isValidConsistency,
  isValidInclusion,
  merkleLeafHash,
  merkleRoot,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts'

const merkleDir = new URL('../../../test-vectors/merkle/', import.meta.url)

// The vectors use standard base64 with padding (Go's encoding of []byte); null means absent.
function base64(text: string | null): Uint8Array {
  return text === null ? new Uint8Array() : new Uint8Array(Buffer.from(text, 'base64'))
}

// The fields of both kinds of vector; each file has those of its kind.
interface MerkleVector {
  readonly leafIdx: number
  readonly treeSize: number
  readonly leafHash: string
  readonly root: string
  readonly size1: number
  readonly size2: number
  readonly root1: string
  readonly root2: string
  readonly proof: readonly string[] | null
  readonly wantErr: boolean
}

function vectorFiles(kind: 'inclusion' | 'consistency'): { name: string; data: MerkleVector }[] {
  const root = new URL(`${kind}/`, merkleDir)
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ name, data: JSON.parse(readFileSync(new URL(name, root), 'utf8')) }))
}

async function rejection(run: Promise<void>): Promise<string> {
  try {
    await run
    return 'accepted'
  } catch (error) {
    if (isProtocolError(error, 'MERKLE_PROOF_INVALID')) return 'MERKLE_PROOF_INVALID'
    throw error
  }
}

describe('RFC 9162 vectors (test-vectors/merkle)', () => {
  const roots = JSON.parse(readFileSync(new URL('roots.json', merkleDir), 'utf8')) as {
    leafInputsHex: string[]
    rootHashesHexBySize: string[]
  }
  const leaves = roots.leafInputsHex.map(fromHex)

  it('computes the root of every tree size from 0 to 8', async () => {
    expect(roots.rootHashesHexBySize).toHaveLength(9)
    for (let size = 0; size <= 8; size++) {
      expect(toHex(await merkleRoot(leaves.slice(0, size))), `size ${size}`).toBe(
        roots.rootHashesHexBySize[size],
      )
    }
  })

  const inclusion = vectorFiles('inclusion')
  const consistency = vectorFiles('consistency')

  it('has both happy and tampered vectors of each kind', () => {
    const count = (list: typeof inclusion, wantErr: boolean) =>
      list.filter(({ data }) => data.wantErr === wantErr).length
    expect([count(inclusion, false), count(inclusion, true)]).toEqual([6, 92])
    expect([count(consistency, false), count(consistency, true)]).toEqual([6, 92])
  })

  it('accepts every happy inclusion proof and rejects every tampered one', async () => {
    const wrong: string[] = []
    for (const { name, data } of inclusion) {
      const outcome = await rejection(
        verifyInclusion({
          index: data.leafIdx,
          size: data.treeSize,
          leafHash: base64(data.leafHash),
          proof: (data.proof ?? []).map(base64),
          root: base64(data.root),
        }),
      )
      if ((outcome === 'accepted') === data.wantErr) wrong.push(`${name}: ${outcome}`)
    }
    expect(wrong).toEqual([])
  })

  it('accepts every happy consistency proof and rejects every tampered one', async () => {
    const wrong: string[] = []
    for (const { name, data } of consistency) {
      const outcome = await rejection(
        verifyConsistency({
          size1: data.size1,
          size2: data.size2,
          proof: (data.proof ?? []).map(base64),
          root1: base64(data.root1),
          root2: base64(data.root2),
        }),
      )
      if ((outcome === 'accepted') === data.wantErr) wrong.push(`${name}: ${outcome}`)
    }
    expect(wrong).toEqual([])
  })

  it('generates exactly the proofs of the happy-path vectors for the tree of roots.json', async () => {
    let compared = 0
    for (const { data } of inclusion) {
      if (data.wantErr || data.treeSize > 8 || data.treeSize === 1) continue
      const proof = await inclusionProof(leaves.slice(0, data.treeSize), data.leafIdx)
      expect(proof.map(toHex)).toEqual((data.proof ?? []).map(base64).map(toHex))
      compared++
    }
    for (const { data } of consistency) {
      if (data.wantErr || data.size2 > 8 || data.size1 === data.size2) continue
      const proof = await consistencyProof(leaves.slice(0, data.size2), data.size1)
      expect(proof.map(toHex)).toEqual((data.proof ?? []).map(base64).map(toHex))
      compared++
    }
    expect(compared).toBeGreaterThanOrEqual(8)
  })
})

describe('generated Merkle proofs', () => {
  const leafList = fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 40 })

  it('an inclusion proof verifies, and any tampering with it is rejected', async () => {
    await fc.assert(
      fc.asyncProperty(
        leafList,
        fc.nat(),
        fc.nat(),
        fc.nat(255),
        async (leaves, rawIndex, pick, bit) => {
          const index = rawIndex % leaves.length
          const size = leaves.length
          const root = await merkleRoot(leaves)
          const leafHash = await merkleLeafHash(leaves[index]!)
          const proof = await inclusionProof(leaves, index)
          const claim = { index, size, leafHash, proof, root }
          expect(await isValidInclusion(claim)).toBe(true)

          const flipped = proof.map((hash) => hash.slice())
          if (flipped.length > 0) flipped[pick % flipped.length]![bit % 32]! ^= 1 << (bit % 8)
          // The tree size is not tampered with: a proof does not bind it (index 0 of 3 and of 4
          // take the same path); the signed checkpoint that carries size and root does.
          const tampered = [
            { ...claim, proof: [...proof, root] },
            { ...claim, leafHash: await merkleLeafHash(new Uint8Array([...leaves[index]!, 0])) },
            { ...claim, root: await merkleRoot([...leaves, new Uint8Array()]) },
          ]
          if (proof.length > 0)
            tampered.push({ ...claim, proof: flipped }, { ...claim, proof: proof.slice(1) })
          const otherIndex = (index + 1 + (pick % size)) % size
          // Another position can only pass if it holds an equal leaf.
          if (toHex(leaves[otherIndex]!) !== toHex(leaves[index]!)) {
            tampered.push({ ...claim, index: otherIndex })
          }
          for (const bad of tampered) expect(await isValidInclusion(bad)).toBe(false)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('a consistency proof verifies, and any tampering with it is rejected', async () => {
    await fc.assert(
      fc.asyncProperty(leafList, fc.nat(), fc.nat(), fc.nat(255), async (leaves, m, pick, bit) => {
        const size2 = leaves.length
        const size1 = 1 + (m % size2)
        const root1 = await merkleRoot(leaves.slice(0, size1))
        const root2 = await merkleRoot(leaves)
        const proof = await consistencyProof(leaves, size1)
        const claim = { size1, size2, proof, root1, root2 }
        expect(await isValidConsistency(claim)).toBe(true)

        const other = await merkleRoot([...leaves, new Uint8Array([1])])
        const tampered = [
          { ...claim, root1: other },
          { ...claim, root2: other },
          { ...claim, proof: [...proof, root2] },
        ]
        if (proof.length > 0) {
          const flipped = proof.map((hash) => hash.slice())
          flipped[pick % flipped.length]![bit % 32]! ^= 1 << (bit % 8)
          tampered.push({ ...claim, proof: flipped }, { ...claim, proof: proof.slice(0, -1) })
        }
        for (const bad of tampered) expect(await isValidConsistency(bad)).toBe(false)
      }),
      { numRuns: 100 },
    )
  })

  it('refuses to build proofs for positions outside the tree', async () => {
    const leaves = [new Uint8Array([1]), new Uint8Array([2])]
    await expect(inclusionProof(leaves, 2)).rejects.toMatchObject({ code: 'MERKLE_PROOF_INVALID' })
    await expect(consistencyProof(leaves, 0)).rejects.toMatchObject({
      code: 'MERKLE_PROOF_INVALID',
    })
    await expect(consistencyProof(leaves, 3)).rejects.toMatchObject({
      code: 'MERKLE_PROOF_INVALID',
    })
  })
})
