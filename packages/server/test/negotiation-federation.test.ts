import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkOriginal } from '../src/features/forwards/forwards.service.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

// biome-ignore lint/suspicious/noExplicitAny: the test reads answers as plain JSON
type Json = any

const POLICY = {
  languages: ['en'],
  ackWithin: { routine: 86_400_000, priority: 14_400_000, flash: 900_000 },
  respondWithin: 259_200_000,
  release: { twoPersonRule: [], flashExempt: false },
}

describe('negotiation across three nodes', () => {
  let usa: TestNode
  let rus: TestNode
  let est: TestNode
  let close: () => Promise<void>

  const compose = (node: TestNode, channel: string, type: string, body: unknown) =>
    node.api<Json>('POST', `/channels/${channel}/compose`, { type, body })

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
        { node: 'est', parties: [{ id: 'est', name: 'Estonia' }] },
      ],
      {
        // Estonia's node pins usa, never rus: what rus signed it can show, never call verified.
        peers: (from, to) => !(from === 'est' && to === 'rus') && !(from === 'rus' && to === 'est'),
        configure: (config) => ({ ...config, release: { twoPersonRule: [] } }),
        backoff: () => 50,
      },
    )
    ;[usa, rus, est] = started.nodes as [TestNode, TestNode, TestNode]
    close = started.close
  })
  afterAll(() => close?.())

  it('agrees and adopts a text that both nodes project alike, then forwards it to an ally', async () => {
    const wg = (
      await usa.api<Json>('POST', '/channels', {
        title: 'Working group',
        members: ['usa', 'rus'],
        observers: [],
        policy: POLICY,
      })
    ).body.channel.id
    await eventually(
      async () =>
        (await rus.admit(wg)) && (await rus.api('POST', `/channels/${wg}/join`, {})).status === 201,
    )

    const draft = (
      await eventually(async () => {
        const created = await compose(rus, wg, 'draft.create', {
          title: 'Joint statement',
          lang: 'en',
          paragraphs: [{ id: 'p1', alternatives: [{ id: 'p1.a', text: 'The Parties agree.' }] }],
        })
        return created.status === 201 && created
      })
    ).body.event.id
    await eventually(
      async () => (await usa.api(`GET`, `/channels/${wg}/drafts/${draft}`)).status === 200,
    )
    expect(
      (
        await compose(usa, wg, 'draft.propose', {
          draft,
          paragraphs: [
            { id: 'p1', alternatives: [{ id: 'p1.b', text: 'The Parties jointly agree.' }] },
          ],
        })
      ).status,
    ).toBe(201)
    const choice = { draft, choices: [{ paragraph: 'p1', alternative: 'p1.b' }] }
    expect((await compose(usa, wg, 'draft.accept', choice)).status).toBe(201)
    await eventually(async () => (await compose(rus, wg, 'draft.accept', choice)).status === 201)
    const hash = await eventually(async () => {
      const state = (await usa.api<Json>('GET', `/channels/${wg}/drafts/${draft}`)).body
      return state.contentHash ?? undefined
    })
    const adoptedUsa = await compose(usa, wg, 'draft.adopt', { draft, contentHash: hash })
    expect(adoptedUsa.status, JSON.stringify(adoptedUsa.body)).toBe(201)
    let last: unknown
    await eventually(async () => {
      const adopted = await compose(rus, wg, 'draft.adopt', { draft, contentHash: hash })
      last = adopted.body
      return adopted.status === 201
    }).catch((error) => {
      throw new Error(`${error}: ${JSON.stringify(last)}`)
    })
    const [atUsa, atRus] = await eventually(async () => {
      const states = await Promise.all(
        [usa, rus].map(
          async (node) => (await node.api<Json>('GET', `/channels/${wg}/drafts/${draft}`)).body,
        ),
      )
      return states.every((state) => state.adopted.length === 1) && states
    })
    expect(atRus).toEqual(atUsa)
    expect(atUsa.adopted[0].adopters.map((a: { party: string }) => a.party)).toEqual(['rus', 'usa'])

    const allies = (
      await usa.api<Json>('POST', '/channels', {
        title: 'Allies',
        members: ['usa', 'est'],
        observers: [],
        policy: POLICY,
      })
    ).body.channel.id
    await eventually(
      async () =>
        (await est.admit(allies)) &&
        (await est.api('POST', `/channels/${allies}/join`, {})).status === 201,
    )
    const adopts = (await usa.api<Json>('GET', `/channels/${wg}/timeline`)).body.events.filter(
      (view: { event: { type: string } }) => view.event.type === 'draft.adopt',
    )
    const sent = await compose(usa, allies, 'forward', {
      from: wg,
      items: adopts.map((view: { event: unknown; sig: string }) => ({
        event: view.event,
        sig: view.sig,
      })),
    })
    expect(sent.status).toBe(201)

    const items = await eventually(async () => {
      const list = (await est.api<Json>('GET', `/channels/${allies}/forwards`)).body.items
      return list.length === 2 && list
    })
    const by = (author: string) => items.find((item: { author: string }) => item.author === author)
    expect(by('usa')).toMatchObject({
      forwardedBy: 'usa',
      forwardedAt: sent.body.event.event.time,
      signature: { state: 'verified' },
    })
    expect(by('rus').signature).toEqual({
      state: 'unpinned',
      key: 'rus#1',
      message: 'signed by a key this node has not pinned',
    })

    // One changed byte in the original: the ally's check fails, and never says verified.
    const original = by('usa').original
    const tampered = {
      ...original,
      event: {
        ...original.event,
        body: {
          ...original.event.body,
          contentHash: `${hash.slice(0, -1)}${hash.endsWith('0') ? '1' : '0'}`,
        },
      },
    }
    const checked = await checkOriginal(est.database, tampered)
    expect(checked.signature).toMatchObject({ state: 'invalid', code: 'SIGNATURE_INVALID' })
  }, 60_000)
})
