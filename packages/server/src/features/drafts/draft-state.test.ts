import { draftContentHash } from '@parley/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type DraftEventFacts, type DraftGenesis, draftState } from './draft-state.ts'

const MEMBERS = ['est', 'rus', 'usa'] as const
const PARTIES = { members: MEMBERS, rapporteur: 'osce' }

const genesis: DraftGenesis = {
  id: 'd'.repeat(64),
  author: 'rus',
  time: 1_000,
  body: {
    title: 'Joint statement',
    lang: 'en',
    paragraphs: [
      { id: 'p1', alternatives: [{ id: 'p1.a', text: 'The Parties shall not attack grids.' }] },
      { id: 'p2', alternatives: [{ id: 'p2.a', text: 'Either Party may raise a breach.' }] },
    ],
    packages: [{ id: 'k1', paragraphs: ['p1', 'p2'] }],
  },
}

type Action =
  | { kind: 'propose'; party: number; paragraph: number; insert: boolean }
  | { kind: 'accept'; party: number; paragraph: number; alternative: number }
  | { kind: 'withdraw'; party: number; alternative: number }
  | { kind: 'adopt'; party: number }
  | { kind: 'close' }

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('propose' as const),
    party: fc.nat(2),
    paragraph: fc.nat(2),
    insert: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('accept' as const),
    party: fc.nat(2),
    paragraph: fc.nat(1),
    // Mostly the first wordings, so that members often agree and adoptions happen.
    alternative: fc.constantFrom(0, 0, 0, 1),
  }),
  fc.record({ kind: fc.constant('withdraw' as const), party: fc.nat(2), alternative: fc.nat(5) }),
  fc.record({ kind: fc.constant('adopt' as const), party: fc.nat(2) }),
  fc.record({ kind: fc.constant('close' as const) }),
)

/**
 * Plays the actions in one global order, each party seeing everything before it (a causally
 * consistent history): an adopt names the hash the adopter sees, so some adoptions succeed.
 */
async function history(played: readonly Action[]): Promise<DraftEventFacts[]> {
  const actions = played.flatMap((act): Action[] =>
    // A closing round: each member accepts the first wording of everything, then adopts.
    act.kind === 'close'
      ? [
          ...MEMBERS.map((_, party) => ({
            kind: 'accept' as const,
            party,
            paragraph: 0,
            alternative: 0,
          })),
          ...MEMBERS.map((_, party) => ({ kind: 'adopt' as const, party })),
        ]
      : [act],
  )
  const events: DraftEventFacts[] = []
  const seqs = new Map<string, number>()
  let n = 0
  for (const act of actions) {
    if (act.kind === 'close') continue
    const author = MEMBERS[act.party]!
    const seq = (seqs.get(author) ?? 1) + 1
    seqs.set(author, seq)
    const id = (++n).toString(16).padStart(64, '0')
    const time = 2_000 + n
    const seen = await draftState(genesis, events, PARTIES)
    const eIds = seen.paragraphs.map((p) => p.eId)
    const base = { id, author, seq, time }
    if (act.kind === 'propose') {
      const paragraph = act.insert ? `p${n}x` : (eIds[act.paragraph % eIds.length] ?? 'p1')
      events.push({
        ...base,
        type: 'draft.propose',
        body: {
          draft: genesis.id,
          version: seen.version,
          paragraphs: [
            {
              id: paragraph,
              ...(act.insert ? { after: eIds[act.paragraph % eIds.length] ?? null } : {}),
              alternatives: [{ id: `a${n}`, text: `Wording ${n} of ${author}.` }],
            },
          ],
        },
      })
    } else if (act.kind === 'accept') {
      // One paragraph, or (every other time) a choice for every paragraph at once.
      const chosen =
        act.paragraph === 0
          ? seen.paragraphs
          : [seen.paragraphs[act.paragraph % seen.paragraphs.length]!]
      events.push({
        ...base,
        type: 'draft.accept',
        body: {
          draft: genesis.id,
          version: seen.version,
          choices: chosen.map((paragraph) => ({
            paragraph: paragraph.eId,
            alternative:
              paragraph.alternatives[act.alternative % paragraph.alternatives.length]!.id,
          })),
        },
      })
    } else if (act.kind === 'withdraw') {
      const own = seen.paragraphs.flatMap((p) => p.alternatives).filter((a) => a.owner === author)
      const target = own[act.alternative % Math.max(1, own.length)]
      events.push({
        ...base,
        type: 'draft.propose',
        body: {
          draft: genesis.id,
          version: seen.version,
          ...(target === undefined ? {} : { withdraw: [target.id] }),
        },
      })
    } else {
      events.push({
        ...base,
        type: 'draft.adopt',
        body: {
          draft: genesis.id,
          version: seen.version,
          contentHash: seen.contentHash ?? (await draftContentHash([])),
        },
      })
    }
  }
  return events
}

