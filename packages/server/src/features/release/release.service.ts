import { COMPOSABLE_TYPES, type ComposableType, type ReleaseView } from '@parley/api'
import {
  bodySchemas,
  canonicalJson,
  describeSchemaError,
  type EventType,
  isProtocolError,
  MAX_EVENT_BYTES,
  ProtocolError,
  utf8,
} from '@parley/protocol'
import { Value } from 'typebox/value'
import { isServerError, ServerError } from '../../errors.ts'
import type { StoredEvent } from '../../ledger/index.ts'
import { commitLocal, commitLocalAll } from '../../node/commit.ts'
import { hostedParties, type NodeContext } from '../../node/context.ts'
import {
  type AccessContext,
  actingAs,
  assertChannelAccess,
  dropCreatorGrant,
  grantCreator,
} from '../access/access.service.ts'
import { audit } from '../audit/audit.service.ts'
import type { ChannelRow } from '../channels/channels.repository.ts'
import {
  actingParty,
  type CreateChannelInput,
  channelOrThrow,
  createChannel,
  newChannelId,
} from '../channels/channels.service.ts'
import { say } from '../messages/messages.service.ts'
import { randomCrockford } from '../officers/secrets.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'
import {
  insertRelease,
  moveRelease,
  type ReleaseRow,
  releaseById,
  releaseRows,
} from './release.repository.ts'
import type { ReleaseStatus } from './release.table.ts'
import { assertReleasable, type ReleaseGuard } from './release-guard.ts'

/** What release control needs: the node (to sign and append), the guard, and compartments. */
export interface ReleaseContext {
  readonly node: NodeContext
  readonly guard: ReleaseGuard
  readonly access: AccessContext
}

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

interface ReleasePolicy {
  readonly twoPersonRule: readonly string[]
  readonly flashExempt: boolean
}

/**
 * Whether the channel's policy holds this item for a second officer: its type is under the
 * two-person rule, unless the policy exempts flash items and this one is flash.
 */
export function needsRelease(policy: unknown, type: string, body: unknown): boolean {
  const release = (policy as { release?: ReleasePolicy } | null)?.release
  if (release === undefined || !release.twoPersonRule.includes(type)) return false
  const urgency = (body as { urgency?: unknown }).urgency
  return !(release.flashExempt && urgency === 'flash')
}

/** What an officer composes: a v1 body for a channel, optionally naming the party it speaks for. */
export interface Composition {
  readonly channel: string
  readonly type: ComposableType
  readonly body: unknown
  readonly as?: string
}

/** The outcome of composing: signed and appended at once, or waiting for a releaser. */
export type Composed =
  | { readonly status: 'released'; readonly event: StoredEvent }
  | { readonly status: 'queued'; readonly release: ReleaseView }

/**
 * Composes an item: checks its body against the protocol schema and the release guard, then
 * signs and appends it when the channel policy lets it go at once, or queues it for a
 * different officer with the releaser role. Queuing is audited.
 */
export async function compose(
  ctx: ReleaseContext,
  officer: RequestOfficer,
  input: Composition,
): Promise<Composed> {
  const { node } = ctx
  assertComposable(input.type, input.body)
  const channel = await channelOrThrow(node, input.channel)
  const author = actingParty(
    node,
    actingAs(officer, input.as),
    channel.members.map((member) => member.party),
  )
  await checkItem(ctx, officer, input.type, input.body)
  if (!needsRelease(channel.policy, input.type, input.body)) {
    return { status: 'released', event: await commitNow(ctx, officer, channel, author, input) }
  }
  const now = node.now()
  const row: ReleaseRow = {
    id: `r_${randomCrockford(26)}`,
    channel: channel.id,
    party: author,
    type: input.type,
    body: input.body as Record<string, unknown>,
    drafter: officer.id,
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
      officer: officer.id,
      party: author,
      details: { release: row.id, channel: channel.id, type: input.type },
    })
  })
  return { status: 'queued', release: toView(row) }
}

/**
 * Composes many `message.post` items for one channel and commits them in one transaction, in
 * order. Each passes the checks of {@link compose}; a batch is never split between the release
 * queue and the ledger, so when the channel policy would hold any of its messages for a
 * releaser the whole batch is refused (`BATCH_NEEDS_RELEASE`) and nothing is stored.
 */
export async function composeBatch(
  ctx: ReleaseContext,
  officer: RequestOfficer,
  input: { readonly channel: string; readonly bodies: readonly unknown[]; readonly as?: string },
): Promise<PromiseSettledResult<StoredEvent>[]> {
  const { node } = ctx
  for (const body of input.bodies) assertComposable('message.post', body)
  const channel = await channelOrThrow(node, input.channel)
  const author = actingParty(
    node,
    actingAs(officer, input.as),
    channel.members.map((member) => member.party),
  )
  for (const [index, body] of input.bodies.entries()) {
    await checkItem(ctx, officer, 'message.post', body)
    if (needsRelease(channel.policy, 'message.post', body)) {
      throw new ServerError('BATCH_NEEDS_RELEASE', { index, channel: channel.id })
    }
  }
  return commitLocalAll(
    node,
    input.bodies.map((body) => ({
      channel: channel.id,
      author,
      type: 'message.post',
      body: body as never,
      officer: officer.id,
    })),
  )
}

