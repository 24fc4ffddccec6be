import {
  type ErrorDetails,
  ProtocolError,
  type ProtocolErrorCode,
  protocolErrors,
} from '@parley/protocol'
import { ServerError, type ServerErrorCode, serverErrors } from '../errors.ts'
import type { BatchAppendResult, StoredEvent } from '../ledger/index.ts'
import type { NodeContext } from './context.ts'

/** The stored events of a batch by id, as the live stream shows them. */
export function storedOf({ results }: BatchAppendResult): Map<string, StoredEvent> {
  const stored = new Map<string, StoredEvent>()
  for (const result of results) {
    if (result.status !== 'stored') continue
    const { id, event, sig, receivedAt, position } = result
    stored.set(id, { id, event, sig, receivedAt, position })
  }
  return stored
}

/** Announces committed events on the live stream, in order. */
export function publish(ctx: NodeContext, events: readonly StoredEvent[], local: boolean): void {
  for (const { id, event, sig } of events) ctx.hub.publish({ id, signed: { event, sig }, local })
}

/** The ledger's refusal as the API error with the same stable code and details. */
export function refusal(result: {
  readonly code: string
  readonly message: string
  readonly details: ErrorDetails
}): Error {
  const error = Object.hasOwn(protocolErrors, result.code)
    ? new ProtocolError(result.code as ProtocolErrorCode, result.details)
    : Object.hasOwn(serverErrors, result.code)
      ? new ServerError(result.code as ServerErrorCode, result.details)
      : new ServerError('REQUEST_INVALID', { reason: result.message })
  error.message = result.message
  return error
}
