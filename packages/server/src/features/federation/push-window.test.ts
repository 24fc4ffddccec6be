import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PushWindow, type WindowItem } from './push-window.ts'

interface Row extends WindowItem {
  readonly seq: number
}

const row = (outboxId: number, channel: string, author: string, seq: number): Row => ({
  outboxId,
  channel,
  author,
  seq,
})
const key = (r: Row) => `${r.channel}\n${r.author}`

describe('PushWindow', () => {
  it('lets one batch per chain fly, up to its size, and frees a chain on the answer', () => {
    const window = new PushWindow<Row>(2)
    const rows = [row(1, 'c1', 'usa', 1), row(2, 'c2', 'usa', 1), row(3, 'c1', 'usa', 2)]
    const first = window.open(window.choose(rows).slice(0, 1))
    // c1 waits for its answer: its second event may not overtake the first.
    expect(window.choose(rows).map((r) => r.outboxId)).toEqual([2])
    expect(window.busyChains()).toEqual([{ channel: 'c1', author: 'usa' }])
    window.open([rows[1]!])
    expect(window.full).toBe(true)
    expect(() => window.open([rows[2]!])).toThrow('the push window is full')
    window.answered(first)
    // Answered but not yet stored: the row stays held, its chain goes on.
    expect(window.choose(rows).map((r) => r.outboxId)).toEqual([3])
    expect(window.held).toBe(2)
    window.settled(first)
    expect(window.inFlight).toBe(1)
    expect(window.held).toBe(1)
    expect(window.choose(rows).map((r) => r.outboxId)).toEqual([1, 3])
  })

  it('refuses a batch holding a chain already in flight, and a size below 1', () => {
    const window = new PushWindow<Row>(4)
    window.open([row(1, 'c1', 'usa', 1)])
    expect(() => window.open([row(2, 'c1', 'usa', 2)])).toThrow('a chain is in flight twice')
    expect(() => new PushWindow(0)).toThrow('a window holds 1 batch or more')
  })

  it('never shows the peer an event before its predecessor, and delivers every event once, under any interleaving', () => {
    // A sender over the window and a receiver that takes requests in any order, with pushes
    // lost on the way, answers lost after the commit, receipts that fail to be stored, and
    // requests that reach the receiver after the sender gave up on them.
    const chains = ['c1\nusa', 'c1\nfra', 'c2\nusa', 'c3\nusa']
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: chains.length - 1 }), { minLength: 1, maxLength: 24 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
        (chainOf, size, batchLimit, dice) => {
          const seqs = new Map<string, number>()
          const outbox = chainOf.map((c, i) => {
            const [channel, author] = chains[c]!.split('\n') as [string, string]
            const seq = (seqs.get(chains[c]!) ?? 0) + 1
            seqs.set(chains[c]!, seq)
            return row(i + 1, channel, author, seq)
          })
          const delivered = new Set<number>()
          const held = new Map<string, number>() // receiver: chain → highest seq held
          const commits: Row[] = []
          const gaps: Row[] = []
          type Request = { ticket: number; batch: Row[]; state: 'sent' | 'done' | 'ghost' }
          let requests: Request[] = []
          type Answer = { ticket: number; receipted: number[] }
          let answers: Answer[] = []
          const settling: Answer[] = []
          let roll = 0
          const die = (n: number) => dice[roll++ % dice.length]! % n

          const receive = (batch: readonly Row[]) => {
            const receipted: number[] = []
            for (const r of batch) {
              const top = held.get(key(r)) ?? 0
              if (r.seq > top + 1) gaps.push(r)
              else if (r.seq === top + 1) {
                held.set(key(r), r.seq)
                commits.push(r)
              }
              if (r.seq <= (held.get(key(r)) ?? 0)) receipted.push(r.outboxId)
            }
            return receipted
          }
          const send = () => {
            const undelivered = outbox.filter((r) => !delivered.has(r.outboxId))
            const batch = window.choose(undelivered).slice(0, batchLimit)
            if (batch.length === 0 || window.full) return false
            requests.push({ ticket: window.open(batch), batch, state: 'sent' })
            return true
          }
          const window = new PushWindow<Row>(size)
          // The adversarial phase: every step picks one enabled move at random.
          for (let step = 0; step < 120; step++) {
            const live = requests.filter((r) => r.state !== 'done')
            const move = die(5)
            if (move === 0) send()
            else if (move === 1 && live.length > 0) {
              const request = live[die(live.length)]!
              const fate = die(4)
              if (fate === 0 && request.state === 'sent') {
                // Lost before the receiver: the sender's push fails.
                request.state = 'done'
                window.settled(request.ticket)
              } else if (fate === 1 && request.state === 'sent') {
                // The sender gives up (a timeout) while the request is still on its way.
                request.state = 'ghost'
                window.settled(request.ticket)
              } else {
                const receipted = receive(request.batch)
                const ghost = request.state === 'ghost'
                request.state = 'done'
                if (!ghost) {
                  // fate 2: the receiver committed, and its answer is lost on the way back.
                  if (fate === 2) window.settled(request.ticket)
                  else answers.push({ ticket: request.ticket, receipted })
                }
              }
            } else if (move === 2 && answers.length > 0) {
              const answer = answers.splice(die(answers.length), 1)[0]!
              window.answered(answer.ticket)
              settling.push(answer)
            } else if (move === 3 && settling.length > 0) {
              const answer = settling.splice(die(settling.length), 1)[0]!
              // The receipts are stored, or the database fails and the rows go again.
              if (die(3) > 0) for (const id of answer.receipted) delivered.add(id)
              window.settled(answer.ticket)
            }
            expect(window.inFlight).toBeLessThanOrEqual(size)
          }
          // Then the link heals: what is in flight is answered, and the sender goes on.
          for (const request of requests) {
            if (request.state === 'sent') {
              const receipted = receive(request.batch)
              answers.push({ ticket: request.ticket, receipted })
            } else if (request.state === 'ghost') receive(request.batch)
          }
          requests = []
          for (const answer of [...answers, ...settling]) {
            for (const id of answer.receipted) delivered.add(id)
            window.settled(answer.ticket)
          }
          answers = []
          for (let round = 0; round < outbox.length + 1 && send(); round++) {
            for (const request of requests.splice(0)) {
              for (const id of receive(request.batch)) delivered.add(id)
              window.settled(request.ticket)
            }
          }
          expect(gaps).toEqual([])
          expect([...delivered].sort((a, b) => a - b)).toEqual(outbox.map((r) => r.outboxId))
          expect(commits.map((r) => r.outboxId).sort((a, b) => a - b)).toEqual(
            outbox.map((r) => r.outboxId),
          )
          for (const chain of chains) {
            const order = commits.filter((r) => key(r) === chain).map((r) => r.seq)
            expect(order).toEqual(order.map((_, i) => i + 1))
          }
          expect(window.inFlight).toBe(0)
        },
      ),
      { numRuns: 300 },
    )
  })
})
