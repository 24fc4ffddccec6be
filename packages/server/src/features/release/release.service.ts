import type { ComposableType, PageQuery, ReleaseView } from '@parley/api'
import { isProtocolError } from '@parley/protocol'
import { isServerError, ServerError } from '../../errors.ts'
import type { StoredEvent } from '../../ledger/index.ts'
import { channelOrThrow } from '../../node/channels.ts'
import type { NodeContext } from '../../node/context.ts'
import { type Keyset, type Page, readPage } from '../../store/keyset.ts'
import { audit } from '../audit/audit.service.ts'
import {
  type ComposeContext,
  checkItem,
  commitItem,
  type Item,
} from '../compose/compose.service.ts'
import { randomCrockford } from '../officers/secrets.ts'
import { publishReleased, releasePublication } from '../portal/publications.service.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'
import {
  insertRelease,
  moveRelease,
  type ReleaseRow,
  releaseById,
  releaseRows,
} from './release.repository.ts'
import type { ReleaseStatus } from './release.table.ts'

function toView(row: ReleaseRow): ReleaseView {
  // Only bodies that passed their type's schema are queued.
  return {
    id: row.id,
    channel: row.channel,
    party: row.party,
    type: row.type,
    body: row.body,
    drafter: row.drafter,
    createdAt: row.created_at,
    status: row.status,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    reason: row.reason,
    event: row.event_id,
  } as ReleaseView
}

/**
 * Holds an item for a second officer: it waits in the release queue, as its drafter composed
 * it, until a releaser approves or rejects it. Audited.
 */
export async function holdForRelease(node: NodeContext, item: Item): Promise<ReleaseView> {
  const now = node.now()
  const row: ReleaseRow = {
    id: `r_${randomCrockford(26)}`,
    channel: item.channel,
    party: item.party,
    type: item.type,
    body: item.body,
    drafter: item.drafter,
    created_at: now,
    status: 'pending',
    decided_by: null,
    decided_at: null,
    reason: null,
    event_id: null,
  }
  await node.db.transaction().execute(async (trx) => {
    await insertRelease(trx, row)
    await audit(trx, {
      time: now,
      action: 'release.submit',
      officer: item.drafter,
      party: item.party,
      details: { release: row.id, channel: item.channel, type: item.type },
    })
  })
  return toView(row)
}

/**
 * A queue item the officer may handle: of their party. Another party's item is reported
 * missing, like one that does not exist.
 */
async function itemFor(
  ctx: ComposeContext,
  officer: RequestOfficer,
  id: string,
): Promise<ReleaseRow> {
  const row = await releaseById(ctx.node.db, id)
  if (row === undefined || row.party !== officer.party) {
    throw new ServerError('RELEASE_NOT_FOUND', { release: id })
  }
  return row
}

/** The channel of a queue item, for the access hook; `RELEASE_NOT_FOUND` when there is none. */
export async function channelOfRelease(ctx: ComposeContext, id: string): Promise<string> {
  const row = await releaseById(ctx.node.db, id)
  if (row === undefined) throw new ServerError('RELEASE_NOT_FOUND', { release: id })
  return row.channel
}

export async function getRelease(
  ctx: ComposeContext,
  officer: RequestOfficer,
  id: string,
): Promise<ReleaseView> {
  return toView(await itemFor(ctx, officer, id))
}

/**
 * A page of the queue items in the officer's compartments and party, in the order they were
 * composed (the newest page unless a cursor or `from=oldest` says otherwise).
 */
export async function listReleases(
  ctx: ComposeContext,
  officer: RequestOfficer,
  query: PageQuery & { readonly channel?: string; readonly status?: ReleaseStatus },
): Promise<Page<ReleaseView>> {
  const { channel, status, ...page } = query
  const found = await readPage(releaseKeyset, page, (where, direction, limit) =>
    releaseRows(ctx.node.db, {
      party: officer.party,
      officer: officer.id,
      ...(channel === undefined ? {} : { channel }),
      ...(status === undefined ? {} : { status }),
      where,
      direction,
      limit,
    }),
  )
  return { items: found.items.map(toView), cursors: found.cursors }
}

/** The release queue's page order: when an item was composed, then its id. */
const releaseKeyset: Keyset<ReleaseRow> = {
  scope: 'releases',
  columns: ['release_queue.created_at', 'release_queue.id'],
  kinds: ['int', 'text'],
  key: (row) => [Number(row.created_at), row.id],
}

