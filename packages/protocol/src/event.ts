import { type Static, Type } from 'typebox'
import { Compile, type Validator } from 'typebox/compile'
import type { TLocalizedValidationError } from 'typebox/error'
import { utf8 } from './bytes.ts'
import { canonicalBytes, canonicalJson } from './canonical-json.ts'
import { domainMessage, sha256Hex, sign } from './crypto.ts'
import { isProtocolError, ProtocolError } from './errors.ts'
import {
  EVENT_TYPES,
  type Event,
  EventEnvelopeSchema,
  type EventType,
  eventSchemas,
  MAX_EVENT_BYTES,
  SignatureSchema,
} from './schemas.ts'
import { domains } from './signing.ts'

// Compiled once: validation is on the hot path of every push and every transcript line.
const signedShape = Compile(
  Type.Object({ event: Type.Object({}), sig: SignatureSchema }, { additionalProperties: false }),
)
const envelopeShape = Compile(EventEnvelopeSchema)
const eventShapes = Object.fromEntries(
  EVENT_TYPES.map((type) => [type, Compile(eventSchemas[type])]),
) as Record<EventType, Validator>

const knownTypes: ReadonlySet<string> = new Set(EVENT_TYPES)

/** Whether a string names a v1 event type. */
export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && knownTypes.has(type)
}

/**
 * A one-line account of the first schema violation, with its JSON Pointer path.
 * @example describeSchemaError(errors) // '/body/urgency: must be one of "routine", "priority", "flash"'
 */
export function describeSchemaError(
  errors: readonly TLocalizedValidationError[],
  prefix = '',
): string {
  // A closed object reports an extra field twice; the additionalProperties error names it.
  const first = errors.find((error) => error.keyword !== 'boolean') ?? errors[0]
  if (first === undefined) return `${prefix || '/'}: invalid`
  const path = `${prefix}${first.instancePath}` || '/'
  if (first.keyword === 'additionalProperties') {
    const names = first.params.additionalProperties.map((name) => JSON.stringify(name)).join(', ')
    return `${path}: unknown field ${names}`
  }
  // A union reports each branch first; the sum of them reads better than the first alone.
  if (first.schemaPath.includes('/anyOf/')) {
    const branches = errors
      .filter(
        (error) =>
          error.instancePath === first.instancePath && error.schemaPath.includes('/anyOf/'),
      )
      .map((error) => error.message)
    return `${path}: ${[...new Set(branches)].join(' or ')}`
  }
  if (first.keyword === 'enum') {
    const allowed = first.params.allowedValues.map((value) => JSON.stringify(value)).join(', ')
    return `${path}: must be one of ${allowed}`
  }
  return `${path}: ${first.message}`
}

function malformed(reason: string): ProtocolError {
  return new ProtocolError('EVENT_MALFORMED', { reason })
}

/** Canonical size of an event in bytes, the quantity that {@link MAX_EVENT_BYTES} limits. */
export function eventSize(event: unknown): number {
  return utf8(canonicalJson(event)).length
}

/**
 * Parses a wire value `{ event, sig }` strictly (DESIGN §4.4 step 1). Throws a ProtocolError:
 * `NUMBER_NOT_INTEGER` / `NUMBER_OUT_OF_RANGE` for any non-integer or unsafe number,
 * `EVENT_MALFORMED` (the reason gives the path of the first error), `EVENT_TOO_LARGE`,
 * `TYPE_UNKNOWN`. Forwarded events inside a `forward` body are parsed the same way.
 * @example const { event, sig } = parseSignedEvent(JSON.parse(line))
 */
export function parseSignedEvent(value: unknown): { event: Event; sig: string } {
  const { event, sig } = parseCanonicalSignedEvent(value)
  return { event, sig }
}

/** A signed event parsed strictly, with its canonical forms (computed once, for every use). */
export interface CanonicalSignedEvent {
  readonly event: Event
  readonly sig: string
  /** `JCS({ event, sig })`: the form a node stores, sends and exports. */
  readonly raw: string
  /** `UTF-8(JCS(event))`: what the id hashes and the signature covers, after the domain line. */
  readonly bytes: Uint8Array
}

