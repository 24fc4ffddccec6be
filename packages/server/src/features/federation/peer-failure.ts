import { CodedError } from '@parley/protocol'
import { ServerError } from '../../errors.ts'
import type { PeerFailure } from './peers.repository.ts'

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/

/**
 * A peer's refusal of a federation request (`PEER_REFUSED`): its status and code, never its
 * message, which may name channels the officer reading peer health must not see.
 */
export function peerRefused(url: string, status: number, body: unknown): ServerError {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code
  return new ServerError('PEER_REFUSED', {
    url,
    status,
    code: typeof code === 'string' && CODE.test(code) ? code : 'none',
  })
}

/**
 * What peer health keeps of a failed exchange: the code, the status, and the reason of this
 * node's own errors (which name hosts and timeouts, never channels); the URL called and any
 * text the peer sent are left out. `channel` is kept apart, for officers who may see it.
 */
export function peerFailure(error: unknown, channel?: string): PeerFailure {
  const where = channel === undefined ? {} : { channel }
  if (!(error instanceof CodedError)) return { code: 'INTERNAL', ...where }
  const { status, reason, code } = error.details
  return {
    code: error.code,
    ...(typeof status === 'number' ? { status } : {}),
    ...(error.code === 'PEER_REFUSED' && typeof code === 'string' ? { reason: code } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
    ...where,
  }
}
