import { domainMessage, sha256Hex, verify } from './crypto.ts'
import {
  type ErrorDetails,
  isProtocolError,
  ProtocolError,
  type ProtocolErrorCode,
} from './errors.ts'
import { type CanonicalSignedEvent, parseCanonicalSignedEvent } from './event.ts'
import type { Event, EventOf, EventType, PartyKey } from './schemas.ts'
import { domains } from './signing.ts'

/** How far ahead of the receiver's clock an event's time may be (DESIGN §4.4 step 5). */
export const MAX_CLOCK_SKEW_MS = 300_000

/** What a receiver knows about a channel, taken from its `channel.create` (see {@link channelFactsOf}). */
export interface ChannelFacts {
  id: string
  creator: string
  genesisId: string
  members: readonly string[]
  observers: readonly string[]
  rapporteur?: string
}

/** The latest contiguous stored event of an author in a channel. */
export interface ChainHead {
  seq: number
  id: string
  time: number
}

/** A stored event, as far as the authorization rules need it. */
export interface StoredEventFacts {
  author: string
  type: string
  channel: string
  body: unknown
  /**
   * The stored event's seq. When given, a reference to this event must be covered by the
   * referring event's `heads`, which makes acceptance the same on every node; provide it.
   */
  seq?: number
}

/** The receiver's state for one channel, as the validation rules read it. */
export interface ReceiverView {
  /** Receiver clock, ms. */
  now: number
  /** Pinned keys of a party ([] when unknown). */
  keys(party: string): readonly PartyKey[]
  /** undefined: the channel is unknown here (only channel.create can pass). */
  channel: ChannelFacts | undefined
  /** Latest contiguous stored event of the author in this channel. */
  head(author: string): ChainHead | undefined
  /** Stored id at (author, seq) in this channel. */
  idAt(author: string, seq: number): string | undefined
  /** A stored event by id (for notice, red line and draft rules). */
  event(id: string): StoredEventFacts | undefined
  /** Parties hosted by the receiver. */
  hosted: readonly string[]
}

/** An event that passed steps 1–3: well formed, signed by a pinned key of its author. */
export type Checked = { event: Event; sig: string; id: string }

/** A log the receiver should pull, from `fromSeq` on. */
export interface Need {
  channel: string
  author: string
  fromSeq: number
}

/** A `heads` entry ahead of what the receiver holds: the node can pull up to `seq`. */
export interface Behind {
  author: string
  seq: number
}

/** Why an event was rejected: a stable code, its message, and what the receiver can do. */
export type Rejection = {
  ok: false
  code: ProtocolErrorCode
  message: string
  details: ErrorDetails
  id?: string
  need?: Need
  conflict?: { id: string }
}

/**
 * Result of steps 4–7. `duplicate`: the receiver already holds this very event (idempotent;
 * receipt it again, store nothing).
 */
export type Placement = { ok: true; duplicate: boolean; behind: Behind[] } | Rejection

/** Result of the whole §4.4 validation; `raw` is the canonical `{ event, sig }` text. */
export type Validation =
  | {
      ok: true
      event: Event
      sig: string
      id: string
      raw: string
      duplicate: boolean
      behind: Behind[]
    }
  | Rejection

/** An event that passed steps 1–3, with its canonical `{ event, sig }` text. */
export type Authenticated = Checked & { raw: string }

/**
 * The pinned key `keyId` of `party`, valid at `time` (validFrom ≤ time < validUntil).
 * Throws `KEY_UNKNOWN` or `KEY_NOT_VALID_AT_TIME`.
 */
export function pinnedKeyAt(
  keys: readonly PartyKey[],
  party: string,
  keyId: string,
  time: number,
): PartyKey {
  const key = keyId.split('#', 1)[0] === party ? keys.find((k) => k.id === keyId) : undefined
  if (key === undefined) throw new ProtocolError('KEY_UNKNOWN', { key: keyId, author: party })
  if (time < key.validFrom || (key.validUntil !== null && time >= key.validUntil)) {
    throw new ProtocolError('KEY_NOT_VALID_AT_TIME', { key: keyId, time })
  }
  return key
}

/**
 * DESIGN §4.4 steps 1–3: shape, key, signature. Throws a ProtocolError with the first failure.
 * @example const { event, id } = await checkSignedEvent(JSON.parse(body), (party) => pinned[party] ?? [])
 */
export async function checkSignedEvent(
  signed: unknown,
  keys: (party: string) => readonly PartyKey[],
): Promise<Checked> {
  const parsed = parseCanonicalSignedEvent(signed)
  const message = domainMessage(domains.event, parsed.bytes)
  const [id] = await Promise.all([sha256Hex(message), assertSignedByAuthor(parsed, message, keys)])
  return { event: parsed.event, sig: parsed.sig, id }
}

