import {
  type ChainHead,
  type ChannelFacts,
  channelFactsOf,
  type Event,
  type PartyKey,
  type ReceiverView,
  type StoredEventFacts,
} from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import { sql } from 'kysely'
import type { DB } from '../store/tables.ts'

type Executor = Kysely<DB> | Transaction<DB>

/**
 * What the validator may ask about the channels of a batch, read from the database up front in
 * a few queries (one per kind of fact, whatever the batch size). The protocol's `ReceiverView`
 * is synchronous, so everything is loaded before; a question the preload did not foresee is
 * recorded as a miss, loaded, and the validation run again (see `validateWith`). Events the
 * batch stores are added with `recordStored`, so later events of the batch see them.
 */
export interface ViewCache {
  /** channel → its facts, or undefined when this node does not know the channel. */
  readonly facts: Map<string, ChannelFacts | undefined>
  /** channel → author → latest stored event. */
  readonly heads: Map<string, Map<string, ChainHead>>
  readonly keys: Map<string, PartyKey[]>
  /** `channel\nauthor\nseq` → id, or null when the database has no such event. */
  readonly ids: Map<string, string | null>
  /** id → facts, or null when the database has no such event. */
  readonly events: Map<string, StoredEventFacts | null>
}

interface Misses {
  readonly keys: Set<string>
  readonly ids: Map<string, { channel: string; author: string; seq: number }>
  readonly events: Set<string>
}

/** What an incoming event lets us guess about the questions its validation will ask. */
export interface Hints {
  readonly channel: string | undefined
  readonly author: string | undefined
  readonly seq: number | undefined
  readonly heads: readonly { party: string; seq: number }[]
  readonly references: readonly string[]
}

const EVENT_ID = /^[0-9a-f]{64}$/
const MAX_REFERENCES = 256
// Hints reach SQL before the validator has seen the event, so only values shaped like real
// identifiers are taken: a NUL byte, for one, is not even storable text and fails the query.
const CHANNEL_ID = /^ch_[0-9A-HJKMNP-TV-Z]{26}$/
const PARTY_ID = /^[a-z][a-z0-9-]{1,31}$/

const identifier = (value: unknown, pattern: RegExp): string | undefined =>
  typeof value === 'string' && pattern.test(value) ? value : undefined

/** Reads hints from untrusted input without trusting its shape (the validator checks that). */
export function hintsOf(signed: unknown): Hints {
  const event = isRecord(signed) && isRecord(signed.event) ? signed.event : {}
  const heads: { party: string; seq: number }[] = []
  if (isRecord(event.heads)) {
    for (const [party, head] of Object.entries(event.heads)) {
      if (heads.length >= MAX_REFERENCES) break
      if (PARTY_ID.test(party) && isRecord(head) && Number.isSafeInteger(head.seq))
        heads.push({ party, seq: head.seq as number })
    }
  }
  return {
    channel: identifier(event.channel, CHANNEL_ID),
    author: identifier(event.author, PARTY_ID),
    seq: Number.isSafeInteger(event.seq) ? (event.seq as number) : undefined,
    heads,
    references: referencesOf(event.body),
  }
}

/** Every string in a body that looks like an event id: what its rules may look up. */
export function referencesOf(body: unknown): string[] {
  const references = new Set<string>()
  collectIds(body, references, 0)
  return [...references]
}

