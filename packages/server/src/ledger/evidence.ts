import type { Authenticated, Rejection } from '@parley/protocol'
import type { Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import { raiseAlarm } from './alarms.ts'
import type { AppendContext, Outcome } from './append-types.ts'
import { recordEquivocation } from './equivocations.ts'
import { putPending } from './pending.ts'

/**
 * What a rejection leaves behind: an event that waits for something keeps its place in
 * `pending_events`; a fork is kept as proof; a heads conflict raises an alarm. Anything else
 * writes nothing.
 */
export async function keepEvidence(
  trx: Transaction<DB>,
  checked: Authenticated,
  rejection: Rejection,
  ctx: AppendContext,
): Promise<Outcome> {
  const { id, need } = rejection
  const { event, raw } = checked
  if (id === undefined) return rejectedBy(rejection)
  if (need !== undefined) {
    await putPending(trx, {
      id,
      channel: event.channel,
      author: event.author,
      seq: event.seq,
      raw,
      need,
      receivedAt: ctx.now,
    })
    return { status: 'pending', id, need }
  }
  if (rejection.code === 'EQUIVOCATION' && rejection.conflict !== undefined) {
    await recordEquivocation(trx, rejection.conflict.id, { id, raw }, ctx.now)
  } else if (rejection.code === 'HEADS_CONFLICT') {
    await raiseAlarm(trx, {
      kind: 'heads_conflict',
      channel: event.channel,
      party: event.author,
      details: { event: id, message: rejection.message },
      now: ctx.now,
    })
  }
  return rejectedBy(rejection)
}

export function rejectedBy({ code, message, details, id }: Rejection): Outcome {
  return { status: 'rejected', code, message, details, ...(id === undefined ? {} : { id }) }
}
