import type { Event } from '@parley/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { StoredEvent } from './append-types.ts'
import { causalOrder } from './timeline.ts'

const AUTHORS = ['chn', 'rus', 'usa'] as const

/**
 * Simulates a channel: at each step one author either emits an event (citing the latest event
 * it has seen of each other author) or receives everything another author emitted so far.
 */
const history = fc.array(
  fc.record({
    author: fc.constantFrom(...AUTHORS),
    hearsFrom: fc.option(fc.constantFrom(...AUTHORS), { nil: undefined }),
    clockStep: fc.integer({ min: -5_000, max: 5_000 }),
  }),
  { maxLength: 60 },
)

function simulate(steps: readonly Step[]) {
  const chains = new Map<string, StoredEvent[]>()
  const seen = new Map<string, Map<string, number>>(AUTHORS.map((a) => [a, new Map()]))
  const clock = new Map<string, number>(AUTHORS.map((a) => [a, 1_000_000]))
  let position = 0
  for (const { author, hearsFrom, clockStep } of steps) {
    const chain = chains.get(author) ?? []
    if (hearsFrom !== undefined && hearsFrom !== author) {
      const theirs = chains.get(hearsFrom)?.length ?? 0
      if (theirs > 0) seen.get(author)!.set(hearsFrom, theirs)
      continue
    }
    // Clocks drift between authors but never run backwards within one chain.
    const time = Math.max(clock.get(author)! + clockStep, chain.at(-1)?.event.time ?? 0)
    clock.set(author, time)
    const heads: Record<string, { seq: number; id: string }> = {}
    for (const [party, seq] of seen.get(author)!) {
      heads[party] = { seq, id: chains.get(party)![seq - 1]!.id }
    }
    const seq = chain.length + 1
    const event = { author, seq, time, heads } as unknown as Event
    chain.push({ id: `${author}-${seq}`, event, sig: '', receivedAt: 0, position: ++position })
    chains.set(author, chain)
  }
  return chains
}

interface Step {
  author: string
  hearsFrom: string | undefined
  clockStep: number
}

describe('causalOrder', () => {
  it('puts every event after its prev and after every event its heads cite', () => {
    fc.assert(
      fc.property(history, (steps) => {
        const chains = simulate(steps)
        const order = causalOrder(chains)
        const total = [...chains.values()].reduce((n, chain) => n + chain.length, 0)
        expect(order).toHaveLength(total)
        const index = new Map(order.map((stored, i) => [stored.id, i]))
        expect(index.size).toBe(total)
        for (const stored of order) {
          const at = index.get(stored.id)!
          const { author, seq, heads } = stored.event
          if (seq > 1) expect(index.get(`${author}-${seq - 1}`)!).toBeLessThan(at)
          for (const head of Object.values(heads)) expect(index.get(head.id)!).toBeLessThan(at)
        }
      }),
    )
  })

  it('does not depend on the order in which chains were read', () => {
    fc.assert(
      fc.property(history, (steps) => {
        const chains = simulate(steps)
        const reversed = new Map([...chains.entries()].reverse())
        expect(causalOrder(reversed).map((s) => s.id)).toEqual(causalOrder(chains).map((s) => s.id))
      }),
    )
  })

  it('breaks ties between independent events by time, then author', () => {
    const at = (author: string, time: number): StoredEvent => ({
      id: `${author}-1`,
      event: { author, seq: 1, time, heads: {} } as unknown as Event,
      sig: '',
      receivedAt: 0,
      position: 0,
    })
    const chains = new Map([
      ['usa', [at('usa', 5)]],
      ['rus', [at('rus', 5)]],
      ['chn', [at('chn', 9)]],
    ])
    expect(causalOrder(chains).map((s) => s.id)).toEqual(['rus-1', 'usa-1', 'chn-1'])
  })
})
