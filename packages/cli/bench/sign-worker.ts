// Signs batches of domain-separated messages for the transcript generator. Node's synchronous
// Ed25519 avoids a thread-pool round trip per signature; the bytes signed are built by
// @parley/protocol on the main thread, so the signatures are exactly the protocol's.
import { createPrivateKey, type KeyObject, sign } from 'node:crypto'
import { serveTasks } from '../src/verify/worker-pool.ts'

/** Messages packed end to end, each signed with the key of `signers[i]`. */
export interface SignTask {
  readonly signers: readonly string[]
  readonly lengths: Uint32Array
  readonly bytes: Uint8Array
}

/** 64 signature bytes per message, in order. */
export type SignResult = Uint8Array

const keys = new Map<string, KeyObject>()

serveTasks<SignTask, SignResult>(
  (task, data) => {
    const pkcs8 = data as Record<string, Uint8Array>
    const signatures = new Uint8Array(64 * task.signers.length)
    let offset = 0
    task.signers.forEach((signer, i) => {
      let key = keys.get(signer)
      if (key === undefined) {
        key = createPrivateKey({ key: Buffer.from(pkcs8[signer]!), format: 'der', type: 'pkcs8' })
        keys.set(signer, key)
      }
      const length = task.lengths[i]!
      signatures.set(sign(null, task.bytes.subarray(offset, offset + length), key), 64 * i)
      offset += length
    })
    return signatures
  },
  (signatures) => [signatures.buffer as ArrayBuffer],
)
