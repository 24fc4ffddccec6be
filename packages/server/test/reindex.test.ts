import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedStory } from '../../cli/src/demo/seed.ts'
import { STORY_NODES } from '../../cli/src/demo/story.ts'
import { StoryClock } from '../../cli/src/demo/story-clock.ts'
import { channelsProjection } from '../src/features/channels/channels.projection.ts'
import {
  ProjectionRegistry,
  type ReceiptProjection,
  type ReindexProgress,
  reindex,
} from '../src/ledger/index.ts'
import { readModels } from '../src/read-models.ts'
import { testDialect } from './support/database.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

/** Every read route of the officer API that shows a read model, as the node answers it. */
async function answers(node: TestNode): Promise<Record<string, unknown>> {
  const read: Record<string, unknown> = {}
  const get = async <T>(path: string): Promise<T> => {
    const reply = await node.api<T>('GET', path)
    read[path] = reply
    return reply.body
  }
  const { channels } = await get<{ channels: { id: string }[] }>('/channels')
  for (const { id } of channels) {
    await get(`/channels/${id}`)
    await get(`/channels/${id}/timeline`)
    await get(`/channels/${id}/access`)
  }
  await get('/access')
  await get('/releases')
  await get('/alarms')
  const { notices } = await get<{ notices: { id: string }[] }>('/notices?limit=500')
  for (const { id } of notices) await get(`/notices/${id}`)
  await get('/notices/overdue')
  await get('/pings/stats')
  return read
}

/** Nothing left to deliver, on any node: the answers no longer change by themselves. */
function quiet(nodes: readonly TestNode[]): Promise<true> {
  return eventually(
    async () => {
      for (const node of nodes) {
        const waiting = await node.database.db
          .selectFrom('outbox')
          .select('event_id')
          .where('delivered_at', 'is', null)
          .where('rejected_code', 'is', null)
          .executeTakeFirst()
        if (waiting !== undefined) return false
      }
      return true
    },
    30_000,
    'every delivery',
  )
}

/** Damages the read models as a bug or a hand edit would, so only a rebuild can restore them. */
async function damage(node: TestNode): Promise<void> {
  const db = node.database.db
  await db.updateTable('channels').set({ title: 'damaged', status: 'invited' }).execute()
  await db.deleteFrom('channel_members').where('role', '=', 'observer').execute()
  await db.updateTable('channel_members').set({ joined_seq: null }).execute()
  await db.updateTable('notice_recipients').set({ ack_at: null, delivered_at: null }).execute()
  await db.deleteFrom('notice_deadlines').execute()
  await db.deleteFrom('notice_events').where('type', '=', 'notice.reply').execute()
}

/** Stops the node, rebuilds its read models, starts it again; returns the last progress. */
async function reindexStopped(
  node: TestNode,
  registry: ProjectionRegistry,
  batchSize?: number,
): Promise<ReindexProgress[]> {
  await node.stop()
  const progress: ReindexProgress[] = []
  await reindex(node.database.db, registry, {
    hosted: node.config.parties.map((party) => party.id),
    onProgress: (step) => progress.push(step),
    ...(batchSize === undefined ? {} : { batchSize }),
  })
  await node.start()
  return progress
}

