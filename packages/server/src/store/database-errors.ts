import { ServerError } from '../errors.ts'

/** What a client is told to wait before trying again when the database is out of reach (s). */
export const DATABASE_RETRY_AFTER_S = 2

/** Socket errors of the connection to PostgreSQL (Node's codes, as `pg` passes them on). */
const SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
])

/**
 * SQLSTATEs that end or refuse the session rather than a statement: class 08 (connection
 * exception), admin and crash shutdown, a server not accepting connections yet, a session the
 * server timed out, and a server out of connection slots.
 */
const SESSION_STATES = new Set(['57P01', '57P02', '57P03', '57P05', '53300'])

/**
 * What `pg` throws when the connection is gone, as plain errors without a code: a socket that
 * closed under a query, a client that already saw its connection fail, a pool that could not
 * connect in time. (PGlite runs inside the node: it has no connection to lose, and only the
 * node's own close, after the last request, ends it.)
 */
const DRIVER_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
])

/**
 * Whether `error`, thrown by a database call, says the database could not be reached or the
 * connection to it was lost, rather than that it refused a statement: the request may succeed
 * once it is back, and the node did nothing wrong. (Node's AggregateError for a host with
 * several addresses carries its members' code itself.)
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || SESSION_STATES.has(code)) return true
    if (/^08[0-9A-Z]{3}$/.test(code)) return true
  }
  return typeof message === 'string' && DRIVER_MESSAGES.has(message)
}

/** The API's answer to a request that lost its database: 503, and when to try again. */
export function databaseUnavailable(): ServerError {
  return new ServerError('DATABASE_UNAVAILABLE', {
    reason: 'the connection to it was lost or refused',
    retryAfter: DATABASE_RETRY_AFTER_S,
  })
}