const SIGNED_PREFIX = '{"event":'

/**
 * {@link parseSignedEvent}, keeping the canonical text it had to compute anyway: the one
 * canonicalization gives the size, the id, the signed message and the stored form.
 * @example const { event, bytes, raw } = parseCanonicalSignedEvent(JSON.parse(line))
 */
export function parseCanonicalSignedEvent(value: unknown): CanonicalSignedEvent {
  const raw = canonicalText(value)
  if (!signedShape.Check(value)) throw malformed(describeSchemaError(signedShape.Errors(value)))
  const { event, sig } = value as { event: unknown; sig: string }
  // JCS sorts members ("event" < "sig") and writes a base64url string without escapes, so
  // JCS(event) is exactly what lies between '{"event":' and ',"sig":"<sig>"}'.
  const text = raw.slice(SIGNED_PREFIX.length, raw.length - sig.length - ',"sig":""}'.length)
  const bytes = utf8(text)
  return { event: parseEventAt(event, '/event', bytes.length), sig, raw, bytes }
}

/** Checks an unsigned event strictly, as {@link parseSignedEvent} does; returns it typed. */
export function parseEvent(value: unknown): Event {
  return parseCanonicalEvent(value).event
}

/** {@link parseEvent}, keeping `UTF-8(JCS(event))`, the bytes its id and signature cover. */
export function parseCanonicalEvent(value: unknown): { event: Event; bytes: Uint8Array } {
  const { event, bytes } = parseEventWithText(value)
  return { event, bytes }
}

function parseEventWithText(value: unknown): { event: Event; text: string; bytes: Uint8Array } {
  const text = canonicalText(value)
  const bytes = utf8(text)
  return { event: parseEventAt(value, '', bytes.length), text, bytes }
}

/** JCS of a wire value, the integer-only rule broken reported as a malformed event. */
function canonicalText(value: unknown): string {
  try {
    return canonicalJson(value)
  } catch (error) {
    if (isProtocolError(error, 'JSON_VALUE_INVALID')) {
      throw malformed(`${error.details.path}: ${error.details.reason}`)
    }
    throw error
  }
}

function parseSignedAt(value: unknown, path: string): { event: Event; sig: string } {
  if (!signedShape.Check(value)) {
    throw malformed(describeSchemaError(signedShape.Errors(value), path))
  }
  const { event, sig } = value as { event: unknown; sig: string }
  return { event: parseEventAt(event, `${path}/event`), sig }
}

// A forwarded event is inside its forward, so only the outermost event has a size to check.
function parseEventAt(value: unknown, path: string, size = 0): Event {
  if (size > MAX_EVENT_BYTES) {
    throw new ProtocolError('EVENT_TOO_LARGE', { size, limit: MAX_EVENT_BYTES })
  }
  if (!envelopeShape.Check(value)) {
    throw malformed(describeSchemaError(envelopeShape.Errors(value), path))
  }
  const envelope = value as Static<typeof EventEnvelopeSchema>
  if (!isEventType(envelope.type)) throw new ProtocolError('TYPE_UNKNOWN', { type: envelope.type })
  const shape = eventShapes[envelope.type]
  if (!shape.Check(value)) throw malformed(describeSchemaError(shape.Errors(value), path))
  if (Object.hasOwn(envelope.heads, envelope.author)) {
    throw malformed(`${path}/heads/${envelope.author}: an author does not list its own head`)
  }
  const event = value as Event
  if (event.type === 'forward') {
    event.body.items.forEach((item, i) => {
      parseSignedAt(item, `${path}/body/items/${i}`)
    })
  }
  return event
}

/** The fields of an event that its author chooses; `v` and `key` are filled in on signing. */
export type EventFields = DistributiveOmit<Event, 'v' | 'key'>
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** A key that signs on behalf of its party. */
export interface Signer {
  readonly keyId: string
  readonly privateKey: CryptoKey
}

