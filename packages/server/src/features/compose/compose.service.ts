import { COMPOSABLE_TYPES, type ComposableType, type ReleaseView } from '@parley/api'
import {
  bodySchemas,
  canonicalJson,
  describeSchemaError,
  type EventType,
  MAX_EVENT_BYTES,
  ProtocolError,
  utf8,
} from '@parley/protocol'
import { Value } from 'typebox/value'
import { ServerError } from '../../errors.ts'
import type { StoredEvent } from '../../ledger/index.ts'
import { actingParty, channelOrThrow } from '../../node/channels.ts'
import { commitLocal, commitLocalAll } from '../../node/commit.ts'
import type { NodeContext } from '../../node/context.ts'
import type { Alongside } from '../../node/local-committer.ts'
import { type AccessContext, actingAs, assertChannelAccess } from '../access/access.service.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'
import { needsRelease, type ReleaseFloor } from './release-floor.ts'
import { assertReleasable, type ReleaseGuard } from './release-guard.ts'

/** An item ready to be signed: what it says, in which channel, for which party, by whom. */
export interface Item {
  readonly channel: string
  readonly party: string
  readonly type: ComposableType
  readonly body: Record<string, unknown>
  /** The officer who composed it; the event carries this id. */
  readonly drafter: string
}

/**
 * What composing needs: the node (to sign and append), the release guard, the node's release
 * floor, compartments, and where an item held for a second officer goes (the release queue,
 * wired in at build so that compose knows nothing of its tables).
 */
export interface ComposeContext {
  readonly node: NodeContext
  readonly guard: ReleaseGuard
  readonly floor: ReleaseFloor
  readonly access: AccessContext
  readonly hold: (item: Item) => Promise<ReleaseView>
  /** What each feature checks of the items of its types, at compose and again at approval. */
  readonly rules: readonly ComposeRule[]
}

/**
 * A feature's own check of an item before it is signed or queued: that a notice's sector is
 * in the taxonomy, that an acknowledgment is not by the notice's opener, that an accepted
 * paragraph exists. It throws a registered error; it never writes.
 */
export interface ComposeRule {
  readonly types: readonly ComposableType[]
  check(node: NodeContext, item: Item): Promise<void>
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
 * Composes an item of any type: checks its body against the protocol schema and the release
 * guard, then signs and appends it when neither the node's release floor nor the channel's
 * policy holds it, or holds it for a different officer with the releaser role.
 */
export async function compose(
  ctx: ComposeContext,
  officer: RequestOfficer,
  input: Composition,
): Promise<Composed> {
  assertComposable(input.type, input.body)
  const channel = await channelOrThrow(ctx.node, input.channel)
  const party = actingParty(
    ctx.node,
    actingAs(officer, input.as),
    channel.members.map((member) => member.party),
  )
  const item: Item = {
    channel: channel.id,
    party,
    type: input.type,
    body: input.body as Record<string, unknown>,
    drafter: officer.id,
  }
  await checkItem(ctx, officer, item)
  if (needsRelease(ctx.floor, policyOf(channel), input.type, input.body)) {
    return { status: 'queued', release: await ctx.hold(item) }
  }
  return { status: 'released', event: await commitItem(ctx.node, item, officer.tokenUse) }
}

/**
 * Composes many `message.post` items for one channel and commits them in one transaction, in
 * order. Each passes the checks of {@link compose}; a batch is never split between the release
 * queue and the ledger, so when the floor or the channel policy would hold any of its messages for a
 * releaser the whole batch is refused (`BATCH_NEEDS_RELEASE`) and nothing is stored.
 */
export async function composeBatch(
  ctx: ComposeContext,
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
    const item: Item = {
      channel: channel.id,
      party: author,
      type: 'message.post',
      body: body as Record<string, unknown>,
      drafter: officer.id,
    }
    await checkItem(ctx, officer, item)
    if (needsRelease(ctx.floor, policyOf(channel), 'message.post', body)) {
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
    officer.tokenUse === undefined ? {} : { alongside: officer.tokenUse },
  )
}

// The stored policy passed the protocol's schema when its channel.create was validated.
function policyOf(channel: { readonly policy: unknown }): Parameters<typeof needsRelease>[1] {
  return channel.policy as Parameters<typeof needsRelease>[1]
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
 * What composing and approving both check: a forward's source channel is in the officer's
 * compartments too, the release guard finds nothing, and every feature rule for the item's
 * type holds.
 */
export async function checkItem(
  ctx: Pick<ComposeContext, 'guard' | 'access' | 'rules' | 'node'>,
  officer: RequestOfficer,
  item: Item,
): Promise<void> {
  const { type, body } = item
  if (type === 'forward') {
    await assertChannelAccess(ctx.access, officer, (body as { from: string }).from)
  }
  assertReleasable(ctx.guard, { type, body })
  for (const rule of ctx.rules) {
    if (rule.types.includes(type)) await rule.check(ctx.node, item)
  }
}

/**
 * Signs and appends an item as its party, with its drafter's officer id, and in the same
 * transaction what must commit with it (the `token.use` entry of the call that released it).
 */
export function commitItem(
  node: NodeContext,
  item: Item,
  alongside?: Alongside,
): Promise<StoredEvent> {
  const draft = {
    channel: item.channel,
    author: item.party,
    type: item.type,
    body: item.body as never,
    officer: item.drafter,
  }
  return commitLocal(node, draft, alongside === undefined ? {} : { alongside })
}
