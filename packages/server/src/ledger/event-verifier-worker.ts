// A worker thread of a node's EventVerifier: DESIGN §4.4 steps 1–3 for a slice of a batch.
import { parentPort } from 'node:worker_threads'
import { authenticateEvent, installCryptoBackend, type PartyKey } from '@parley/protocol'
import { nodeCrypto } from '../node-crypto.ts'
import type { VerifiedText, VerifyReply, VerifyTask } from './event-verifier.ts'

installCryptoBackend(nodeCrypto)
const decoder = new TextDecoder()

parentPort!.on('message', async (task: VerifyTask) => {
  let reply: VerifyReply
  try {
    const keys = new Map<string, readonly PartyKey[]>(task.keys)
    const texts = decoder.decode(task.lines).split('\n')
    const results = await Promise.all(
      texts.map(async (text) => {
        const checked = await authenticateEvent(JSON.parse(text), (p) => keys.get(p) ?? [])
        if (!checked.ok) return checked
        const verified: VerifiedText = { ok: true, id: checked.id, raw: checked.raw }
        return verified
      }),
    )
    reply = { id: task.id, results }
  } catch (error) {
    reply = { id: task.id, error: String((error as Error)?.message ?? error) }
  }
  parentPort!.postMessage(reply)
})
