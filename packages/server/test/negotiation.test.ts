import { draftContentHash, verifyAgreement } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reindex } from '../src/ledger/index.ts'
import { readModels } from '../src/read-models.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

// biome-ignore lint/suspicious/noExplicitAny: the test reads answers as plain JSON
type Json = any

// One node hosting every party: the rules under test are the composing node's, and the
// projection is the same code on every node (the federation test covers delivery).
describe('negotiation: red lines, drafts, adoption, compliance, forwards', () => {
  let node: TestNode
  let close: () => Promise<void>
  let wg: string
  let allies: string
  let draft: string

  const compose = (channel: string, as: string, type: string, body: unknown) =>
    node.api<Json>('POST', `/channels/${channel}/compose`, { as, type, body })
  const get = (path: string) => node.api<Json>('GET', path)

  beforeAll(async () => {
    const started = await startNodes(
      [
        {
          node: 'wg',
          parties: [
            { id: 'usa', name: 'United States' },
            { id: 'rus', name: 'Russian Federation' },
            { id: 'osce', name: 'OSCE Secretariat' },
            { id: 'est', name: 'Estonia' },
          ],
        },
      ],
      { configure: (config) => ({ ...config, release: { twoPersonRule: [] } }) },
    )
    node = started.nodes[0]!
    close = started.close
    const created = await node.api<Json>('POST', '/channels', {
      as: 'usa',
      title: 'Working group',
      members: ['usa', 'rus'],
      observers: ['osce'],
      policy: {
        languages: ['en', 'ru'],
        ackWithin: { routine: 86_400_000, priority: 14_400_000, flash: 900_000 },
        respondWithin: 259_200_000,
        rapporteur: 'osce',
        release: { twoPersonRule: [], flashExempt: false },
      },
    })
    expect(created.status).toBe(201)
    wg = created.body.channel.id
    // Each party's admin puts its officer on the list; that officer joins for its party.
    for (const as of ['rus', 'osce']) {
      expect(await node.admit(wg, as)).toBe(true)
      expect((await node.api('POST', `/channels/${wg}/join`, { as })).status).toBe(201)
    }
    const other = await node.api<Json>('POST', '/channels', {
      as: 'usa',
      title: 'Allies',
      members: ['usa', 'est'],
      observers: [],
    })
    allies = other.body.channel.id
    expect(await node.admit(allies, 'est')).toBe(true)
    expect((await node.api('POST', `/channels/${allies}/join`, { as: 'est' })).status).toBe(201)
  })
  afterAll(() => close?.())

  const redLine = {
    sectors: ['financial-services', 'energy'],
    title: 'Attacks on the financial sector and energy grids',
    text: 'Disrupting payment systems or grid control systems is an attack.',
    threshold: 'Disruption of service to the public.',
    tlp: 'green',
    lang: 'en',
  }

  it('keeps a board of red lines with every version, and refuses an unknown sector', async () => {
    const unknown = await compose(wg, 'rus', 'redline.declare', {
      ...redLine,
      sectors: ['finance'],
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error?.code).toBe('REDLINE_SECTOR_UNKNOWN')

    const declared = await compose(wg, 'rus', 'redline.declare', redLine)
    expect(declared.status).toBe(201)
    const id = declared.body.event.id
    const revisedAt = Date.now()
    const revised = await compose(wg, 'rus', 'redline.revise', {
      redline: id,
      ...redLine,
      threshold: 'Any disruption.',
    })
    expect(revised.status).toBe(201)
    const usaLine = await compose(wg, 'usa', 'redline.declare', {
      ...redLine,
      sectors: ['election-infrastructure'].filter(() => false).concat(['government-facilities']),
      title: 'Election infrastructure',
    })
    expect(usaLine.status).toBe(201)
    await compose(wg, 'usa', 'redline.withdraw', { redline: usaLine.body.event.id })

    const board = await get(`/channels/${wg}/redlines`)
    expect(board.status).toBe(200)
    const rus = board.body.parties.find((p: { party: string }) => p.party === 'rus')
    expect(rus.standing).toMatchObject([{ id, version: 2, threshold: 'Any disruption.' }])
    expect(board.body.parties.find((p: { party: string }) => p.party === 'usa').standing).toEqual(
      [],
    )
    expect(board.body.withdrawn).toMatchObject([{ party: 'usa', status: 'withdrawn' }])

    const history = await get(`/channels/${wg}/redlines/${id}`)
    expect(history.body.versions.map((v: { kind: string }) => v.kind)).toEqual([
      'declare',
      'revise',
    ])
    const since = await get(`/channels/${wg}/redlines?since=${revisedAt - 1}`)
    expect(since.body.changes.length).toBeGreaterThanOrEqual(3)
  })

  it('negotiates a draft: brackets, rapporteur proposals, ad ref, packages, and adoption', async () => {
    const created = await compose(wg, 'rus', 'draft.create', {
      title: 'Joint statement',
      lang: 'en',
      paragraphs: [
        { id: 'p1', alternatives: [{ id: 'p1.a', text: 'The Parties shall not attack grids.' }] },
        { id: 'p2', alternatives: [{ id: 'p2.a', text: 'Either Party may raise a breach.' }] },
      ],
      packages: [{ id: 'k1', paragraphs: ['p1', 'p2'] }],
    })
    expect(created.status).toBe(201)
    draft = created.body.event.id

    expect(
      (
        await compose(wg, 'usa', 'draft.propose', {
          draft,
          paragraphs: [
            {
              id: 'p1',
              alternatives: [
                { id: 'p1.b', text: 'The Parties shall not intentionally damage grids.' },
              ],
            },
            {
              id: 'p0',
              after: null,
              alternatives: [{ id: 'p0.a', text: 'Recalling the 2013 measures,' }],
            },
          ],
        })
      ).status,
    ).toBe(201)
    // The rapporteur observes, and may propose: an alternative to usa's alternative.
    const compromise = await compose(wg, 'osce', 'draft.propose', {
      draft,
      paragraphs: [
        {
          id: 'p1',
          alternatives: [
            {
              id: 'p1.c',
              alternativeTo: 'p1.b',
              text: 'The Parties shall not intentionally damage or impair grids.',
              translations: { ru: 'Стороны не будут намеренно повреждать энергосети.' },
            },
          ],
        },
      ],
    })
    expect(compromise.status).toBe(201)
    const rapporteurAccept = await compose(wg, 'osce', 'draft.accept', {
      draft,
      choices: [{ paragraph: 'p1', alternative: 'p1.c' }],
    })
    expect(rapporteurAccept.status).toBe(403)
    expect(rapporteurAccept.body.error?.code).toBe('RAPPORTEUR_CANNOT_DECIDE')
    const observerPost = await compose(wg, 'osce', 'message.post', {
      text: 'hello',
      lang: 'en',
      urgency: 'routine',
      tlp: 'green',
    })
    expect(observerPost.status).toBe(403)
    expect(observerPost.body.error?.code).toBe('OBSERVER_CANNOT_POST')

    const ghost = await compose(wg, 'usa', 'draft.accept', {
      draft,
      choices: [{ paragraph: 'p9', alternative: 'p9.a' }],
    })
    expect(ghost.status).toBe(400)
    expect(ghost.body.error?.code).toBe('DRAFT_CHOICE_UNKNOWN')
    const ghostVariant = await compose(wg, 'usa', 'draft.accept', {
      draft,
      choices: [{ paragraph: 'p1', alternative: 'p1.z' }],
    })
    expect(ghostVariant.body.error?.code).toBe('DRAFT_CHOICE_UNKNOWN')
    const notMine = await compose(wg, 'rus', 'draft.propose', { draft, withdraw: ['p1.b'] })
    expect(notMine.status).toBe(403)
    expect(notMine.body.error?.code).toBe('DRAFT_ALTERNATIVE_NOT_OWN')

    // Bracketed: p1 has three wordings, nobody accepted yet.
    let state = (await get(`/channels/${wg}/drafts/${draft}`)).body
    expect(state.paragraphs.map((p: { eId: string; num: number }) => [p.eId, p.num])).toEqual([
      ['p0', 1],
      ['p1', 2],
      ['p2', 3],
    ])
    expect(state.paragraphs[1].status).toBe('open')
    expect(state.paragraphs[1].alternatives.map((a: { owner: string }) => a.owner)).toEqual([
      'rus',
      'usa',
      'osce',
    ])

    const all = [
      { paragraph: 'p0', alternative: 'p0.a' },
      { paragraph: 'p1', alternative: 'p1.c' },
    ]
    expect((await compose(wg, 'usa', 'draft.accept', { draft, choices: all })).status).toBe(201)
    expect((await compose(wg, 'rus', 'draft.accept', { draft, choices: all })).status).toBe(201)
    state = (await get(`/channels/${wg}/drafts/${draft}`)).body
    // p1 is agreed ad ref, but its package waits for p2: nothing is agreed until everything is.
    expect(state.paragraphs[1].status).toBe('agreed-ad-ref')
    expect(state.paragraphs[0].status).toBe('agreed')
    expect(state.contentHash).toBeNull()
    const early = await compose(wg, 'usa', 'draft.adopt', { draft, contentHash: 'a'.repeat(64) })
    expect(early.status).toBe(409)
    expect(early.body.error?.code).toBe('DRAFT_HASH_STALE')

    const p2 = [{ paragraph: 'p2', alternative: 'p2.a' }]
    await compose(wg, 'usa', 'draft.accept', { draft, choices: p2 })
    await compose(wg, 'rus', 'draft.accept', { draft, choices: p2 })
    state = (await get(`/channels/${wg}/drafts/${draft}`)).body
    expect(state.paragraphs.map((p: { status: string }) => p.status)).toEqual([
      'agreed',
      'agreed',
      'agreed',
    ])
    const hash = state.contentHash
    expect(hash).toBe(await draftContentHash(state.text))

    const comparison = (await get(`/channels/${wg}/drafts/${draft}/paragraphs/p1`)).body
    const c = comparison.variants.find((v: { id: string }) => v.id === 'p1.c')
    expect(c.against).toBe('p1.b')
    expect(c.diff).toContainEqual({ value: 'or impair ', added: true })

    // usa adopts, then rus changes its mind on p2's wording: usa's adopt no longer counts.
    expect((await compose(wg, 'usa', 'draft.adopt', { draft, contentHash: hash })).status).toBe(201)
    await compose(wg, 'rus', 'draft.propose', {
      draft,
      paragraphs: [
        { id: 'p2', alternatives: [{ id: 'p2.b', text: 'Either Party may raise it.' }] },
      ],
    })
    await compose(wg, 'rus', 'draft.accept', {
      draft,
      choices: [{ paragraph: 'p2', alternative: 'p2.b' }],
    })
    await compose(wg, 'usa', 'draft.accept', {
      draft,
      choices: [{ paragraph: 'p2', alternative: 'p2.b' }],
    })
    state = (await get(`/channels/${wg}/drafts/${draft}`)).body
    const newHash = state.contentHash
    expect(newHash).not.toBe(hash)
    const stale = await compose(wg, 'rus', 'draft.adopt', { draft, contentHash: hash })
    expect(stale.body.error?.code).toBe('DRAFT_HASH_STALE')
    expect((await compose(wg, 'rus', 'draft.adopt', { draft, contentHash: newHash })).status).toBe(
      201,
    )
    state = (await get(`/channels/${wg}/drafts/${draft}`)).body
    expect(state.adoptedBy).toEqual(['rus'])
    expect(state.adopted).toEqual([])
    const notYet = await get(`/channels/${wg}/drafts/${draft}/agreement`)
    expect(notYet.status).toBe(409)
    expect(notYet.body.error?.code).toBe('DRAFT_NOT_ADOPTED')

    expect((await compose(wg, 'usa', 'draft.adopt', { draft, contentHash: newHash })).status).toBe(
      201,
    )
    state = (await get(`/channels/${wg}/drafts/${draft}`)).body
    expect(state.adopted).toMatchObject([{ version: 1, contentHash: newHash }])
    expect(state.version).toBe(2)

    // Version 1 is closed; a change starts version 2.
    const closed = await compose(wg, 'usa', 'draft.propose', {
      draft,
      paragraphs: [{ id: 'p3', alternatives: [{ id: 'p3.a', text: 'New.' }] }],
    })
    expect(closed.status).toBe(409)
    expect(closed.body.error?.code).toBe('DRAFT_VERSION_CLOSED')
    const v2 = await compose(wg, 'usa', 'draft.propose', {
      draft,
      version: 2,
      paragraphs: [{ id: 'p3', alternatives: [{ id: 'p3.a', text: 'New.' }] }],
    })
    expect(v2.status).toBe(201)
    state = (await get(`/channels/${wg}/drafts/${draft}`)).body
    expect(state.adopted).toHaveLength(1)
    expect(state.paragraphs.at(-1)).toMatchObject({ eId: 'p3', status: 'open' })
  })

  it('exports the adopted agreement, which verifies offline and fails on one changed byte', async () => {
    const reply = await node.api<string>('GET', `/channels/${wg}/drafts/${draft}/agreement`)
    expect(reply.status).toBe(200)
    const { canonicalJson } = await import('@parley/protocol')
    const file = `${canonicalJson(reply.body)}\n`
    const verified = await verifyAgreement(file)
    expect(verified).toMatchObject({ ok: true })
    if (!verified.ok) return
    expect(verified.agreement.signatories.map((s) => s.party).sort()).toEqual(['rus', 'usa'])
    expect(verified.agreement.text[1]!.translations).toEqual({
      ru: 'Стороны не будут намеренно повреждать энергосети.',
    })
    // One changed byte at many places: each fails, and says where.
    const wheres = new Set<string>()
    for (let at = 0; at < file.length - 1; at += 97) {
      const code = file.charCodeAt(at)
      const swapped = String.fromCharCode(code === 0x61 ? 0x62 : code === 0x30 ? 0x31 : code ^ 1)
      const tampered = file.slice(0, at) + swapped + file.slice(at + 1)
      const outcome = await verifyAgreement(tampered)
      expect(outcome.ok, `byte ${at}`).toBe(false)
      if (!outcome.ok) wheres.add(outcome.where.replace(/\d+/g, 'N'))
    }
    expect([...wheres]).toEqual(expect.arrayContaining(['text', 'adoptions[N].sig']))
  })

  it('threads compliance reports on an adopted paragraph', async () => {
    const wrong = await compose(wg, 'usa', 'compliance.report', {
      agreement: draft,
      paragraph: 'p9',
      assessment: 'non-compliant',
    })
    expect(wrong.status).toBe(400)
    expect(wrong.body.error?.code).toBe('COMPLIANCE_PARAGRAPH_UNKNOWN')
    const other = await compose(wg, 'rus', 'draft.create', {
      title: 'Unadopted',
      lang: 'en',
      paragraphs: [{ id: 'p1', alternatives: [{ id: 'p1.a', text: 'Text.' }] }],
    })
    const open = await compose(wg, 'usa', 'compliance.report', {
      agreement: other.body.event.id,
      paragraph: 'p1',
      assessment: 'non-compliant',
    })
    expect(open.status).toBe(409)
    expect(open.body.error?.code).toBe('COMPLIANCE_AGREEMENT_NOT_ADOPTED')

    const report = await compose(wg, 'usa', 'compliance.report', {
      agreement: draft,
      paragraph: 'p1',
      assessment: 'non-compliant',
      text: 'Grid control systems were impaired on 3 May.',
      lang: 'en',
    })
    expect(report.status).toBe(201)
    let view = (await get(`/channels/${wg}/drafts/${draft}/compliance`)).body
    expect(view.threads).toMatchObject([{ reporter: 'usa', paragraph: 'p1', status: 'open' }])
    await compose(wg, 'rus', 'compliance.report', {
      agreement: draft,
      paragraph: 'p1',
      replyTo: report.body.event.id,
      assessment: 'compliant',
      text: 'The activity did not originate from our territory.',
    })
    view = (await get(`/channels/${wg}/drafts/${draft}/compliance`)).body
    expect(view.threads).toHaveLength(1)
    expect(view.threads[0]).toMatchObject({ status: 'answered', assessment: 'compliant' })
    expect(view.threads[0].reports.map((r: { author: string }) => r.author)).toEqual(['usa', 'rus'])
  })

  it('forwards signed events to allies, verified against pinned keys; TLP rules hold', async () => {
    const timeline = (await get(`/channels/${wg}/timeline`)).body.events
    const adopt = timeline.find((v: { event: { type: string } }) => v.event.type === 'draft.adopt')
    const secret = await compose(wg, 'usa', 'message.post', {
      text: 'eyes only',
      lang: 'en',
      urgency: 'routine',
      tlp: 'red',
    })
    const strict = await compose(wg, 'usa', 'message.post', {
      text: 'our org only',
      lang: 'en',
      urgency: 'routine',
      tlp: 'amber+strict',
    })
    const item = (view: { event: unknown; sig: string }) => ({ event: view.event, sig: view.sig })
    const red = await compose(allies, 'usa', 'forward', {
      from: wg,
      items: [item(secret.body.event)],
    })
    // The release guard's TLP rules, before anything is signed or queued.
    expect(red.status).toBe(422)
    expect(red.body.error?.code).toBe('RELEASE_GUARD_BLOCKED')
    expect(red.body.error?.details.rule).toBe('tlp:red-never-forwarded')
    const amber = await compose(allies, 'usa', 'forward', {
      from: wg,
      items: [item(strict.body.event)],
    })
    expect(amber.status).toBe(422)
    expect(amber.body.error?.code).toBe('RELEASE_GUARD_BLOCKED')
    expect(amber.body.error?.details.rule).toBe('tlp:amber+strict-never-leaves-recipient-party')
    const forged = {
      ...item(adopt),
      event: { ...adopt.event, time: adopt.event.time + 1 },
    }
    const unknown = await compose(allies, 'usa', 'forward', { from: wg, items: [forged] })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error?.code).toBe('FORWARD_ITEM_UNKNOWN')

    const sent = await compose(allies, 'usa', 'forward', {
      from: wg,
      items: [item(adopt)],
      note: 'The adopted statement, with rus’s signature.',
    })
    expect(sent.status).toBe(201)
    const seen = await eventually(async () => {
      const list = (await get(`/channels/${allies}/forwards`)).body.items
      return list.length > 0 && list
    })
    expect(seen[0]).toMatchObject({
      forwardedBy: 'usa',
      author: adopt.event.author,
      id: adopt.id,
      signature: { state: 'verified' },
    })
  })

  it('rebuilds every negotiation read model from the log (parley reindex)', async () => {
    const reads = async () => {
      const paths = [
        `/channels/${wg}/redlines?since=0`,
        `/channels/${wg}/drafts`,
        `/channels/${wg}/drafts/${draft}`,
        `/channels/${wg}/drafts/${draft}/compliance`,
        `/channels/${wg}/drafts/${draft}/agreement`,
        `/channels/${allies}/forwards`,
      ]
      return Promise.all(paths.map((path) => get(path)))
    }
    const before = await reads()
    await node.stop()
    const db = node.database.db
    for (const table of [
      'forwarded_items',
      'compliance_reports',
      'draft_events',
      'drafts',
      'redline_versions',
      'redlines',
    ] as const) {
      await db.deleteFrom(table).execute()
    }
    await reindex(db, readModels(), { hosted: node.config.parties.map((party) => party.id) })
    await node.start()
    expect(await reads()).toEqual(before)
  })
})
