import { type Static, Type } from 'typebox'
import { Compile, type Validator } from 'typebox/compile'
import type { TLocalizedValidationError } from 'typebox/error'
import { utf8 } from './bytes.ts'
import { canonicalBytes, canonicalJson } from './canonical-json.ts'
import { sha256Hex } from './crypto.ts'
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
import { domains, eventId, signObject } from './signing.ts'

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
  assertIntegerJson(value)
  return parseSignedAt(value, '', true)
}

/** Checks an unsigned event strictly, as {@link parseSignedEvent} does; returns it typed. */
export function parseEvent(value: unknown): Event {
  assertIntegerJson(value)
  return parseEventAt(value, '', true)
}

function assertIntegerJson(value: unknown): void {
  try {
    canonicalJson(value)
  } catch (error) {
    if (isProtocolError(error, 'JSON_VALUE_INVALID')) {
      throw malformed(`${error.details.path}: ${error.details.reason}`)
    }
    throw error
  }
}

function parseSignedAt(
  value: unknown,
  path: string,
  outermost: boolean,
): { event: Event; sig: string } {
  if (!signedShape.Check(value)) {
    throw malformed(describeSchemaError(signedShape.Errors(value), path))
  }
  const { event, sig } = value as { event: unknown; sig: string }
  return { event: parseEventAt(event, `${path}/event`, outermost), sig }
}

// A forwarded event is inside its forward, so only the outermost event needs the size check.
function parseEventAt(value: unknown, path: string, outermost: boolean): Event {
  const size = outermost ? eventSize(value) : 0
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
      parseSignedAt(item, `${path}/body/items/${i}`, false)
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
  if (signer.keyId.split('#', 1)[0] !== fields.author) {
    throw new ProtocolError('KEY_UNKNOWN', { key: signer.keyId, author: fields.author })
  }
  const event = parseEvent(withoutUndefined({ v: 1, ...fields, key: signer.keyId }))
  const [sig, id] = await Promise.all([
    signObject(domains.event, event, signer.privateKey),
    eventId(event),
  ])
  return { event, sig, id }
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

/**
 * The hash members adopt in `draft.adopt`: lowercase hex SHA-256 of the JCS of the accepted
 * text, given as `[{ paragraph, text }, ...]` in document order.
 * @example await draftContentHash([{ paragraph: 'p1', text: 'The Parties shall…' }])
 */
export function draftContentHash(
  accepted: readonly { readonly paragraph: string; readonly text: string }[],
): Promise<string> {
  return sha256Hex(canonicalBytes(accepted.map(({ paragraph, text }) => ({ paragraph, text }))))
}