/**
 * Builds, checks and signs an event (DESIGN §4.3). Properties set to `undefined` are left out,
 * as JSON would. Throws the {@link parseEvent} errors for an event that would be rejected, and
 * `KEY_UNKNOWN` when the signer's key is not the author's.
 * @example const { event, sig, id } = await createEvent({ channel, author: 'usa', seq: 1, … }, signer)
 */
export async function createEvent(
  fields: EventFields,
  signer: Signer,
): Promise<{ event: Event; sig: string; id: string }> {
  const { event, sig, id } = await signPreparedEvent(
    await prepareEvent(fields, signer.keyId),
    signer,
  )
  return { event, sig, id }
}

/**
 * An event built and checked but not signed yet. Its id is already known, since the id does not
 * cover the signature: a node can chain several events first and sign them all at once.
 */
export interface PreparedEvent {
  readonly event: Event
  readonly id: string
  /** `"parley/event/v1\n" || UTF-8(JCS(event))`: hashed for the id, signed for the sig. */
  readonly message: Uint8Array
  /** `JCS(event)`. */
  readonly canonical: string
}

/**
 * Builds and checks an event as {@link createEvent} does, without signing it. Throws the
 * {@link parseEvent} errors, and `KEY_UNKNOWN` when `keyId` is not a key of the author.
 */
export async function prepareEvent(
  fields: EventFields,
  keyId: string,
  // A host with a synchronous SHA-256 passes it: a long chain of drafts then needs no await per id.
  digestHex: (bytes: Uint8Array) => string | Promise<string> = sha256Hex,
): Promise<PreparedEvent> {
  if (keyId.split('#', 1)[0] !== fields.author) {
    throw new ProtocolError('KEY_UNKNOWN', { key: keyId, author: fields.author })
  }
  const { event, text, bytes } = parseEventWithText(
    withoutUndefined({ v: 1, ...fields, key: keyId }),
  )
  const message = domainMessage(domains.event, bytes)
  return { event, id: await digestHex(message), message, canonical: text }
}

/** Signs a {@link prepareEvent} result; also gives the canonical `{ event, sig }` text. */
export async function signPreparedEvent(
  prepared: PreparedEvent,
  signer: Signer,
): Promise<{ event: Event; sig: string; id: string; raw: string }> {
  if (signer.keyId !== prepared.event.key) {
    throw new ProtocolError('KEY_UNKNOWN', { key: signer.keyId, author: prepared.event.author })
  }
  const sig = await sign(signer.privateKey, prepared.message)
  // JCS({ event, sig }): members in order, and a base64url string needs no escaping.
  const raw = `${SIGNED_PREFIX}${prepared.canonical},"sig":"${sig}"}`
  return { event: prepared.event, sig, id: prepared.id, raw }
}

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [key, member] of Object.entries(value)) {
    if (member !== undefined) out[key] = withoutUndefined(member)
  }
  return out
}

/** One paragraph of an agreed text, as {@link draftContentHash} takes it. */
export interface AgreedParagraph {
  readonly paragraph: string
  readonly text: string
  /** The same paragraph in other languages; hashed with it when present. */
  readonly translations?: Readonly<Record<string, string>>
}

/**
 * The hash members adopt in `draft.adopt`: lowercase hex SHA-256 of the JCS of the accepted
 * text, given as `[{ paragraph, text, translations? }, ...]` in document order. Translations
 * count only when there are some, so a text in one language hashes as it always did.
 * @example await draftContentHash([{ paragraph: 'p1', text: 'The Parties shall…' }])
 */
export function draftContentHash(accepted: readonly AgreedParagraph[]): Promise<string> {
  return sha256Hex(
    canonicalBytes(
      accepted.map(({ paragraph, text, translations }) =>
        translations === undefined || Object.keys(translations).length === 0
          ? { paragraph, text }
          : { paragraph, text, translations },
      ),
    ),
  )
}