async function assertSignedByAuthor(
  { event, sig }: CanonicalSignedEvent,
  message: Uint8Array,
  keys: (party: string) => readonly PartyKey[],
): Promise<void> {
  const key = pinnedKeyAt(keys(event.author), event.author, event.key, event.time)
  if (!(await verify(key.publicKey, sig, message))) {
    throw new ProtocolError('SIGNATURE_INVALID', { key: event.key })
  }
}

/**
 * DESIGN §4.4 steps 1–3 (shape, key, signature), never throwing for bad input: what a receiver
 * can check before it looks at its own state, so many events can be checked at once.
 * @example const checked = await authenticateEvent(JSON.parse(body), (party) => pinned[party] ?? [])
 */
export async function authenticateEvent(
  signed: unknown,
  keys: (party: string) => readonly PartyKey[],
): Promise<({ ok: true } & Authenticated) | Rejection> {
  let parsed: CanonicalSignedEvent
  try {
    parsed = parseCanonicalSignedEvent(signed)
  } catch (error) {
    return rejectionOf(error)
  }
  // The canonical bytes are hashed for the id and verified for the signature: one JCS for both.
  const message = domainMessage(domains.event, parsed.bytes)
  const id = await sha256Hex(message)
  try {
    await assertSignedByAuthor(parsed, message, keys)
  } catch (error) {
    return rejectionOf(error, id)
  }
  return { ok: true, event: parsed.event, sig: parsed.sig, id, raw: parsed.raw }
}

/**
 * DESIGN §4.4, all steps in order; the first failure wins. Never throws for bad input: a
 * rejection carries its code, a message, and `need` (what to pull) or `conflict` (the stored
 * event it contradicts) where they apply.
 */
export async function validateEvent(signed: unknown, view: ReceiverView): Promise<Validation> {
  const checked = await authenticateEvent(signed, (party) => view.keys(party))
  if (!checked.ok) return checked
  const placement = checkPlacement(checked, view)
  if (!placement.ok) return placement
  const { event, sig, id, raw } = checked
  return { ok: true, event, sig, id, raw, duplicate: placement.duplicate, behind: placement.behind }
}

function rejectionOf(error: unknown, id?: string): Rejection {
  if (!isProtocolError(error)) throw error
  return {
    ok: false,
    code: error.code,
    message: error.message,
    details: error.details,
    ...(id === undefined ? {} : { id }),
  }
}

function reject(
  code: ProtocolErrorCode,
  details: ErrorDetails,
  id: string,
  extra: { need?: Need; conflict?: { id: string } } = {},
): Rejection {
  return {
    ok: false,
    code,
    message: new ProtocolError(code, details).message,
    details,
    id,
    ...extra,
  }
}

/**
 * DESIGN §4.4 steps 4–7 (chain, time, authorization, heads) for an event that passed steps 1–3.
 * Synchronous and free of crypto, so a node can run it inside its database transaction.
 * Throws (a plain Error) only when the view contradicts itself: a head with no id below it.
 */
export function checkPlacement(checked: Checked, view: ReceiverView): Placement {
  const { event, id } = checked
  const { author, seq, channel } = event

  // 4. Chain
  const stored = view.idAt(author, seq)
  if (stored === id) return { ok: true, duplicate: true, behind: [] }
  if (stored !== undefined) {
    return reject('EQUIVOCATION', { author, seq, channel }, id, { conflict: { id: stored } })
  }
  const head = view.head(author)
  const expected = (head?.seq ?? 0) + 1
  if (seq > expected) {
    return reject('CHAIN_GAP', { author, seq, expected }, id, {
      need: { channel, author, fromSeq: expected },
    })
  }
  if (seq < expected) {
    throw new Error(`ReceiverView holds ${author} up to ${head?.seq} but no id at seq ${seq}`)
  }
  if (event.prev !== (head?.id ?? null)) return reject('CHAIN_PREV_MISMATCH', { author, seq }, id)

  // 5. Time
  if (head !== undefined && event.time < head.time) {
    return reject(
      'TIME_INVALID',
      { time: event.time, reason: `earlier than ${author}’s previous event (${head.time})` },
      id,
    )
  }
  if (event.time > view.now + MAX_CLOCK_SKEW_MS) {
    return reject(
      'TIME_INVALID',
      {
        time: event.time,
        reason: `more than 5 minutes ahead of the receiver’s clock (${view.now})`,
      },
      id,
    )
  }

  // 6. Authorization; a reference to an event not yet held waits for what `heads` promises.
  const heads = readHeads(checked, view)
  const denied = authorize(checked, view, heads.behind)
  if (denied !== undefined) return denied

  // 7. Heads
  if (heads.problem !== undefined) return heads.problem
  return { ok: true, duplicate: false, behind: heads.behind }
}

