import Type from 'typebox'
import { Value } from 'typebox/value'
import { fingerprint, normalizeFingerprint } from './crypto.ts'
import { ProtocolError } from './errors.ts'
import { describeSchemaError } from './event.ts'
import {
  KeyIdSchema,
  PartyIdSchema,
  type PartyKey,
  PartyKeySchema,
  SignatureSchema,
} from './schemas.ts'
import { domains, signObject, verifyObject } from './signing.ts'

/** The `format` of a node descriptor (DESIGN §4.6). */
export const DESCRIPTOR_FORMAT = 'parley-node/1'

/** Protocol versions this implementation speaks. */
export const PROTOCOL_VERSIONS = [1] as const

/** A party as its own key signs it into a descriptor. */
export const PartySchema = Type.Object(
  {
    id: PartyIdSchema,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    keys: Type.Array(PartyKeySchema, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
)
export type Party = Type.Static<typeof PartySchema>

/** A party and the signature of one of its own keys over it. */
export const PartyEntrySchema = Type.Object(
  {
    party: PartySchema,
    key: KeyIdSchema,
    sig: SignatureSchema,
  },
  { additionalProperties: false },
)
export type PartyEntry = Type.Static<typeof PartyEntrySchema>

/** `GET /.well-known/parley`: who a node hosts and with which keys (DESIGN §4.6). */
export const NodeDescriptorSchema = Type.Object(
  {
    format: Type.Literal(DESCRIPTOR_FORMAT),
    node: Type.String({ minLength: 1, maxLength: 200 }),
    federation: Type.String({ minLength: 1, maxLength: 2000 }),
    protocol: Type.Array(Type.Integer({ minimum: 1, maximum: 1_000_000 }), {
      minItems: 1,
      maxItems: 100,
    }),
    parties: Type.Array(PartyEntrySchema, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
)
export type NodeDescriptor = Type.Static<typeof NodeDescriptorSchema>

/** Keys already pinned, by party id: the only keys a node trusts. */
export type PinnedKeys = Readonly<Record<string, readonly PartyKey[]>>

/** Whether a key may sign at `time` (ms): `validFrom ≤ time < validUntil`. */
export function isKeyValidAt(key: PartyKey, time: number): boolean {
  return key.validFrom <= time && (key.validUntil === null || time < key.validUntil)
}

/** The number n of a key id `<party>#<n>`. */
export function keyNumber(keyId: string): number {
  return Number(keyId.slice(keyId.lastIndexOf('#') + 1))
}

/** The party a key id `<party>#<n>` belongs to. */
export function keyParty(keyId: string): string {
  const hash = keyId.lastIndexOf('#')
  // Stryker disable next-line ConditionalExpression,EqualityOperator: every key id the schemas let through has a '#' after its party
  return hash < 0 ? keyId : keyId.slice(0, hash)
}

/**
 * Signs a party into a descriptor entry with one of its own keys.
 * @example await signPartyEntry(party, 'usa#1', privateKey) // { party, key: 'usa#1', sig: '…' }
 */
export async function signPartyEntry(
  party: Party,
  keyId: string,
  privateKey: CryptoKey,
): Promise<PartyEntry> {
  if (!party.keys.some((key) => key.id === keyId)) {
    throw new ProtocolError('DESCRIPTOR_INVALID', {
      reason: `${keyId} is not one of the keys of ${party.id}`,
    })
  }
  return { party, key: keyId, sig: await signObject(domains.descriptor, party, privateKey) }
}

/** Assembles a descriptor for a node from its signed party entries. */
export function createDescriptor(
  node: string,
  federation: string,
  parties: readonly PartyEntry[],
): NodeDescriptor {
  return {
    format: DESCRIPTOR_FORMAT,
    node,
    federation,
    protocol: [...PROTOCOL_VERSIONS],
    parties: [...parties],
  }
}

/**
 * Checks a descriptor received from the network: its shape, that each party entry is signed by
 * a key of that party itself, and, for a party in `trust.pinned`, that the entry is a rotation
 * that party's pinned keys authorize (see {@link acceptRotation}). Throws `DESCRIPTOR_INVALID`
 * or `KEY_ROTATION_REJECTED`.
 */
export async function verifyDescriptor(
  value: unknown,
  trust?: { readonly pinned: PinnedKeys; readonly now: number },
): Promise<NodeDescriptor> {
  if (!Value.Check(NodeDescriptorSchema, value)) {
    throw new ProtocolError('DESCRIPTOR_INVALID', {
      reason: describeSchemaError(Value.Errors(NodeDescriptorSchema, value)),
    })
  }
  const descriptor = value as NodeDescriptor
  assertFederationUrlShape(descriptor.federation)
  if (!descriptor.protocol.some((version) => version === 1)) {
    throw new ProtocolError('DESCRIPTOR_INVALID', {
      reason: `protocol versions ${descriptor.protocol.join(', ')} do not include 1`,
    })
  }
  const seen = new Set<string>()
  for (const entry of descriptor.parties) {
    if (seen.has(entry.party.id)) {
      throw new ProtocolError('DESCRIPTOR_INVALID', { reason: `party ${entry.party.id} twice` })
    }
    seen.add(entry.party.id)
    await assertSelfSigned(entry)
    const pinned = trust && Object.hasOwn(trust.pinned, entry.party.id)
    if (trust && pinned) await acceptRotation(trust.pinned[entry.party.id]!, entry, trust.now)
  }
  return descriptor
}

function assertFederationUrlShape(federation: string): void {
  let url: URL
  try {
    url = new URL(federation)
  } catch {
    throw new ProtocolError('DESCRIPTOR_INVALID', { reason: 'federation is not an absolute URL' })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ProtocolError('DESCRIPTOR_INVALID', {
      reason: `federation URL scheme ${url.protocol} is not http(s)`,
    })
  }
}

async function assertSelfSigned(entry: PartyEntry): Promise<void> {
  const { party } = entry
  const invalid = (reason: string) =>
    new ProtocolError('DESCRIPTOR_INVALID', { reason: `party ${party.id}: ${reason}` })
  const ids = new Set<string>()
  for (const key of party.keys) {
    if (keyParty(key.id) !== party.id) throw invalid(`key ${key.id} belongs to another party`)
    if (ids.has(key.id)) throw invalid(`key ${key.id} listed twice`)
    ids.add(key.id)
    if (key.validUntil !== null && key.validUntil <= key.validFrom) {
      throw invalid(`key ${key.id} expires before it starts`)
    }
  }
  const signer = party.keys.find((key) => key.id === entry.key)
  if (signer === undefined) throw invalid(`signed by ${entry.key}, which is not one of its keys`)
  if (!(await verifyObject(domains.descriptor, party, entry.sig, signer.publicKey))) {
    throw invalid(`signature does not verify with ${entry.key}`)
  }
}

/**
 * A party's fingerprint: that of its lowest-numbered key valid at `now` (ms), in groups of
 * four hex digits. Throws `DESCRIPTOR_INVALID` when no key is valid then.
 */
export async function partyFingerprint(keys: readonly PartyKey[], now: number): Promise<string> {
  const valid = keys.filter((key) => isKeyValidAt(key, now))
  if (valid.length === 0) {
    throw new ProtocolError('DESCRIPTOR_INVALID', { reason: `no key is valid at ${now}` })
  }
  // Stryker disable next-line EqualityOperator: a party's key ids are distinct (assertSelfSigned), so no two numbers tie
  const lowest = valid.reduce((a, b) => (keyNumber(b.id) < keyNumber(a.id) ? b : a))
  return fingerprint(lowest.publicKey)
}

/**
 * The party `party` of a verified descriptor, once its fingerprint at `now` equals the one the
 * operator got out of band (with or without spaces). Throws `PARTY_NOT_IN_DESCRIPTOR` or
 * `FINGERPRINT_MISMATCH` naming both fingerprints.
 */
export async function checkPin(
  descriptor: NodeDescriptor,
  party: string,
  expectedFingerprint: string,
  now: number,
): Promise<Party> {
  const entry = descriptor.parties.find((candidate) => candidate.party.id === party)
  if (entry === undefined) throw new ProtocolError('PARTY_NOT_IN_DESCRIPTOR', { party })
  const actual = await partyFingerprint(entry.party.keys, now)
  const expected = normalizeFingerprint(expectedFingerprint)
  if (actual !== expected) {
    throw new ProtocolError('FINGERPRINT_MISMATCH', { party, expected, actual })
  }
  return entry.party
}

/**
 * Applies a new descriptor entry of an already pinned party, returning the keys to pin from
 * now on. The entry must be signed by a pinned key valid at `now` (checked with the pinned
 * public key, never the one the entry claims). A pinned key keeps its public key and
 * `validFrom`; its `validUntil` may only be set, not earlier than `now`, so a rotation can retire
 * a key but never reopen one or invalidate what it already signed. Pinned keys the entry no
 * longer lists stay pinned, since old events still need them. Throws `KEY_ROTATION_REJECTED`.
 */
export async function acceptRotation(
  pinned: readonly PartyKey[],
  entry: PartyEntry,
  now: number,
): Promise<readonly PartyKey[]> {
  const party = entry.party.id
  const reject = (reason: string) => new ProtocolError('KEY_ROTATION_REJECTED', { party, reason })
  const signer = pinned.find((key) => key.id === entry.key)
  if (signer === undefined) throw reject(`signed by ${entry.key}, which is not pinned`)
  if (!isKeyValidAt(signer, now)) throw reject(`signing key ${entry.key} is not valid at ${now}`)
  if (!(await verifyObject(domains.descriptor, entry.party, entry.sig, signer.publicKey))) {
    throw reject(`signature does not verify with the pinned ${entry.key}`)
  }
  const next = new Map(pinned.map((key) => [key.id, key]))
  for (const key of entry.party.keys) {
    const old = next.get(key.id)
    if (old !== undefined) {
      if (old.publicKey !== key.publicKey) throw reject(`${key.id} changes its public key`)
      if (old.validFrom !== key.validFrom) throw reject(`${key.id} changes its validFrom`)
      if (old.validUntil !== key.validUntil) {
        if (old.validUntil !== null) throw reject(`${key.id} changes its validUntil`)
        // Stryker disable next-line ConditionalExpression: old.validUntil is null here, so key.validUntil, which differs, is not
        if (key.validUntil !== null && key.validUntil < now) {
          throw reject(`${key.id} would be retired in the past`)
        }
      }
    }
    next.set(key.id, key)
  }
  return [...next.values()].sort((a, b) => keyNumber(a.id) - keyNumber(b.id))
}
