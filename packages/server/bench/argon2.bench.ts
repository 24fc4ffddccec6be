// How long one officer password hash takes with the parameters the node uses, and with its
// neighbours for comparison. DESIGN §6 / issue 4: one hash must take 50–250 ms here.
// Run: node packages/server/bench/argon2.bench.ts [--runs 15]
import { availableParallelism, cpus } from 'node:os'
import { passwordHasher } from '../src/features/officers/password.ts'

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 15
const password = 'correct horse battery staple'

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  await fn() // warm-up: the first call pays for loading the native module and its memory
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await fn()
    samples.push(performance.now() - start)
  }
  return samples.sort((a, b) => a - b)
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

function report(label: string, samples: number[]): void {
  const ms = (x: number) => x.toFixed(1).padStart(7)
  process.stdout.write(
    `${label.padEnd(44)} min ${ms(samples[0]!)}  median ${ms(quantile(samples, 0.5))}  p90 ${ms(quantile(samples, 0.9))}  max ${ms(samples.at(-1)!)} ms\n`,
  )
}

process.stdout.write(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} CPUs, ${runs} runs each\n`,
)
const used = passwordHasher()
const { memoryCost, timeCost, parallelism } = used.parameters
const chosen = `m=${memoryCost} KiB, t=${timeCost}, p=${parallelism}`
report(`hash   ${chosen} (used)`, await time(() => used.hash(password)))
const stored = await used.hash(password)
report(`verify ${chosen} (used)`, await time(() => used.verify(stored, password)))
for (const [m, t] of [
  [19 * 1024, 2],
  [64 * 1024, 3],
  [64 * 1024, 8],
]) {
  report(
    `hash   m=${m} KiB, t=${t}, p=1`,
    await time(() => passwordHasher({ memoryCost: m!, timeCost: t! }).hash(password)),
  )
}