describe('draftState', () => {
  it('converges: every delivery order of the same events gives the same statuses and adoptions', async () => {
    let agreedRuns = 0
    let adoptedRuns = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { minLength: 12, maxLength: 40 }),
        fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
        async (actions, keys) => {
          const events = await history(actions)
          const reference = await draftState(genesis, events, PARTIES)
          // Arrival order at another node: any permutation (the state reads the set).
          const shuffled = events
            .map((event, i) => ({ event, key: keys[i % keys.length]! * 31 + i }))
            .sort((a, b) => a.key - b.key)
            .map(({ event }) => event)
          expect(await draftState(genesis, shuffled, PARTIES)).toEqual(reference)
          expect(await draftState(genesis, [...events].reverse(), PARTIES)).toEqual(reference)
          if (reference.adopted.length > 0) adoptedRuns++
          if (reference.paragraphs.some((p) => p.status !== 'open')) agreedRuns++
        },
      ),
      { numRuns: 100, seed: 20261207 },
    )
    // The histories reached agreement and adoption, not only open brackets.
    expect(agreedRuns).toBeGreaterThan(5)
    expect(adoptedRuns).toBeGreaterThan(0)
  })

  it('adopts only when every member adopted the hash of the whole agreed text', async () => {
    const accept = (author: string, seq: number, alternative: string, paragraph: string) =>
      ({
        id: `${author}${seq}`.padEnd(64, '0'),
        author,
        seq,
        time: 3_000 + seq,
        type: 'draft.accept',
        body: { draft: genesis.id, choices: [{ paragraph, alternative }] },
      }) as const
    const accepts = MEMBERS.flatMap((party) => [
      accept(party, 2, 'p1.a', 'p1'),
      accept(party, 3, 'p2.a', 'p2'),
    ])
    const agreed = await draftState(genesis, accepts, PARTIES)
    expect(agreed.paragraphs.map((p) => p.status)).toEqual(['agreed', 'agreed'])
    const hash = agreed.contentHash!
    const adopt = (author: string, contentHash: string) =>
      ({
        id: `${author}adopt${contentHash.slice(0, 4)}`.padEnd(64, '0'),
        author,
        seq: 9,
        time: 9_000,
        type: 'draft.adopt',
        body: { draft: genesis.id, contentHash },
      }) as const
    const two = await draftState(
      genesis,
      [...accepts, adopt('usa', hash), adopt('rus', hash)],
      PARTIES,
    )
    expect(two.adopted).toEqual([])
    expect(two.adoptedBy).toEqual(['rus', 'usa'])
    const stale = await draftState(
      genesis,
      [...accepts, adopt('usa', hash), adopt('rus', hash), adopt('est', 'f'.repeat(64))],
      PARTIES,
    )
    expect(stale.adopted).toEqual([])
    const all = await draftState(
      genesis,
      [...accepts, ...MEMBERS.map((party) => adopt(party, hash))],
      PARTIES,
    )
    expect(all.adopted).toMatchObject([{ version: 1, contentHash: hash }])
    expect(all.version).toBe(2)
  })

  it('keeps eIds when a paragraph is inserted or deleted, and renumbers around them', async () => {
    const events: DraftEventFacts[] = [
      {
        id: '1'.padStart(64, '0'),
        author: 'usa',
        seq: 2,
        time: 2_000,
        type: 'draft.propose',
        body: {
          draft: genesis.id,
          paragraphs: [
            { id: 'p0', after: null, alternatives: [{ id: 'p0.a', text: 'Recalling,' }] },
            {
              id: 'p1',
              alternatives: [{ id: 'p1.del', text: 'Delete paragraph 1.', deletes: true }],
            },
          ],
        },
      },
      ...MEMBERS.map(
        (party, i): DraftEventFacts => ({
          id: `${i + 2}`.padStart(64, '0'),
          author: party,
          seq: 3,
          time: 3_000,
          type: 'draft.accept',
          body: {
            draft: genesis.id,
            choices: [
              { paragraph: 'p0', alternative: 'p0.a' },
              { paragraph: 'p1', alternative: 'p1.del' },
              { paragraph: 'p2', alternative: 'p2.a' },
            ],
          },
        }),
      ),
    ]
    const state = await draftState(genesis, events, PARTIES)
    expect(state.paragraphs.map((p) => [p.eId, p.num])).toEqual([
      ['p0', 1],
      ['p1', null],
      ['p2', 2],
    ])
    expect(state.text).toEqual([
      { paragraph: 'p0', text: 'Recalling,' },
      { paragraph: 'p2', text: 'Either Party may raise a breach.' },
    ])
  })
})