describe('parley reindex on the seeded demo day', () => {
  const clock = new StoryClock(Date.UTC(2025, 4, 12, 9, 0))
  let nodes: TestNode[]
  let close: () => Promise<void>

  beforeAll(async () => {
    // As `parley demo` runs them: the seed's officers log in with a password alone.
    const started = await startNodes(STORY_NODES, {
      now: clock.now,
      backoff: () => 100,
      configure: (config) => ({ ...config, auth: { requireSecondFactor: false } }),
    })
    nodes = started.nodes
    close = started.close
    const byName = Object.fromEntries(nodes.map((node) => [node.name, node])) as Record<
      (typeof STORY_NODES)[number]['node'],
      TestNode
    >
    await seedStory(byName, clock, Date.UTC(2025, 5, 2))
    await quiet(nodes)
  }, 240_000)
  afterAll(() => close?.())

  it('answers every read route as before, even after its read models were damaged', async () => {
    for (const node of nodes) {
      const before = await answers(node)
      await damage(node)
      expect(await answers(node)).not.toEqual(before)
      const progress = await reindexStopped(node, readModels(), 3)
      expect(await answers(node)).toEqual(before)
      const last = progress.at(-1)!
      expect(last.events).toBe(last.totalEvents)
      expect(last.receipts).toBe(last.totalReceipts)
      expect(last.totalEvents).toBeGreaterThan(3)
      // One report per batch of 3, and one when the rebuild replaced the read models.
      expect(progress.length).toBe(Math.ceil((last.events + last.receipts) / 3) + 1)
    }
  }, 120_000)

  it('leaves the read models whole when interrupted, and a second run completes it', async () => {
    const node = nodes[0]!
    const before = await answers(node)
    await node.stop()
    const failing = new ProjectionRegistry().addEvents({
      ...channelsOf(readModels()),
      apply: async () => {
        throw new Error('interrupted')
      },
    })
    const hosted = node.config.parties.map((party) => party.id)
    await expect(reindex(node.database.db, failing, { hosted })).rejects.toThrow('interrupted')
    await node.start()
    expect(await answers(node)).toEqual(before)
    await reindexStopped(node, readModels())
    expect(await answers(node)).toEqual(before)
  }, 60_000)
})

// PostgreSQL is shared by nodes that may run anywhere, so the database itself is locked; an
// embedded PGlite admits one process, and the CLI checks the node's port (commands/reindex.ts).
describe.runIf(testDialect === 'postgres')('the database lock', () => {
  it('refuses a reindex while a node runs, and a node while a reindex runs', async () => {
    const parties = [
      { id: 'usa', name: 'United States' },
      { id: 'osce', name: 'OSCE' },
    ]
    const { nodes, close } = await startNodes([{ node: 'usa', parties }])
    const node = nodes[0]!
    try {
      const body = { as: 'usa', title: 'Locked', members: ['usa', 'osce'] }
      expect((await node.api('POST', '/channels', body)).status).toBe(201)
      const hosted = ['usa', 'osce']
      await expect(reindex(node.database.db, readModels(), { hosted })).rejects.toMatchObject({
        code: 'DATABASE_IN_USE',
      })
      await node.stop()
      let reached!: () => void
      const replaying = new Promise<void>((resolve) => (reached = resolve))
      let proceed!: () => void
      const held = new Promise<void>((resolve) => (proceed = resolve))
      const slow = new ProjectionRegistry().addEvents({
        ...channelsProjection,
        apply: async (trx, stored, ctx) => {
          reached()
          await held
          await channelsProjection.apply(trx, stored, ctx)
        },
      })
      const running = reindex(node.database.db, slow, { hosted })
      await replaying
      await expect(node.start()).rejects.toMatchObject({ code: 'DATABASE_IN_USE' })
      proceed()
      await running
      await node.start()
      // Connections the reindex used are back in the pool: the node writes its tables again.
      expect((await node.api('POST', '/channels', body)).status).toBe(201)
      const listed = await node.api<{ channels: unknown[] }>('GET', '/channels')
      expect(listed.body.channels).toHaveLength(2)
    } finally {
      await close()
    }
  }, 60_000)
})

/** The registry's channels projection, to wrap in a test. */
function channelsOf(registry: ProjectionRegistry) {
  return { name: 'channels', types: ['channel.create' as const], tables: registry.tables }
}

/**
 * A read model of receipts as a notice deadline would keep one: who first confirmed each event,
 * and under which receipt. Which receipt is first depends on the order of replay.
 */
const firstReceipts: ReceiptProjection = {
  name: 'first-receipts',
  tables: ['test_first_receipts'],
  async apply(trx, { id, receipt }, covered) {
    for (const stored of covered) {
      await sql`insert into test_first_receipts (event, by_party, receipt, channel)
        values (${stored.id}, ${receipt.by}, ${id}, ${stored.event.channel})
        on conflict (event, by_party) do nothing`.execute(trx)
    }
  },
}

const PARTIES = ['usa', 'rus', 'osce'] as const
type Party = (typeof PARTIES)[number]

type Action =
  | { kind: 'create'; by: Party; invite: Party[]; title: string }
  | { kind: 'join'; by: Party; channel: number }
  | { kind: 'post'; by: Party; channel: number; text: string }

