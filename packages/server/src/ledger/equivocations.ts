import type { EquivocationProof, SignedEvent } from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import { raiseAlarm } from './alarms.ts'

type Executor = Kysely<DB> | Transaction<DB>

/**
 * Keeps two signed events with one author and seq as proof of a fork (DESIGN §2), and raises
 * an alarm the first time. `storedId` is the event this node holds; `otherRaw` the canonical
 * `{event,sig}` text of the one that contradicts it. Returns whether the proof was new.
 */
export async function recordEquivocation(
  db: Executor,
  storedId: string,
  other: { id: string; raw: string },
  now: number,
): Promise<boolean> {
  const stored = await db
    .selectFrom('events')
    .select(['id', 'channel', 'author', 'seq', 'raw'])
    .where('id', '=', storedId)
    .executeTakeFirstOrThrow()
  const [a, b] =
    stored.id < other.id ? [{ id: stored.id, raw: stored.raw }, other] : [other, stored]
  const inserted = await db
    .insertInto('equivocations')
    .values({
      channel: stored.channel,
      author: stored.author,
      seq: stored.seq,
      a_id: a.id,
      a_raw: a.raw,
      b_id: b.id,
      b_raw: b.raw,
      detected_at: now,
    })
    .onConflict((oc) => oc.columns(['a_id', 'b_id']).doNothing())
    .returning('id')
    .executeTakeFirst()
  if (inserted === undefined) return false
  await raiseAlarm(db, {
    kind: 'equivocation',
    channel: stored.channel,
    party: stored.author,
    details: { seq: stored.seq, a: a.id, b: b.id },
    now,
  })
  return true
}

export interface StoredEquivocation {
  readonly channel: string
  readonly author: string
  readonly seq: number
  readonly proof: EquivocationProof
  readonly detectedAt: number
}

/** The fork proofs of a channel, in the order they were detected. */
export async function channelEquivocations(
  db: Executor,
  channel: string,
): Promise<StoredEquivocation[]> {
  const rows = await db
    .selectFrom('equivocations')
    .selectAll()
    .where('channel', '=', channel)
    .orderBy('id')
    .execute()
  return rows.map((row) => ({
    channel: row.channel,
    author: row.author,
    seq: row.seq,
    proof: {
      a: JSON.parse(row.a_raw) as SignedEvent,
      b: JSON.parse(row.b_raw) as SignedEvent,
    },
    detectedAt: row.detected_at,
  }))
}
