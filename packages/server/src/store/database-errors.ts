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
 * What the drivers throw when the connection is gone, as plain errors without a code: `pg`
 * for a socket that closed under a query, a client that already saw its connection fail, and
 * a pool that could not connect in time; PGlite once it is closed.
 */
const DRIVER_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
  'PGlite is closed',
])

/**
 * Whether `error` says the database could not be reached or the connection to it was lost,
 * rather than that it refused a statement: the request may succeed once it is back, and the
 * node itself did nothing wrong. Looks through `cause` and an AggregateError's `errors`.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false
  const { code, message, cause, errors } = error as {
    code?: unknown
    message?: unknown
    cause?: unknown
    errors?: unknown
  }
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || SESSION_STATES.has(code)) return true
    if (/^08[0-9A-Z]{3}$/.test(code)) return true
  }
  if (typeof message === 'string' && DRIVER_MESSAGES.has(message)) return true
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1)))
    return true
  return isDatabaseUnavailable(cause, depth + 1)
}

/** The API's answer to a request that lost its database: 503, and when to try again. */
export function databaseUnavailable(): ServerError {
  return new ServerError('DATABASE_UNAVAILABLE', {
    reason: 'the connection to it was lost or refused',
    retryAfter: DATABASE_RETRY_AFTER_S,
  })
}
