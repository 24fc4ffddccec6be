import { ServerError } from '../errors.ts'
import {
  type AuthenticatedEvents,
  appendEvents,
  type BatchAppendResult,
  type LocalDraft,
  type StoredEvent,
} from '../ledger/index.ts'
import type { NodeContext } from './context.ts'
import { appendContext } from './context.ts'
import type { Alongside, OnStored } from './local-committer.ts'
import { publish } from './publish.ts'

/** Work that must commit in the transaction that stores a local event, or not at all. */
export interface CommitLocalOptions {
  /** Runs inside that transaction once the event is stored; throwing rolls the event back. */
  readonly onStored?: OnStored
  /** Written in that transaction too, without keeping the draft out of a group commit. */
  readonly alongside?: Alongside
}

/**
 * Signs and commits an event of a hosted party and, in the same transaction, queues it for
 * every peer node that hosts a participant (the transactional outbox, DESIGN §4.7). Throws
 * the protocol's error when the ledger refuses the draft; nothing is stored then.
 *
 * Drafts posted while a commit is under way wait for it and then go together in the next
 * transaction (group commit): each call still resolves only once its own event is durably
 * committed, but many calls share one commit, one lock and one outbox insert. A draft with an
 * `onStored` hook is committed on its own, so its hook can only ever roll back its own event.
 */
export function commitLocal(
  ctx: NodeContext,
  draft: LocalDraft,
  options: CommitLocalOptions = {},
): Promise<StoredEvent> {
  if (!ctx.identity.parties.has(draft.author)) {
    return Promise.reject(new ServerError('PARTY_NOT_HOSTED', { party: draft.author }))
  }
  return ctx.committer.submit(draft, options.onStored, options.alongside)
}

/**
 * {@link commitLocal} for many drafts that must commit together: they go in ONE transaction of
 * their own (never split across group commits), and an unexpected failure fails them all.
 * Each entry settles on its own, as the ledger stored or refused that draft.
 */
export function commitLocalAll(
  ctx: NodeContext,
  drafts: readonly LocalDraft[],
  options: Pick<CommitLocalOptions, 'alongside'> = {},
): Promise<PromiseSettledResult<StoredEvent>[]> {
  for (const draft of drafts) {
    if (!ctx.identity.parties.has(draft.author)) {
      return Promise.reject(new ServerError('PARTY_NOT_HOSTED', { party: draft.author }))
    }
  }
  return Promise.allSettled(ctx.committer.submitAll(drafts, options.alongside))
}

/**
 * Commits events received from a peer together (a push, a log page): validated one by one and
 * in order, stored in one transaction; then announces what got stored, inputs first.
 */
export async function commitReceivedBatch(
  ctx: NodeContext,
  signed: readonly unknown[] | AuthenticatedEvents,
): Promise<BatchAppendResult> {
  const started = performance.now()
  const batch = await appendEvents(ctx.db, signed, {
    ...appendContext(ctx),
    onCommitted: (stored) => {
      ctx.telemetry.committed('received', (performance.now() - started) / 1000, stored.length)
      publish(ctx, stored, false)
    },
  })
  for (const result of batch.results) {
    if (result.status === 'rejected') ctx.telemetry.refused('received', result.code)
  }
  publish(ctx, batch.applied, false)
  return batch
}
