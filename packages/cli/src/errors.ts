import { type ErrorDetails, formatMessage } from '@parley/protocol'

/** The CLI's registry of stable error codes; each is documented in docs/errors.md. */
export const cliErrors = {
  FILE_NOT_FOUND: { status: 2, message: 'No such file: {path}' },
  USAGE: { status: 2, message: '{reason}' },
} as const satisfies Record<string, { status: number; message: string }>

export type CliErrorCode = keyof typeof cliErrors

/** An error with a stable code; `status` is the process exit code. */
export class CliError extends Error {
  readonly code: CliErrorCode
  readonly status: number
  readonly details: ErrorDetails

  constructor(code: CliErrorCode, details: ErrorDetails = {}) {
    super(formatMessage(cliErrors[code].message, details))
    this.name = 'CliError'
    this.code = code
    this.status = cliErrors[code].status
    this.details = details
  }
}
