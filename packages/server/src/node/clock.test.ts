import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ManualClock } from './clock.ts'

describe('ManualClock', () => {
  it('fires timers in due order, each reading its own due time, and not before', async () => {
    const clock = new ManualClock(1_000)
    const fired: [string, number][] = []
    clock.setTimer(300, () => void fired.push(['c', clock.now()]))
    clock.setTimer(100, () => void fired.push(['a', clock.now()]))
    clock.setTimer(100, () => void fired.push(['b', clock.now()]))
    await clock.advance(99)
    expect(fired).toEqual([])
    await clock.advance(201)
    expect(fired).toEqual([
      ['a', 1_100],
      ['b', 1_100],
      ['c', 1_300],
    ])
    expect(clock.now()).toBe(1_300)
  })

  it('fires within the same advance the timers that fired work sets, after that work', async () => {
    const clock = new ManualClock(0)
    const fired: number[] = []
    const retry = async () => {
      await new Promise((resolve) => setImmediate(resolve))
      fired.push(clock.now())
      if (fired.length < 3) clock.setTimer(1_000, retry)
    }
    clock.setTimer(0, retry)
    await clock.advance(2_500)
    expect(fired).toEqual([0, 1_000, 2_000])
    expect(clock.pending).toBe(0)
  })

  it('never fires a cleared timer', async () => {
    const clock = new ManualClock(0)
    let fired = false
    const timer = clock.setTimer(10, () => {
      fired = true
    })
    clock.clearTimer(timer)
    await clock.advance(100)
    expect(fired).toBe(false)
  })

  it('fires every timer once, in order, whatever the steps (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 10 }),
        async (delays, steps) => {
          const clock = new ManualClock(0)
          const fired: { due: number; at: number }[] = []
          for (const delay of delays) {
            clock.setTimer(delay, () => void fired.push({ due: delay, at: clock.now() }))
          }
          for (const step of steps) await clock.advance(step)
          await clock.advance(1_000)
          expect(fired.map((f) => f.due)).toEqual([...delays].sort((a, b) => a - b))
          for (const { due, at } of fired) expect(at).toBe(due)
        },
      ),
    )
  })
})