const party = fc.constantFrom(...PARTIES)
const create: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant('create' as const),
  by: party,
  invite: fc.subarray([...PARTIES], { minLength: 2 }),
  title: fc.string({ minLength: 1, maxLength: 20 }),
})
const action: fc.Arbitrary<Action> = fc.oneof(
  create,
  fc.record({ kind: fc.constant('join' as const), by: party, channel: fc.nat(5) }),
  fc.record({
    kind: fc.constant('post' as const),
    by: party,
    channel: fc.nat(5),
    text: fc.string({ minLength: 1, maxLength: 40 }),
  }),
)

describe('parley reindex on generated logs', () => {
  it('answers every read route, and keeps every receipt read model, as before', async () => {
    let receiptsSeen = 0
    let postsSeen = 0
    await fc.assert(
      // A log opens with a channel; what follows is any mix of creates, joins and posts.
      fc.asyncProperty(
        fc.tuple(create, fc.array(action, { minLength: 3, maxLength: 15 })),
        async ([first, rest]) => {
          const actions = [first, ...rest]
          const registry = readModels().addReceipts(firstReceipts)
          const { nodes, close } = await startNodes(
            [
              { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
              {
                node: 'rus',
                parties: [
                  { id: 'rus', name: 'Russian Federation' },
                  { id: 'osce', name: 'OSCE' },
                ],
              },
            ],
            { backoff: () => 50, readModels: registry },
          )
          try {
            for (const node of nodes) {
              await sql`create table test_first_receipts (event text, by_party text, receipt text,
              channel text, primary key (event, by_party))`.execute(node.database.db)
            }
            postsSeen += await play(nodes, actions)
            await quiet(nodes)
            for (const node of nodes) {
              const before = await answers(node)
              const receipts = await receiptModel(node)
              receiptsSeen += receipts.length
              await damage(node)
              await node.database.db.deleteFrom('test_first_receipts' as never).execute()
              await reindexStopped(node, registry, 3)
              expect(await answers(node)).toEqual(before)
              expect(await receiptModel(node)).toEqual(receipts)
            }
          } finally {
            await close()
          }
        },
      ),
      { numRuns: 4 },
    )
    // The receipt read model was exercised, not only the events'.
    expect(receiptsSeen).toBeGreaterThan(0)
    expect(postsSeen).toBeGreaterThan(0)
  }, 300_000)
})

async function receiptModel(node: TestNode): Promise<unknown[]> {
  const { rows } = await sql`select * from test_first_receipts order by event, by_party`.execute(
    node.database.db,
  )
  return rows
}

/** Plays the actions through the officer API of the node hosting each actor; counts posts. */
async function play(nodes: readonly TestNode[], actions: readonly Action[]): Promise<number> {
  let posts = 0
  const nodeOf = (party: Party) => (party === 'usa' ? nodes[0]! : nodes[1]!)
  const channels: { id: string; members: readonly Party[] }[] = []
  for (const step of actions) {
    const node = nodeOf(step.by)
    if (step.kind === 'create') {
      const members = [...new Set([step.by, ...step.invite])]
      const created = await node.api<{ channel: { id: string } }>('POST', '/channels', {
        as: step.by,
        title: step.title,
        members,
      })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      channels.push({ id: created.body.channel.id, members })
      continue
    }
    if (channels.length === 0) continue
    const { id: channel, members } = channels[step.channel % channels.length]!
    if (!members.includes(step.by)) continue
    // The actor's node must hold the channel first (an invitation travels by push).
    // (its admin then puts the actor's officer on the access list).
    await eventually(() => node.admit(channel, step.by), 10_000, `${channel} at ${node.name}`)
    const reply =
      step.kind === 'join'
        ? await node.api('POST', `/channels/${channel}/join`, { as: step.by })
        : await node.api('POST', `/channels/${channel}/messages`, {
            as: step.by,
            text: step.text,
            lang: 'en',
            urgency: 'routine',
            tlp: 'green',
          })
    // Only what the rules refuse (not joined yet, joined already) may fail, and it changes nothing.
    if (reply.status >= 300) {
      expect(['NOT_A_MEMBER', 'INVITATION_NOT_FOUND', 'FORBIDDEN_FOR_TYPE']).toContain(
        (reply.body as { error: { code: string } }).error.code,
      )
    } else if (step.kind === 'post') posts++
  }
  return posts
}