function readHeads(
  { event, id }: Pick<Checked, 'event' | 'id'>,
  view: ReceiverView,
): { behind: Behind[]; problem?: Rejection } {
  const facts =
    view.channel ?? (event.type === 'channel.create' ? channelFactsOf({ event, id }) : undefined)
  const participants = new Set([...(facts?.members ?? []), ...(facts?.observers ?? [])])
  const behind: Behind[] = []
  let problem: Rejection | undefined
  // Sorted, so that the first failure does not depend on the order of keys in the JSON.
  for (const party of Object.keys(event.heads).sort()) {
    const entry = event.heads[party]!
    if (!participants.has(party)) {
      problem ??= reject(
        'HEADS_INVALID',
        { party, reason: 'not a member or observer of the channel' },
        id,
      )
      continue
    }
    const held = view.head(party)
    if (held !== undefined && entry.seq <= held.seq) {
      const storedId = view.idAt(party, entry.seq)
      if (storedId !== undefined && storedId !== entry.id) {
        problem ??= reject('HEADS_CONFLICT', { party, seq: entry.seq }, id, {
          conflict: { id: storedId },
        })
      }
      continue
    }
    // A hosted party's log is whatever its own node signed: a claim beyond it is a fork.
    if (view.hosted.includes(party)) {
      problem ??= reject('HEADS_CONFLICT', { party, seq: entry.seq }, id)
      continue
    }
    behind.push({ author: party, seq: entry.seq })
  }
  return problem === undefined ? { behind } : { behind, problem }
}

/** The facts a receiver keeps about a channel, from its `channel.create`. */
export function channelFactsOf(genesis: { event: Event; id: string }): ChannelFacts {
  const { event, id } = genesis
  if (event.type !== 'channel.create') {
    throw new ProtocolError('FORBIDDEN_FOR_TYPE', {
      author: event.author,
      type: event.type,
      reason: 'only a channel.create describes a channel',
    })
  }
  const rapporteur = event.body.policy?.rapporteur
  return {
    id: event.channel,
    creator: event.author,
    genesisId: id,
    members: event.body.members,
    observers: event.body.observers,
    ...(rapporteur === undefined ? {} : { rapporteur }),
  }
}