function assertComposable(type: string, body: unknown): void {
  const schema = bodySchemas[type as EventType]
  if (schema === undefined || !(COMPOSABLE_TYPES as readonly string[]).includes(type)) {
    throw new ServerError('REQUEST_INVALID', { reason: `/type: ${type} cannot be composed` })
  }
  if (!Value.Check(schema, body)) {
    throw new ServerError('REQUEST_INVALID', {
      reason: describeSchemaError(Value.Errors(schema, body), '/body'),
    })
  }
  // Refused now rather than when a releaser approves it: the envelope adds well under 1 KiB.
  const size = utf8(canonicalJson(body)).length
  if (size > MAX_EVENT_BYTES - 1024) {
    throw new ProtocolError('EVENT_TOO_LARGE', { size, limit: MAX_EVENT_BYTES })
  }
}

/**
 * Opens a channel as the officer's party: the genesis passes the release guard like any item,
 * and the officer is on the new channel's access list before its event commits.
 */
export async function openChannel(
  ctx: ReleaseContext,
  officer: RequestOfficer,
  input: CreateChannelInput,
): Promise<Awaited<ReturnType<typeof createChannel>>> {
  const { as, ...body } = input
  const author = actingParty(ctx.node, actingAs(officer, as), hostedParties(ctx.node))
  assertReleasable(ctx.guard, { type: 'channel.create', body })
  const id = newChannelId()
  await grantCreator(ctx.access, officer, id)
  try {
    return await createChannel(ctx.node, officer.id, { ...body, as: author }, id)
  } catch (error) {
    await dropCreatorGrant(ctx.access, officer, id)
    throw error
  }
}

/**
 * What composing and approving both check: a forward's source channel is in the officer's
 * compartments too, and the release guard finds nothing.
 */
async function checkItem(
  ctx: ReleaseContext,
  officer: RequestOfficer,
  type: string,
  body: unknown,
): Promise<void> {
  if (type === 'forward') {
    await assertChannelAccess(ctx.access, officer, (body as { from: string }).from)
  }
  assertReleasable(ctx.guard, { type, body })
}

async function commitNow(
  ctx: ReleaseContext,
  officer: RequestOfficer,
  channel: ChannelRow,
  author: string,
  input: Composition,
): Promise<StoredEvent> {
  if (input.type === 'message.post' || input.type === 'message.translate') {
    const body = { ...(input.body as object), as: author } as Parameters<typeof say>[4]
    return say(ctx.node, officer.id, channel.id, input.type, body)
  }
  return commitLocal(ctx.node, {
    channel: channel.id,
    author,
    type: input.type,
    body: input.body as never,
    officer: officer.id,
  })
}

/**
 * A queue item the officer may handle: of their party (the node-wide credential: any).
 * Another party's item is reported missing, like one that does not exist.
 */
async function itemFor(
  ctx: ReleaseContext,
  officer: RequestOfficer,
  id: string,
): Promise<ReleaseRow> {
  const row = await releaseById(ctx.node.db, id)
  if (row === undefined || (officer.party !== null && row.party !== officer.party)) {
    throw new ServerError('RELEASE_NOT_FOUND', { release: id })
  }
  return row
}

/** The channel of a queue item, for the access hook; `RELEASE_NOT_FOUND` when there is none. */
export async function channelOfRelease(ctx: ReleaseContext, id: string): Promise<string> {
  const row = await releaseById(ctx.node.db, id)
  if (row === undefined) throw new ServerError('RELEASE_NOT_FOUND', { release: id })
  return row.channel
}

export async function getRelease(
  ctx: ReleaseContext,
  officer: RequestOfficer,
  id: string,
): Promise<ReleaseView> {
  return toView(await itemFor(ctx, officer, id))
}

/** Queue items in the officer's compartments and party, newest first. */
export async function listReleases(
  ctx: ReleaseContext,
  officer: RequestOfficer,
  filter: { readonly channel?: string; readonly status?: ReleaseStatus; readonly limit?: number },
): Promise<ReleaseView[]> {
  const rows = await releaseRows(ctx.node.db, {
    party: officer.party,
    officer: officer.party === null ? null : officer.id,
    ...filter,
    limit: filter.limit ?? 100,
  })
  return rows.map(toView)
}

/**
 * A releaser approves a pending item: it is checked again (the guard and compartments may
 * have changed since), signed as its party with the drafter's officer id, and appended. The
 * approval claims the item first, in one statement, so it is released at most once however
 * many releasers approve it at the same moment; should the ledger refuse it, it is pending
 * again. Approval, release and refusal are audited. The drafter can never approve their own
 * item (two-person rule).
 */
export async function approveRelease(
  ctx: ReleaseContext,
  officer: RequestOfficer,
  id: string,
): Promise<{ release: ReleaseView; event: StoredEvent }> {
  const { db } = ctx.node
  const row = await itemFor(ctx, officer, id)
  if (row.status !== 'pending') {
    throw new ServerError('RELEASE_NOT_PENDING', { release: id, status: row.status })
  }
  if (row.drafter === officer.id) throw new ServerError('RELEASE_OWN_DRAFT', { release: id })
  // The channel must still exist here; the guard and compartments are checked again.
  await channelOrThrow(ctx.node, row.channel)
  await checkItem(ctx, officer, row.type, row.body)
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
    event = await commitLocal(ctx.node, {
      channel: row.channel,
      author: row.party,
      type: row.type as ComposableType,
      body: row.body as never,
      officer: row.drafter,
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
  return { release: toView((await releaseById(db, id))!), event }
}

/** A releaser rejects a pending item, with a reason the drafter will read. Audited. */
export async function rejectRelease(
  ctx: ReleaseContext,
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
