import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audit, listAudit, verifyAuditChain } from '../src/features/audit/audit.service.ts'
import { ManualClock } from '../src/node/clock.ts'
import { type HostilePeer, hostilePeer } from './support/hostile-peer.ts'
import { startNodes, type TestNode } from './support/nodes.ts'

// What one message costs in database round trips (each statement sent to the engine, BEGIN and
// COMMIT included): on the author's node, from the officer's POST to its 201; on the receiver,
// for the push that carries it. Counted, not timed, so the bounds hold on a loaded machine.
// Nothing else runs on either node meanwhile: no push workers or anti-entropy (`federate:
// false`; the test pushes for usa), and timers wait on a clock nobody advances.

/** The most statements each may take; a change that adds one fails here (docs/benchmarks.md). */
const POST_ON_AUTHOR = 9
const PUSH_ON_RECEIVER = 6

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0) + 400
const message = (text: string) => ({ text, lang: 'en', urgency: 'routine', tlp: 'green' })

describe('round trips per message', () => {
  const clock = new ManualClock(T0)
  const statements = new Map<string, string[]>([
    ['usa', []],
    ['rus', []],
  ])
  let usa: TestNode
  let rus: TestNode
  let asUsa: HostilePeer
  let channel: string
  /** The last of usa's positions that rus holds. */
  let pushed = 0
  let close: () => Promise<void>

  /** The statements `node` sent while `work` ran. */
  async function counted(node: string, work: () => Promise<void>): Promise<string[]> {
    const log = statements.get(node)!
    const from = log.length
    await work()
    return log.slice(from)
  }

  /** usa's events of the channel after position `after`, as its push would carry them. */
  async function eventsOf(after: number) {
    const rows = await usa.database.db
      .selectFrom('events')
      .select(['position', 'raw'])
      .where('channel', '=', channel)
      .where('position', '>', after)
      .orderBy('position')
      .execute()
    return rows.map((row) => ({ position: row.position, signed: JSON.parse(row.raw) }))
  }

  async function post(text: string): Promise<{ position: number; signed: unknown }> {
    const last = (await eventsOf(0)).at(-1)!.position
    const reply = await usa.api('POST', `/channels/${channel}/messages`, message(text))
    expect(reply.status).toBe(201)
    const [stored] = await eventsOf(last)
    return stored!
  }

  /** Pushes to rus, as usa's worker would, what it does not hold yet up to `upTo`. */
  async function push(upTo: number): Promise<void> {
    const events = (await eventsOf(pushed)).filter(({ position }) => position <= upTo)
    const reply = await asUsa.push(
      events.map(({ signed }) => signed as { event: unknown; sig: string }),
      { now: clock.now() },
    )
    expect(reply.status).toBe(200)
    expect(reply.body.receipts.flatMap(({ receipt }) => receipt.events)).toHaveLength(events.length)
    pushed = upTo
  }

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      { clock, federate: false, onStatement: (node, sql) => statements.get(node)!.push(sql) },
    )
    ;[usa, rus] = started.nodes as [TestNode, TestNode]
    close = started.close
    asUsa = await hostilePeer(usa, 'usa', rus)
    const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'Counted hotline',
      members: ['usa', 'rus'],
    })
    expect(created.status).toBe(201)
    channel = created.body.channel.id
    // The channel reaches rus, and a first message warms both nodes (prepared statements,
    // pinned keys): what is counted is the steady state of every later message.
    await push((await post('warm-up')).position)
  })
  afterAll(async () => {
    asUsa?.close()
    await close?.()
  })

  it(`commits an officer's post on the author's node in at most ${POST_ON_AUTHOR} statements`, async () => {
    const last = (await eventsOf(0)).at(-1)!.position
    const sent = await counted('usa', async () => {
      const reply = await usa.api('POST', `/channels/${channel}/messages`, message('counted'))
      expect(reply.status).toBe(201)
    })
    console.log(`round trips, post on the author's node: ${sent.length}\n  ${sent.join('\n  ')}`)
    expect(sent.length).toBeLessThanOrEqual(POST_ON_AUTHOR)
    expect(await eventsOf(last)).toHaveLength(1)
  })

  /** usa's token.use entries of the messages route, and whether its audit chain holds. */
  async function tokenUses() {
    const entries = await listAudit(usa.database.db, { limit: 10_000 })
    return entries.filter(
      (entry) =>
        entry.action === 'token.use' &&
        entry.details.route === '/api/v1/channels/:channel/messages',
    )
  }

  it('writes the token.use entry of a post with its commit, chained on whatever ended the log', async () => {
    const before = (await tokenUses()).length
    // Another writer (the operator's CLI, say) appends meanwhile: the post chains on its entry.
    const other = await audit(usa.database.db, {
      time: clock.now(),
      action: 'peer.url',
      officer: null,
      party: null,
      details: { via: 'cli' },
    })
    const posted = await post('audited')
    const uses = await tokenUses()
    expect(uses).toHaveLength(before + 1)
    expect(uses.at(-1)).toMatchObject({
      seq: other.seq + 1,
      prev: other.hash,
      officer: usa.officers.get('usa')!.id,
      details: { token: usa.officers.get('usa')!.tokenId, method: 'POST' },
    })
    expect(posted.position).toBeGreaterThan(0)
    expect(await verifyAuditChain(usa.database.db)).toMatchObject({ ok: true })
  })

  it('writes the token.use entry of a refused post before it answers', async () => {
    const before = (await tokenUses()).length
    const reply = await usa.api<{ error: { code: string } }>(
      'POST',
      `/channels/${channel}/messages`,
      { ...message('refused'), as: 'rus' },
    )
    expect([reply.status, reply.body.error.code]).toEqual([403, 'PARTY_FORBIDDEN'])
    expect(await tokenUses()).toHaveLength(before + 1)
    expect(await verifyAuditChain(usa.database.db)).toMatchObject({ ok: true })
  })

  it(`stores a pushed event on the receiver in at most ${PUSH_ON_RECEIVER} statements`, async () => {
    const next = await post('pushed')
    await push(next.position - 1)
    const sent = await counted('rus', () => push(next.position))
    console.log(`round trips, push on the receiver: ${sent.length}\n  ${sent.join('\n  ')}`)
    expect(sent.length).toBeLessThanOrEqual(PUSH_ON_RECEIVER)
  })
})