function authorize(
  checked: Checked,
  view: ReceiverView,
  behind: readonly Behind[],
): Rejection | undefined {
  const { event, id } = checked
  const { author, type } = event
  const forbid = (reason: string) => reject('FORBIDDEN_FOR_TYPE', { author, type, reason }, id)
  const channel = view.channel

  if (event.type === 'channel.create') {
    if (event.seq !== 1) return forbid('a channel.create is only its creator’s first event')
    if (channel !== undefined && channel.creator !== author) {
      return forbid(`channel ${event.channel} was already created by ${channel.creator}`)
    }
    if (Object.keys(event.heads).length > 0) return forbid('a channel.create has empty heads')
    const { members, observers, policy } = event.body
    if (!members.includes(author)) return forbid('the creator must be among the members')
    if (members.length < 2) return forbid('a channel has at least 2 members')
    const both = members.find((party) => observers.includes(party))
    if (both !== undefined) return forbid(`${both} is listed as both member and observer`)
    const rapporteur = policy?.rapporteur
    if (
      rapporteur !== undefined &&
      !members.includes(rapporteur) &&
      !observers.includes(rapporteur)
    ) {
      return forbid(`the rapporteur ${rapporteur} is neither a member nor an observer`)
    }
    return undefined
  }

  if (channel === undefined || channel.id !== event.channel) {
    // Whoever the author has heard from holds the channel's history; start with the first.
    const first = Object.keys(event.heads).sort()[0]
    return reject(
      'CHANNEL_UNKNOWN',
      { channel: event.channel },
      id,
      first === undefined ? {} : { need: { channel: event.channel, author: first, fromSeq: 1 } },
    )
  }

  const isMember = channel.members.includes(author)
  const isObserver = channel.observers.includes(author)
  if (!isMember && !isObserver) {
    return reject('NOT_A_MEMBER', { author, channel: event.channel }, id)
  }

  if (event.type === 'channel.join') {
    if (author === channel.creator) return forbid('the creator does not join its own channel')
    if (event.seq !== 1) return forbid('a channel.join is only the joiner’s first event')
    if (event.body.accepts !== channel.genesisId) {
      return forbid(
        `it accepts ${event.body.accepts}, not the channel’s genesis ${channel.genesisId}`,
      )
    }
    if (event.heads[channel.creator] === undefined) {
      return forbid(`a channel.join carries the creator’s (${channel.creator}) head`)
    }
    return undefined
  }
  if (event.seq === 1 && author !== channel.creator) {
    return forbid('a participant’s first event in a channel is its channel.join')
  }
  if (isObserver && !(author === channel.rapporteur && event.type === 'draft.propose')) {
    return forbid(
      author === channel.rapporteur
        ? 'an observing rapporteur may send draft.propose only'
        : 'observers only join',
    )
  }

  const refer = (
    refId: string,
    what: string,
    expectedType?: EventType,
  ): { ref: StoredEventFacts; denied?: undefined } | { denied: Rejection } => {
    const ref = view.event(refId)
    if (ref === undefined) {
      const pull = behind[0]
      if (pull !== undefined) {
        const fromSeq = (view.head(pull.author)?.seq ?? 0) + 1
        return {
          denied: reject('EVENT_REFERENCE_UNKNOWN', { type, ref: refId }, id, {
            need: { channel: event.channel, author: pull.author, fromSeq },
          }),
        }
      }
      return { denied: forbid(`its ${what} ${refId} is not an event of this channel`) }
    }
    if (ref.channel !== event.channel) {
      return { denied: forbid(`its ${what} ${refId} belongs to another channel`) }
    }
    if (expectedType !== undefined && ref.type !== expectedType) {
      return { denied: forbid(`its ${what} ${refId} is a ${ref.type}, not a ${expectedType}`) }
    }
    // Every node must decide alike: a referenced event must be one the author said it holds.
    if (ref.seq !== undefined && ref.author !== author) {
      if ((event.heads[ref.author]?.seq ?? 0) < ref.seq) {
        return { denied: forbid(`its ${what} ${refId} is not covered by its heads`) }
      }
    }
    return { ref }
  }

  switch (event.type) {
    case 'message.translate':
      return refer(event.body.of, 'original').denied
    case 'notice.ack': {
      const found = refer(event.body.notice, 'notice', 'notice.open')
      if (found.denied) return found.denied
      if (found.ref.author === author)
        return forbid('the opener does not acknowledge its own notice')
      return undefined
    }
    case 'notice.reply':
      return refer(event.body.notice, 'notice', 'notice.open').denied
    case 'notice.close': {
      const found = refer(event.body.notice, 'notice', 'notice.open')
      if (found.denied) return found.denied
      if (found.ref.author !== author)
        return forbid(`only ${found.ref.author}, who opened it, closes it`)
      return undefined
    }
    case 'redline.revise':
    case 'redline.withdraw': {
      const found = refer(event.body.redline, 'red line', 'redline.declare')
      if (found.denied) return found.denied
      if (found.ref.author !== author) {
        return forbid(`only ${found.ref.author}, who declared it, changes its red line`)
      }
      return undefined
    }
    case 'draft.propose':
    case 'draft.accept':
    case 'draft.adopt':
      return refer(event.body.draft, 'draft', 'draft.create').denied
    case 'compliance.report': {
      const agreement = refer(event.body.agreement, 'agreement', 'draft.create')
      if (agreement.denied) return agreement.denied
      return event.body.notice === undefined
        ? undefined
        : refer(event.body.notice, 'notice', 'notice.open').denied
    }
    case 'forward':
      return authorizeForward(event, forbid)
    default:
      return undefined
  }
}

// TLP 2.0 as the release rules enforce it: RED is never forwarded, AMBER+STRICT never leaves
// the recipient party, so neither may appear anywhere in what is forwarded.
const UNFORWARDABLE_TLP = new Set(['red', 'amber+strict'])

function authorizeForward(
  event: EventOf<'forward'>,
  forbid: (reason: string) => Rejection,
): Rejection | undefined {
  const { from, items } = event.body
  if (from === event.channel) return forbid('it forwards from the channel it is sent to')
  for (const [i, item] of items.entries()) {
    if (item.event.channel !== from) {
      return forbid(`item ${i} is from channel ${item.event.channel}, not ${from}`)
    }
    const tlp = strictestMarking(item.event.body)
    if (tlp !== undefined) return forbid(`item ${i} is marked TLP:${tlp.toUpperCase()}`)
  }
  return undefined
}

function strictestMarking(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const member of value) {
      const found = strictestMarking(member)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (value === null || typeof value !== 'object') return undefined
  for (const [key, member] of Object.entries(value)) {
    if (key === 'tlp' && typeof member === 'string' && UNFORWARDABLE_TLP.has(member)) return member
    const found = strictestMarking(member)
    if (found !== undefined) return found
  }
  return undefined
}
