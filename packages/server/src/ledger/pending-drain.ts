import type { Kysely } from 'kysely'
import { isDatabaseUnavailable } from '../store/database-errors.ts'
import type { DB } from '../store/tables.ts'
import { inTransaction } from './append-transaction.ts'
import type {
  AppendContext,
  AppendResult,
  BatchAppendResult,
  Outcome,
  StoredEvent,
} from './append-types.ts'
import { authenticateAll } from './chain-state.ts'
import { pendingState } from './pending.ts'
import { storeChecked } from './store-checked.ts'

/** Drains what the batch may have unblocked and turns outcomes into results. */
export async function settleBatch(
  db: Kysely<DB>,
  outcomes: readonly Outcome[],
  ctx: AppendContext,
): Promise<BatchAppendResult> {
  const channels = new Set<string>()
  const committed: StoredEvent[] = []
  for (const outcome of outcomes) {
    if (outcome.status === 'stored') {
      channels.add(outcome.stored.event.channel)
      committed.push(outcome.stored)
    } else if (outcome.status === 'pending') channels.add(outcome.need.channel)
  }
  if (committed.length > 0) ctx.onCommitted?.(committed)
  const drained: StoredEvent[] = []
  try {
    const waiting = await channelsWithPending(db)
    for (const outcome of outcomes)
      if (outcome.status === 'pending') waiting.add(outcome.need.channel)
    for (const channel of channels) {
      if (waiting.has(channel)) drained.push(...(await drainPending(db, channel, ctx)))
    }
  } catch (error) {
    // The batch is committed, so its callers must hear that it is, or they would retry what
    // is stored. What it unblocked stays pending, for the next commit in its channel or the
    // drain at start-up.
    if (!isDatabaseUnavailable(error)) throw error
  }
  // An input put aside may have landed while it waited (a later input filled its gap).
  const landed = new Map(drained.map((stored) => [stored.id, stored]))
  const inputs = new Set<string>()
  const results = outcomes.map((outcome): AppendResult => {
    if (outcome.status === 'stored') {
      const { stored, behind } = outcome
      return { status: 'stored', ...stored, behind, applied: [] }
    }
    const stored = outcome.status === 'pending' ? landed.get(outcome.id) : undefined
    if (stored === undefined) return outcome
    inputs.add(stored.id)
    return { status: 'stored', ...stored, behind: [], applied: [] }
  })
  return { results, applied: drained.filter((stored) => !inputs.has(stored.id)) }
}

/**
 * Applies the pending events of a channel that now fit, in seq order per author, until none
 * can move; each round in one transaction. Also worth running at start-up, for events left
 * pending by a crash between a commit and its drain.
 */
export async function drainPending(
  db: Kysely<DB>,
  channel: string,
  ctx: AppendContext,
): Promise<StoredEvent[]> {
  const applied: StoredEvent[] = []
  for (;;) {
    const { waiting, ready: rows } = await pendingState(db, channel)
    if (waiting === 0) (await channelsWithPending(db)).delete(channel)
    if (rows.length === 0) return applied
    const checked = await authenticateAll(
      db,
      rows.map((row) => JSON.parse(row.raw) as unknown),
      ctx.verifier,
    )
    const outcomes = await inTransaction(db, (trx) =>
      storeChecked(
        trx,
        checked.map((item, i) => ({ checked: item, fromPending: rows[i]!.id })),
        ctx,
      ),
    )
    let progress = false
    for (const outcome of outcomes) {
      if (outcome.status !== 'stored') continue
      applied.push(outcome.stored)
      progress = true
    }
    if (!progress) return applied
  }
}

/**
 * Channels that may have pending events, per database handle: a commit drains only those, so
 * the common case (nothing waits) costs no query. Read once from the table; a channel joins
 * the set after every commit that put an event of it aside (before that commit's own drain),
 * and leaves it when a drain finds nothing waiting. Either drain then sees what the other
 * committed, as when every commit drained.
 */
const pendingChannels = new WeakMap<Kysely<DB>, Promise<Set<string>>>()

function channelsWithPending(db: Kysely<DB>): Promise<Set<string>> {
  let channels = pendingChannels.get(db)
  if (channels === undefined) {
    channels = db
      .selectFrom('pending_events')
      .select('channel')
      .distinct()
      .execute()
      .then((rows) => new Set(rows.map((row) => row.channel)))
    channels.catch(() => pendingChannels.delete(db))
    pendingChannels.set(db, channels)
  }
  return channels
}
