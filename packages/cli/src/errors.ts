import { CodedError, type ErrorDetails } from '@parley/protocol'

/** The CLI's registry of stable error codes; each is documented in docs/errors.md. */
export const cliErrors = {
  FILE_NOT_FOUND: { status: 2, message: 'No such file: {path}' },
  USAGE: { status: 2, message: '{reason}' },
  FILE_UNREADABLE: { status: 2, message: 'Cannot read {path}: {reason}' },
  FILE_UNWRITABLE: { status: 1, message: 'Cannot write {path}: {reason}' },
  KEY_FILE_EXISTS: { status: 1, message: '{path} already exists; refusing to overwrite a key' },
  TRANSCRIPT_EMPTY: { status: 2, message: '{path} is empty, not a Parley transcript' },
  NOT_A_TRANSCRIPT: { status: 2, message: '{path} is not a Parley transcript: {reason}' },
  NODE_NOT_FOUND: {
    status: 2,
    message:
      'No Parley node at {path}: no parley.json and no database (give --data-dir, --config or --database-url)',
  },
  NODE_RUNNING: {
    status: 2,
    message:
      'The node is running (listening on {address}) and its embedded database admits one process at a time: stop it first',
  },
  CHANNEL_NOT_IN_LEDGER: {
    status: 2,
    message: 'Channel {channel} not found in this node’s ledger',
  },
  AUDIT_CHAIN_BROKEN: {
    status: 1,
    message: 'The audit log is broken at seq {seq} ({reason}); rows before it verify',
  },
  PORT_IN_USE: {
    status: 1,
    message:
      'Cannot listen on {address}: another process listens there (another node?); stop it or change listen.port in {path}',
  },
  AGREEMENT_INVALID: {
    status: 1,
    message: '{path} does not verify at {where}: {reason}',
  },
  STIX_TRANSCRIPT_UNVERIFIED: {
    status: 1,
    message: '{path} does not verify ({count} failure(s), the first {first}); nothing exported',
  },
  STIX_NOTICE_NOT_IN_TRANSCRIPT: {
    status: 2,
    message: 'No notice {notice} in {path}',
  },
  STIX_KIND_NOT_EXPORTED: {
    status: 2,
    message: 'Notice {notice} is of kind {kind}; only incident notices are exported as STIX',
  },
  RECEIPT_LINE_INVALID: { status: 1, message: 'Not a signed consent record: {reason}' },
  RECEIPT_KEY_UNKNOWN: {
    status: 1,
    message:
      'Signed with key {key}, which the given key or descriptor does not hold (at that time)',
  },
  RECEIPT_SIGNATURE_INVALID: {
    status: 1,
    message: 'The signature of key {key} does not verify: the record was changed',
  },
  RECEIPT_SEQ_GAP: {
    status: 1,
    message: 'Receipt seq {seq} where {expected} was next: a receipt was removed, added or moved',
  },
  RECEIPT_CHAIN_BROKEN: {
    status: 1,
    message: 'Receipt seq {seq} does not name the hash of the receipt before it',
  },
  RECEIPT_HEAD_MISMATCH: {
    status: 1,
    message: 'The signed head names seq {seq}, but the file’s last receipt is seq {last}',
  },
  RECEIPT_HEAD_MISSING: {
    status: 1,
    message: 'No signed head at the end: the export was cut short',
  },
} as const satisfies Record<string, { status: number; message: string }>

export type CliErrorCode = keyof typeof cliErrors

/** An error with a stable code; `status` is the process exit code. */
export class CliError extends CodedError<CliErrorCode> {
  constructor(code: CliErrorCode, details: ErrorDetails = {}) {
    super(cliErrors, code, details)
    this.name = 'CliError'
  }
}
