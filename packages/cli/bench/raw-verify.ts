// The baseline of `npm run bench:verify`: how fast one core verifies Ed25519 signatures,
// nothing else (no JSON, no JCS, no hashing): WebCrypto awaited one at a time and 8 in flight,
// and node:crypto's synchronous one-shot `verify` (what `parley verify` workers call). Run it
// with UV_THREADPOOL_SIZE=1 so that WebCrypto's signature work has one thread; the JS thread
// that awaits it is the other user of CPU, and `cpuCores` says how much of a core both took.
//
//   UV_THREADPOOL_SIZE=1 node packages/cli/bench/raw-verify.ts <seconds> <public key> <sig> <message hex>
import { createPublicKey, verify } from 'node:crypto'
import { fromBase64Url, fromHex } from '@parley/protocol'

const [seconds, publicKey, signature, messageHex] = process.argv.slice(2)
const duration = 1000 * Number(seconds)
const subtle = globalThis.crypto.subtle
const key = await subtle.importKey(
  'raw',
  fromBase64Url(publicKey!) as Uint8Array<ArrayBuffer>,
  { name: 'Ed25519' },
  false,
  ['verify'],
)
const sig = fromBase64Url(signature!) as Uint8Array<ArrayBuffer>
const message = fromHex(messageHex!) as Uint8Array<ArrayBuffer>

async function verifyOnce(): Promise<void> {
  if (!(await subtle.verify({ name: 'Ed25519' }, key, sig, message))) {
    throw new Error('the baseline signature does not verify')
  }
}

/** Verifies for `duration` ms with `window` verifications in flight; rate per second. */
async function measure(window: number) {
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  let count = 0
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (performance.now() - start < duration) {
        await verifyOnce()
        count += 1
      }
    }),
  )
  const elapsed = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)
  return {
    window,
    verifications: count,
    seconds: elapsed / 1000,
    perSecond: Math.round((count / elapsed) * 1000),
    cpuCores: Number(((cpu.user + cpu.system) / 1000 / elapsed).toFixed(2)),
  }
}

/** node:crypto's one-shot verify on this thread for `duration` ms; rate per second. */
function measureOneShot() {
  const keyObject = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: publicKey! },
    format: 'jwk',
  })
  if (!verify(null, message, keyObject, sig)) throw new Error('the baseline does not verify')
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  let count = 0
  while (performance.now() - start < duration) {
    for (let i = 0; i < 100; i++) verify(null, message, keyObject, sig)
    count += 100
  }
  const elapsed = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)
  return {
    window: 1,
    verifications: count,
    seconds: elapsed / 1000,
    perSecond: Math.round((count / elapsed) * 1000),
    cpuCores: Number(((cpu.user + cpu.system) / 1000 / elapsed).toFixed(2)),
  }
}

// Warm-up: key import, JIT, thread pool start.
for (let i = 0; i < 500; i++) await verifyOnce()
const sequential = await measure(1)
const windowed = await measure(8)
const oneShot = measureOneShot()
process.stdout.write(
  `${JSON.stringify({ threadPool: process.env.UV_THREADPOOL_SIZE ?? 'default', sequential, windowed, oneShot })}\n`,
)
