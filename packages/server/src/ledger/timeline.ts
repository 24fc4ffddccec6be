import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import type { StoredEvent } from './append-types.ts'
import { channelEvents } from './log.ts'

type Executor = Kysely<DB> | Transaction<DB>

/**
 * A channel's events in display order (DESIGN §4.7), the same on every node that holds the
 * same events: causal order (an event after its `prev` and after every event its `heads`
 * cite), ties broken by (time, author). A `heads` entry citing an event this node does not
 * hold, or citing a different id than the one held, constrains nothing.
 */
export async function channelTimeline(db: Executor, channel: string): Promise<StoredEvent[]> {
  const chains = new Map<string, StoredEvent[]>()
  for await (const stored of channelEvents(db, channel)) {
    const chain = chains.get(stored.event.author)
    // Stored chains have no gaps, so index = seq - 1.
    if (chain === undefined) chains.set(stored.event.author, [stored])
    else chain.push(stored)
  }
  for (const chain of chains.values()) chain.sort((a, b) => a.event.seq - b.event.seq)
  return causalOrder(chains)
}

/** Orders gap-free chains (author → events by seq) as {@link channelTimeline} describes. */
export function causalOrder(chains: ReadonlyMap<string, readonly StoredEvent[]>): StoredEvent[] {
  const authors = [...chains.keys()].sort()
  const emitted = new Map<string, number>(authors.map((author) => [author, 0]))
  const total = [...chains.values()].reduce((sum, chain) => sum + chain.length, 0)
  const order: StoredEvent[] = []

  const ready = (stored: StoredEvent) =>
    Object.entries(stored.event.heads).every(([party, head]) => {
      const cited = chains.get(party)?.[head.seq - 1]
      return cited === undefined || cited.id !== head.id || emitted.get(party)! >= head.seq
    })
  const earlier = (a: StoredEvent, b: StoredEvent) =>
    a.event.time !== b.event.time ? a.event.time < b.event.time : a.event.author < b.event.author

  while (order.length < total) {
    let best: StoredEvent | undefined
    let fallback: StoredEvent | undefined
    for (const author of authors) {
      const next = chains.get(author)![emitted.get(author)!]
      if (next === undefined) continue
      if (fallback === undefined || earlier(next, fallback)) fallback = next
      if (ready(next) && (best === undefined || earlier(next, best))) best = next
    }
    // Signed heads cannot form a cycle (ids commit to content), but claims about events this
    // node never checked could; the earliest event then goes first rather than none at all.
    const chosen = (best ?? fallback)!
    order.push(chosen)
    emitted.set(chosen.event.author, emitted.get(chosen.event.author)! + 1)
  }
  return order
}