/**
 * A releaser approves a pending item: it is checked again (the guard and compartments may
 * have changed since), signed as its party with the drafter's officer id, and appended. The
 * approval claims the item first, in one statement, so it is released at most once however
 * many releasers approve it at the same moment; should the ledger refuse it, it is pending
 * again. Approval, release and refusal are audited. The drafter can never approve their own
 * item (two-person rule). With `publish`, the released item is also published on the portal
 * (features/portal), its rules checked before it is signed.
 */
export async function approveRelease(
  ctx: ComposeContext,
  officer: RequestOfficer,
  id: string,
  options: { readonly publish?: boolean } = {},
): Promise<{ release: ReleaseView; event: StoredEvent }> {
  const { db } = ctx.node
  const row = await itemFor(ctx, officer, id)
  if (row.status !== 'pending') {
    throw new ServerError('RELEASE_NOT_PENDING', { release: id, status: row.status })
  }
  if (row.drafter === officer.id) throw new ServerError('RELEASE_OWN_DRAFT', { release: id })
  // Publication's rules hold before anything is signed: a refusal releases nothing.
  if (options.publish === true) releasePublication(row.type, row.body as Record<string, unknown>)
  // The channel must still exist here; the guard and compartments are checked again.
  await channelOrThrow(ctx.node, row.channel)
  await checkItem(ctx, officer, {
    channel: row.channel,
    party: row.party,
    type: row.type as ComposableType,
    body: row.body,
    drafter: row.drafter,
  })
  const now = ctx.node.now()
  const facts = { release: id, channel: row.channel, type: row.type, drafter: row.drafter }
  const who = { time: now, officer: officer.id, party: row.party }
  await db.transaction().execute(async (trx) => {
    const approved = { status: 'approved', by: officer.id, at: now } as const
    if (!(await moveRelease(trx, id, 'pending', approved))) {
      throw new ServerError('RELEASE_NOT_PENDING', { release: id, status: 'decided' })
    }
    await audit(trx, { ...who, action: 'release.approve', details: facts })
  })
  let event: StoredEvent
  try {
    event = await commitItem(ctx.node, {
      channel: row.channel,
      party: row.party,
      type: row.type as ComposableType,
      body: row.body,
      drafter: row.drafter,
    })
  } catch (error) {
    // The ledger refused it (a notice acknowledged twice, say): pending again, and on record.
    await db.transaction().execute(async (trx) => {
      await moveRelease(trx, id, 'approved', { status: 'pending', by: null, at: null })
      const code = isServerError(error) || isProtocolError(error) ? error.code : 'INTERNAL'
      await audit(trx, { ...who, action: 'release.refused', details: { ...facts, code } })
    })
    throw error
  }
  await db.transaction().execute(async (trx) => {
    const released = { status: 'released', by: officer.id, at: now, event: event.id } as const
    await moveRelease(trx, id, 'approved', released)
    await audit(trx, {
      ...who,
      action: 'release.release',
      details: { ...facts, event: event.id, seq: event.event.seq },
    })
  })
  if (options.publish === true) await publishReleased(ctx.node, officer, event)
  return { release: toView((await releaseById(db, id))!), event }
}

/** A releaser rejects a pending item, with a reason the drafter will read. Audited. */
export async function rejectRelease(
  ctx: ComposeContext,
  officer: RequestOfficer,
  id: string,
  reason: string,
): Promise<ReleaseView> {
  const row = await itemFor(ctx, officer, id)
  const now = ctx.node.now()
  await ctx.node.db.transaction().execute(async (trx) => {
    const rejected = { status: 'rejected', by: officer.id, at: now, reason } as const
    if (!(await moveRelease(trx, id, 'pending', rejected))) {
      const status = (await releaseById(trx, id))?.status ?? row.status
      throw new ServerError('RELEASE_NOT_PENDING', { release: id, status })
    }
    await audit(trx, {
      time: now,
      action: 'release.reject',
      officer: officer.id,
      party: row.party,
      details: { release: id, channel: row.channel, type: row.type, drafter: row.drafter, reason },
    })
  })
  return toView((await releaseById(ctx.node.db, id))!)
}
