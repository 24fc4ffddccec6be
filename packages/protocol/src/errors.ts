/**
 * The protocol's registry of stable error codes. Every code has a message template and the
 * HTTP status a node answers with when the code reaches the API. Codes never change meaning;
 * `docs/errors.md` documents each one (a test checks that it does).
 */
export const protocolErrors = {
  JSON_INVALID: { status: 400, message: 'Not valid JSON: {reason}' },
  UTF8_INVALID: { status: 400, message: 'Not valid UTF-8' },
  NUMBER_NOT_INTEGER: {
    status: 400,
    message: 'Signed JSON allows integers only; found {value} at {path}',
  },
  NUMBER_OUT_OF_RANGE: {
    status: 400,
    message: 'Integer {value} at {path} is outside ±(2^53−1)',
  },
  JSON_VALUE_INVALID: { status: 400, message: 'Value at {path} cannot be canonicalized: {reason}' },
  JSON_DUPLICATE_NAME: {
    status: 400,
    message: 'The object at {path} has the member name {name} more than once',
  },
  STRING_HAS_NUL: { status: 400, message: 'The string at {path} contains U+0000' },
  ENCODING_INVALID: { status: 400, message: 'Not valid {encoding}: {reason}' },
  KEY_INVALID: { status: 400, message: 'Not a valid Ed25519 key: {reason}' },
  EVENT_MALFORMED: { status: 400, message: 'Event does not match the protocol schema: {reason}' },
  TYPE_UNKNOWN: { status: 400, message: 'Unknown event type {type}' },
  EVENT_TOO_LARGE: {
    status: 413,
    message: 'Event is {size} bytes canonical; the limit is {limit}',
  },
  KEY_UNKNOWN: { status: 400, message: 'Key {key} does not belong to {author}' },
  KEY_NOT_VALID_AT_TIME: { status: 400, message: 'Key {key} was not valid at {time}' },
  SIGNATURE_INVALID: { status: 400, message: 'Signature does not verify with key {key}' },
  CHAIN_GAP: { status: 409, message: 'Expected seq {expected} from {author}, got {seq}' },
  CHAIN_PREV_MISMATCH: {
    status: 409,
    message: 'prev of {author} seq {seq} does not match the stored chain',
  },
  EQUIVOCATION: {
    status: 409,
    message: '{author} signed two different events with seq {seq} in channel {channel}',
  },
  TIME_INVALID: { status: 400, message: 'Event time {time} is {reason}' },
  NOT_A_MEMBER: { status: 403, message: '{author} is not a member of channel {channel}' },
  FORBIDDEN_FOR_TYPE: { status: 403, message: '{author} may not send {type}: {reason}' },
  HEADS_CONFLICT: {
    status: 409,
    message: 'heads entry for {party} (seq {seq}) does not match the receiver’s chain',
  },
  HEADS_INVALID: { status: 400, message: 'heads entry for {party} is not allowed: {reason}' },
  CHANNEL_UNKNOWN: {
    status: 409,
    message: 'Channel {channel} is not known here yet; only channel.create can open it',
  },
  EVENT_REFERENCE_UNKNOWN: {
    status: 409,
    message: '{type} refers to {ref}, which this node does not hold yet',
  },
  RECEIPT_INVALID: { status: 400, message: 'Receipt does not verify: {reason}' },
  EQUIVOCATION_PROOF_INVALID: {
    status: 400,
    message: 'Equivocation proof does not hold: {reason}',
  },
  TRANSCRIPT_MALFORMED: { status: 400, message: 'Transcript line {line} is malformed: {reason}' },
  TRANSCRIPT_TRUNCATED: { status: 400, message: 'Transcript ends in the middle of line {line}' },
  MERKLE_PROOF_INVALID: { status: 400, message: 'Merkle proof does not verify: {reason}' },
  TRANSCRIPT_CHANNEL_MISMATCH: {
    status: 400,
    message: 'Line {line} belongs to channel {actual}, not to the transcript’s {channel}',
  },
  TRANSCRIPT_DUPLICATE_EVENT: {
    status: 400,
    message: 'Event {eventId} on line {line} already appears on line {first}',
  },
  TRANSCRIPT_DUPLICATE_LINE: { status: 400, message: 'Line {line} repeats line {first}' },
  RECEIPT_EVENT_MISSING: {
    status: 400,
    message: 'Receipt by {by} covers event {eventId}, which the transcript does not hold',
  },
  HEADS_EVENT_MISSING: {
    status: 400,
    message: 'heads entry for {party} names seq {seq}, which the transcript does not hold',
  },
  EQUIVOCATION_UNDECLARED: {
    status: 400,
    message:
      '{author} signed two different events with seq {seq}, and no equivocation line proves it',
  },
  DESCRIPTOR_INVALID: { status: 400, message: 'Node descriptor is not valid: {reason}' },
  PARTY_NOT_IN_DESCRIPTOR: { status: 404, message: 'The node descriptor lists no party {party}' },
  FINGERPRINT_MISMATCH: {
    status: 400,
    message: 'Fingerprint of {party} is {actual}, not the expected {expected}',
  },
  KEY_ROTATION_REJECTED: {
    status: 403,
    message: 'New key entry of {party} is not accepted: {reason}',
  },
} as const satisfies Record<string, { status: number; message: string }>

export type ProtocolErrorCode = keyof typeof protocolErrors

/** Values substituted into a message template, and returned as `details`. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | null | undefined>>

/** A package's registry of stable codes: each code's status (HTTP, or exit code) and message template. */
export type ErrorRegistry = Readonly<
  Record<string, { readonly status: number; readonly message: string }>
>

/**
 * An error with a stable code from a registry. Each package subclasses it once, for its own
 * registry, so every error anywhere in Parley carries `code`, `status` and `details` alike.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code
  readonly status: number
  readonly details: ErrorDetails

  constructor(registry: ErrorRegistry, code: Code, details: ErrorDetails = {}) {
    const entry = registry[code]!
    super(formatMessage(entry.message, details))
    this.code = code
    this.status = entry.status
    this.details = details
  }
}

/** An error with a stable code from {@link protocolErrors}. */
export class ProtocolError extends CodedError<ProtocolErrorCode> {
  constructor(code: ProtocolErrorCode, details: ErrorDetails = {}) {
    super(protocolErrors, code, details)
    this.name = 'ProtocolError'
  }
}

/** Fills `{name}` placeholders of a template from `details`; unknown names stay visible. */
export function formatMessage(template: string, details: ErrorDetails): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    details[name] === undefined ? whole : String(details[name]),
  )
}

/** Narrows an unknown thrown value to a ProtocolError, optionally of one code. */
export function isProtocolError(error: unknown, code?: ProtocolErrorCode): error is ProtocolError {
  return error instanceof ProtocolError && (code === undefined || error.code === code)
}
