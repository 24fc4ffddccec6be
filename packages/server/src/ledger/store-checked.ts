import type { Behind, Event } from '@parley/protocol'
import type { Transaction } from 'kysely'
import { ServerError } from '../errors.ts'
import type { DB } from '../store/tables.ts'
import type { AppendContext, Outcome } from './append-types.ts'
import { type Checking, hintsOfEvent, lockChains, place } from './chain-state.ts'
import { afterStore, EventRows } from './event-rows.ts'
import { keepEvidence, rejectedBy } from './evidence.ts'
import { removePending } from './pending.ts'
import { preloadView, recordStored } from './receiver-view.ts'

export interface Item {
  readonly checked: Checking
  /** The pending row this event came from, removed once the event is settled. */
  readonly fromPending?: string
}

/** DESIGN §4.4 steps 4–7 and storage for authenticated events, in order, in one transaction. */
export async function storeChecked(
  trx: Transaction<DB>,
  items: readonly Item[],
  ctx: AppendContext,
): Promise<Outcome[]> {
  const events = items.flatMap(({ checked }) => (checked.ok ? [checked.event] : []))
  await lockChains(trx, events)
  const cache = await preloadView(trx, events.map(hintsOfEvent))
  const rows = new EventRows(trx)
  const outcomes: (Outcome | { status: 'buffered'; index: number; behind: readonly Behind[] })[] =
    []
  for (const { checked, fromPending } of items) {
    if (!checked.ok) {
      // Refused before placement: there is nothing it could wait for.
      if (fromPending !== undefined) await removePending(trx, fromPending)
      outcomes.push(rejectedBy(checked))
      continue
    }
    const placement = await place(trx, cache, ctx, checked)
    const waits = !placement.ok && placement.need !== undefined
    if (fromPending !== undefined && !waits) await removePending(trx, fromPending)
    if (!placement.ok) {
      // Evidence may cite an event of this batch (a fork of one stored a moment ago).
      await rows.flush()
      outcomes.push(await keepEvidence(trx, checked, placement, ctx))
      continue
    }
    if (placement.duplicate) {
      outcomes.push({ status: 'duplicate', id: checked.id })
      continue
    }
    const { event, sig, id, raw } = checked
    if (event.type === 'channel.create' && !takesPart(event, ctx.hosted)) {
      const error = new ServerError('CHANNEL_NOT_HOSTED', { channel: event.channel })
      const { code, message, details } = error
      outcomes.push({ status: 'rejected', code, message, details, id })
      continue
    }
    recordStored(cache, checked)
    const index = rows.add({ id, event, sig, raw, receivedAt: ctx.now })
    outcomes.push({ status: 'buffered', index, behind: placement.behind })
  }
  const stored = await rows.flush()
  await afterStore(trx, stored, ctx)
  return outcomes.map((outcome) =>
    outcome.status === 'buffered'
      ? { status: 'stored', stored: stored[outcome.index]!, behind: outcome.behind }
      : outcome,
  )
}

function takesPart(event: Extract<Event, { type: 'channel.create' }>, hosted: readonly string[]) {
  const { members, observers } = event.body
  return hosted.some((party) => members.includes(party) || observers.includes(party))
}
