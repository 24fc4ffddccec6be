import type { Roster } from '@parley/api'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nextHandover, onDutyAt } from './on-duty.ts'

const ALICE = 'o_aaaaaaaaaaaaaaaaaaaaaaaaaa'
const BORIS = 'o_bbbbbbbbbbbbbbbbbbbbbbbbbb'
const CARLA = 'o_cccccccccccccccccccccccccc'
// Monday 7 December 2026, 00:00 UTC.
const MONDAY = Date.UTC(2026, 11, 7)
const H = 3_600_000

const desk: Roster = {
  shifts: [
    { officer: ALICE, days: [1, 2, 3, 4, 5], from: '08:00', until: '20:00' },
    { officer: BORIS, days: [1, 2, 3, 4, 5], from: '20:00', until: '08:00' },
  ],
  overrides: [],
}

describe('who is on duty', () => {
  it('hands over at the shift boundary: the outgoing watch until the minute, the incoming from it', () => {
    expect(onDutyAt(desk, MONDAY + 20 * H - 1)).toEqual([ALICE])
    expect(onDutyAt(desk, MONDAY + 20 * H)).toEqual([BORIS])
    expect(nextHandover(desk, MONDAY + 12 * H)).toBe(MONDAY + 20 * H)
  })

  it('keeps a night watch that began the evening before on duty after midnight', () => {
    // Tuesday 03:00: Boris's Monday night shift runs until 08:00.
    expect(onDutyAt(desk, MONDAY + 27 * H)).toEqual([BORIS])
    // Saturday 03:00: Friday's night shift, still; Saturday 09:00: nobody (weekdays only).
    expect(onDutyAt(desk, MONDAY + 5 * 24 * H + 3 * H)).toEqual([BORIS])
    expect(onDutyAt(desk, MONDAY + 5 * 24 * H + 9 * H)).toEqual([])
  })

  it('lets a one-off override replace an officer for its window only', () => {
    const cover: Roster = {
      ...desk,
      overrides: [
        { officer: CARLA, from: MONDAY + 10 * H, until: MONDAY + 14 * H, replaces: ALICE },
      ],
    }
    expect(onDutyAt(cover, MONDAY + 10 * H - 1)).toEqual([ALICE])
    expect(onDutyAt(cover, MONDAY + 10 * H)).toEqual([CARLA])
    expect(onDutyAt(cover, MONDAY + 14 * H)).toEqual([ALICE])
    expect(nextHandover(cover, MONDAY + 9 * H)).toBe(MONDAY + 10 * H)
  })

  it('reads from = until as a full day, and an empty roster as nobody with no hand-over', () => {
    const always: Roster = {
      shifts: [{ officer: ALICE, days: [1, 2, 3, 4, 5, 6, 7], from: '06:00', until: '06:00' }],
      overrides: [],
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 14 * 24 * H }), (offset) => {
        expect(onDutyAt(always, MONDAY + offset)).toEqual([ALICE])
      }),
    )
    expect(onDutyAt({ shifts: [], overrides: [] }, MONDAY)).toEqual([])
    expect(nextHandover({ shifts: [], overrides: [] }, MONDAY)).toBeNull()
  })

  it('agrees with itself: nothing changes between now and the next hand-over', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 * 24 * H }),
        fc.integer({ min: 1, max: 1000 }),
        (t, step) => {
          const at = MONDAY + t
          const next = nextHandover(desk, at)
          expect(next).not.toBeNull()
          const probe = Math.min(next! - 1, at + step * 60_000)
          expect(onDutyAt(desk, probe)).toEqual(onDutyAt(desk, at))
          expect(onDutyAt(desk, next!)).not.toEqual(onDutyAt(desk, at))
        },
      ),
    )
  })
})
