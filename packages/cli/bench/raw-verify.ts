// The baseline of `npm run bench:verify`: how fast WebCrypto verifies Ed25519 signatures on one
// core, nothing else (no JSON, no JCS, no hashing). Run it with UV_THREADPOOL_SIZE=1 so that
// the signature work itself has one thread; the JS thread that awaits it is the other user of
// CPU, and the reported `cpuCores` says how much of a core both took together.
//
//   UV_THREADPOOL_SIZE=1 node packages/cli/bench/raw-verify.ts <seconds> <public key> <sig> <message hex>
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

// Warm-up: key import, JIT, thread pool start.
for (let i = 0; i < 500; i++) await verifyOnce()
const sequential = await measure(1)
const windowed = await measure(8)
process.stdout.write(
  `${JSON.stringify({ threadPool: process.env.UV_THREADPOOL_SIZE ?? 'default', sequential, windowed })}\n`,
)