function collectIds(value: unknown, into: Set<string>, depth: number): void {
  if (depth > 16 || into.size >= MAX_REFERENCES) return
  if (typeof value === 'string') {
    if (EVENT_ID.test(value)) into.add(value)
  } else if (Array.isArray(value)) {
    for (const item of value) collectIds(item, into, depth + 1)
  } else if (isRecord(value)) {
    for (const item of Object.values(value)) collectIds(item, into, depth + 1)
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const idKey = (channel: string, author: string, seq: number) => `${channel}\n${author}\n${seq}`

/**
 * Loads the facts and heads of every channel the hints name (one query), and what they point
 * at. Keys are not loaded: steps 1–3, the only ones that need them, run before (see
 * `pinnedKeysOf`); a caller that wants them puts them in `keys`.
 */
export async function preloadView(db: Executor, hints: readonly Hints[]): Promise<ViewCache> {
  const channels = [
    ...new Set(hints.flatMap((hint) => (hint.channel === undefined ? [] : [hint.channel]))),
  ]
  const { facts, heads } = await loadChannelState(db, channels)
  const cache: ViewCache = {
    facts: new Map(channels.map((channel) => [channel, facts.get(channel)])),
    heads,
    keys: new Map(),
    ids: new Map(),
    events: new Map(),
  }
  const misses: Misses = { keys: new Set(), ids: new Map(), events: new Set() }
  for (const hint of hints) {
    for (const id of hint.references) misses.events.add(id)
    const channel = hint.channel
    if (channel === undefined) continue
    const held = cache.heads.get(channel)!
    const wanted = (author: string, seq: number) => {
      // The head itself is known, and nothing beyond it is stored.
      const head = held.get(author)
      if (head !== undefined && seq < head.seq)
        misses.ids.set(idKey(channel, author, seq), { channel, author, seq })
    }
    if (hint.author !== undefined && hint.seq !== undefined) wanted(hint.author, hint.seq)
    for (const { party, seq } of hint.heads) wanted(party, seq)
  }
  await loadMisses(db, cache, misses)
  return cache
}

/** Adds an event stored in the current transaction, so later events of the batch see it. */
export function recordStored(cache: ViewCache, { id, event }: { id: string; event: Event }): void {
  const { channel, author, seq } = event
  let heads = cache.heads.get(channel)
  if (heads === undefined) {
    heads = new Map()
    cache.heads.set(channel, heads)
  }
  heads.set(author, { seq, id, time: event.time })
  cache.ids.set(idKey(channel, author, seq), id)
  cache.events.set(id, { author, seq, type: event.type, channel, body: event.body })
  if (event.type === 'channel.create' && cache.facts.get(channel) === undefined) {
    cache.facts.set(channel, channelFactsOf({ event, id }))
  }
}

/**
 * Runs `validate` against the cache as seen from `channel`; when it asked something the cache
 * did not hold, loads that and runs it again, so an answer never rests on a guess.
 */
export async function validateWith<T>(
  db: Executor,
  cache: ViewCache,
  base: { now: number; hosted: readonly string[] },
  channel: string,
  validate: (view: ReceiverView) => T | Promise<T>,
): Promise<T> {
  for (let round = 0; ; round++) {
    const misses: Misses = { keys: new Set(), ids: new Map(), events: new Set() }
    const missed = () => misses.keys.size + misses.ids.size + misses.events.size > 0
    let result: T
    try {
      result = await validate(viewOf(cache, channel, misses, base))
    } catch (error) {
      // The validator throws when the view contradicts itself, as a miss can make it do.
      if (!missed() || round === 3) throw error
      await loadMisses(db, cache, misses)
      continue
    }
    if (!missed() || round === 3) return result
    await loadMisses(db, cache, misses)
  }
}

function viewOf(
  cache: ViewCache,
  channel: string,
  misses: Misses,
  base: { now: number; hosted: readonly string[] },
): ReceiverView {
  const heads = cache.heads.get(channel) ?? new Map<string, ChainHead>()
  return {
    now: base.now,
    hosted: base.hosted,
    channel: cache.facts.get(channel),
    keys(party) {
      const keys = cache.keys.get(party)
      if (keys === undefined) misses.keys.add(party)
      return keys ?? []
    },
    head(author) {
      return heads.get(author)
    },
    idAt(author, seq) {
      const head = heads.get(author)
      if (head === undefined || seq > head.seq) return undefined
      if (seq === head.seq) return head.id
      const id = cache.ids.get(idKey(channel, author, seq))
      if (id === undefined) misses.ids.set(idKey(channel, author, seq), { channel, author, seq })
      return id ?? undefined
    },
    event(id) {
      const facts = cache.events.get(id)
      if (facts === undefined) misses.events.add(id)
      return facts ?? undefined
    },
  }
}

async function loadMisses(db: Executor, cache: ViewCache, misses: Misses): Promise<void> {
  const parties = [...misses.keys].filter((party) => !cache.keys.has(party))
  const wanted = [...misses.ids.entries()].filter(([key]) => !cache.ids.has(key))
  const ids = [...misses.events].filter((id) => !cache.events.has(id))
  for (const party of parties) cache.keys.set(party, [])
  for (const [key] of wanted) cache.ids.set(key, null)
  for (const id of ids) cache.events.set(id, null)
  await Promise.all([
    parties.length > 0 &&
      db
        .selectFrom('party_keys')
        .select(['party', 'key_id', 'public_key', 'valid_from', 'valid_until'])
        .where('party', 'in', parties)
        .orderBy('key_id')
        .execute()
        .then((rows) => {
          for (const row of rows) {
            cache.keys.get(row.party)!.push({
              id: row.key_id,
              publicKey: row.public_key,
              validFrom: row.valid_from,
              validUntil: row.valid_until,
            })
          }
        }),
    wanted.length > 0 &&
      sql<{ channel: string; author: string; seq: number; id: string }>`
        select e.channel, e.author, e.seq, e.id
        from events e
        join unnest(${wanted.map(([, w]) => w.channel)}::text[],
                    ${wanted.map(([, w]) => w.author)}::text[],
                    ${wanted.map(([, w]) => w.seq)}::bigint[]) as w(channel, author, seq)
          on e.channel = w.channel and e.author = w.author and e.seq = w.seq`
        .execute(db)
        .then(({ rows }) => {
          for (const row of rows) cache.ids.set(idKey(row.channel, row.author, row.seq), row.id)
        }),
    ids.length > 0 &&
      db
        .selectFrom('events')
        .select(['id', 'author', 'seq', 'type', 'channel', 'body'])
        .where('id', 'in', ids)
        .execute()
        .then((rows) => {
          for (const row of rows) {
            cache.events.set(row.id, {
              author: row.author,
              seq: row.seq,
              type: row.type,
              channel: row.channel,
              body: row.body,
            })
          }
        }),
  ])
}

/**
 * Facts and heads of several channels in ONE query: each participant's row with its chain's
 * last event, read from the end of the (channel, author, seq) index. Only a participant's
 * events are ever stored (the channel.create that names the participants included), so
 * this is every stored chain of the channel.
 */
async function loadChannelState(
  db: Executor,
  channels: readonly string[],
): Promise<{
  facts: Map<string, ChannelFacts>
  heads: Map<string, Map<string, ChainHead>>
}> {
  const facts = new Map<string, ChannelFacts>()
  const heads = new Map(channels.map((channel) => [channel, new Map<string, ChainHead>()]))
  if (channels.length === 0) return { facts, heads }
  const rows = await db
    .selectFrom('channels as c')
    .innerJoin('channel_members as m', 'm.channel', 'c.id')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('events')
          .select(['events.seq', 'events.id', 'events.time'])
          .whereRef('events.channel', '=', 'm.channel')
          .whereRef('events.author', '=', 'm.party')
          .orderBy('events.seq', 'desc')
          .limit(1)
          .as('e'),
      (join) => join.onTrue(),
    )
    .select([
      'c.id as channel',
      'c.creator',
      'c.genesis_id',
      'c.policy',
      'm.party',
      'm.role',
      'e.seq',
      'e.id as head',
      'e.time',
    ])
    .where('c.id', 'in', channels)
    .orderBy('c.id')
    .orderBy('m.party')
    .execute()
  const participants = new Map<string, { members: string[]; observers: string[] }>()
  for (const row of rows) {
    let channel = participants.get(row.channel)
    if (channel === undefined) {
      const policy = row.policy
      const rapporteur =
        isRecord(policy) && typeof policy.rapporteur === 'string' ? policy.rapporteur : undefined
      channel = { members: [], observers: [] }
      participants.set(row.channel, channel)
      facts.set(row.channel, {
        id: row.channel,
        creator: row.creator,
        genesisId: row.genesis_id,
        members: channel.members,
        observers: channel.observers,
        ...(rapporteur === undefined ? {} : { rapporteur }),
      })
    }
    ;(row.role === 'member' ? channel.members : channel.observers).push(row.party)
    if (row.seq !== null && row.head !== null && row.time !== null) {
      heads.get(row.channel)!.set(row.party, { seq: row.seq, id: row.head, time: row.time })
    }
  }
  return { facts, heads }
}

/** The channel as the validator sees it, or undefined when this node does not know it. */
async function _loadChannelFacts(db: Executor, channel: string): Promise<ChannelFacts | undefined> {
  return (await loadChannelFactsOf(db, [channel])).get(channel)
}

/** {@link loadChannelFacts} for several channels, in two queries. */
async function loadChannelFactsOf(
  db: Executor,
  channels: readonly string[],
): Promise<Map<string, ChannelFacts>> {
  const facts = new Map<string, ChannelFacts>()
  if (channels.length === 0) return facts
  const [rows, members] = await Promise.all([
    db
      .selectFrom('channels')
      .select(['id', 'creator', 'genesis_id', 'policy'])
      .where('id', 'in', channels)
      .execute(),
    db
      .selectFrom('channel_members')
      .select(['channel', 'party', 'role'])
      .where('channel', 'in', channels)
      .orderBy('party')
      .execute(),
  ])
  for (const row of rows) {
    const policy = row.policy
    const rapporteur =
      isRecord(policy) && typeof policy.rapporteur === 'string' ? policy.rapporteur : undefined
    const of = members.filter((m) => m.channel === row.id)
    facts.set(row.id, {
      id: row.id,
      creator: row.creator,
      genesisId: row.genesis_id,
      members: of.filter((m) => m.role === 'member').map((m) => m.party),
      observers: of.filter((m) => m.role === 'observer').map((m) => m.party),
      ...(rapporteur === undefined ? {} : { rapporteur }),
    })
  }
  return facts
}

/** Latest stored (seq, id, time) of every author in a channel; stored chains have no gaps. */
export async function loadHeads(db: Executor, channel: string): Promise<Map<string, ChainHead>> {
  return (await loadHeadsOf(db, [channel])).get(channel)!
}

/**
 * {@link loadHeads} for several channels, in one query. Only a participant's events are ever
 * stored (the channel.create that makes the participants included), so each participant's
 * chain is read from its last row in the (channel, author, seq) index: the cost does not grow
 * with the length of the log, as a scan of every author's events would.
 */
async function loadHeadsOf(
  db: Executor,
  channels: readonly string[],
): Promise<Map<string, Map<string, ChainHead>>> {
  const heads = new Map(channels.map((channel) => [channel, new Map<string, ChainHead>()]))
  if (channels.length === 0) return heads
  const rows = await db
    .selectFrom('channel_members as m')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('events')
          .select(['events.seq', 'events.id', 'events.time'])
          .whereRef('events.channel', '=', 'm.channel')
          .whereRef('events.author', '=', 'm.party')
          .orderBy('events.seq', 'desc')
          .limit(1)
          .as('e'),
      (join) => join.onTrue(),
    )
    .select(['m.channel', 'm.party', 'e.seq', 'e.id', 'e.time'])
    .where('m.channel', 'in', channels)
    .orderBy('m.channel')
    .orderBy('m.party')
    .execute()
  for (const row of rows) {
    heads.get(row.channel)!.set(row.party, { seq: row.seq, id: row.id, time: row.time })
  }
  return heads
}
