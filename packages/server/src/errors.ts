import { type ErrorDetails, formatMessage } from '@parley/protocol'

/**
 * The server's registry of stable error codes (the protocol's own codes live in
 * @parley/protocol). Each maps to an HTTP status and a message template; `docs/errors.md`
 * documents every one. Add entries here; never reuse or rename a code.
 */
export const serverErrors = {
  INTERNAL: { status: 500, message: 'Internal error' },
  NOT_FOUND: { status: 404, message: '{what} not found' },
  REQUEST_INVALID: { status: 400, message: 'Request does not match the schema: {reason}' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unavailable: {reason}' },
} as const satisfies Record<string, { status: number; message: string }>

export type ServerErrorCode = keyof typeof serverErrors

/** An error with a stable code from {@link serverErrors}. */
export class ServerError extends Error {
  readonly code: ServerErrorCode
  readonly status: number
  readonly details: ErrorDetails

  constructor(code: ServerErrorCode, details: ErrorDetails = {}) {
    super(formatMessage(serverErrors[code].message, details))
    this.name = 'ServerError'
    this.code = code
    this.status = serverErrors[code].status
    this.details = details
  }
}

export function isServerError(error: unknown, code?: ServerErrorCode): error is ServerError {
  return error instanceof ServerError && (code === undefined || error.code === code)
}
