import type {
  ChainHead,
  ChannelFacts,
  PartyKey,
  ReceiverView,
  StoredEventFacts,
} from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'

type Executor = Kysely<DB> | Transaction<DB>

/**
 * What the validator may ask about one incoming event, read from the database. The protocol's
 * `ReceiverView` is synchronous, so everything is loaded up front; a question the preload did
 * not foresee is recorded as a miss, loaded, and the validation run again (see `validateWith`).
 */
export interface ViewCache {
  readonly channel: string | undefined
  facts: ChannelFacts | undefined
  readonly heads: Map<string, ChainHead>
  readonly keys: Map<string, PartyKey[]>
  /** `author\nseq` → id, or null when the database has no such event. */
  readonly ids: Map<string, string | null>
  /** id → facts, or null when the database has no such event. */
  readonly events: Map<string, StoredEventFacts | null>
}

interface Misses {
  readonly keys: Set<string>
  readonly ids: Map<string, { author: string; seq: number }>
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

/** Reads hints from untrusted input without trusting its shape (the validator checks that). */
export function hintsOf(signed: unknown): Hints {
  const event = isRecord(signed) && isRecord(signed.event) ? signed.event : {}
  const heads: { party: string; seq: number }[] = []
  if (isRecord(event.heads)) {
    for (const [party, head] of Object.entries(event.heads)) {
      if (isRecord(head) && Number.isSafeInteger(head.seq))
        heads.push({ party, seq: head.seq as number })
    }
  }
  const references = new Set<string>()
  collectIds(event.body, references, 0)
  return {
    channel: typeof event.channel === 'string' ? event.channel : undefined,
    author: typeof event.author === 'string' ? event.author : undefined,
    seq: Number.isSafeInteger(event.seq) ? (event.seq as number) : undefined,
    heads,
    references: [...references],
  }
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

const idKey = (author: string, seq: number) => `${author}\n${seq}`

/** Loads the channel's facts and heads, and everything the hints point at. */
export async function preloadView(db: Executor, hints: Hints): Promise<ViewCache> {
  const cache: ViewCache = {
    channel: hints.channel,
    facts: undefined,
    heads: new Map(),
    keys: new Map(),
    ids: new Map(),
    events: new Map(),
  }
  if (hints.channel !== undefined) {
    cache.facts = await loadChannelFacts(db, hints.channel)
    for (const [author, head] of await loadHeads(db, hints.channel)) cache.heads.set(author, head)
  }
  const misses: Misses = { keys: new Set(), ids: new Map(), events: new Set(hints.references) }
  if (hints.author !== undefined) {
    misses.keys.add(hints.author)
    if (hints.seq !== undefined) {
      misses.ids.set(idKey(hints.author, hints.seq), { author: hints.author, seq: hints.seq })
    }
  }
  for (const { party, seq } of hints.heads)
    misses.ids.set(idKey(party, seq), { author: party, seq })
  await loadMisses(db, cache, misses)
  return cache
}

/**
 * Runs `validate` against the cache; when it asked something the cache did not hold, loads
 * that and runs it again, so an answer never rests on a guess.
 */
export async function validateWith<T>(
  db: Executor,
  cache: ViewCache,
  base: { now: number; hosted: readonly string[] },
  validate: (view: ReceiverView) => Promise<T>,
): Promise<T> {
  for (let round = 0; ; round++) {
    const misses: Misses = { keys: new Set(), ids: new Map(), events: new Set() }
    const missed = () => misses.keys.size + misses.ids.size + misses.events.size > 0
    let result: T
    try {
      result = await validate(viewOf(cache, misses, base))
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
  misses: Misses,
  base: { now: number; hosted: readonly string[] },
): ReceiverView {
  return {
    now: base.now,
    hosted: [...base.hosted],
    channel: cache.facts,
    keys(party) {
      const keys = cache.keys.get(party)
      if (keys === undefined) misses.keys.add(party)
      return keys ?? []
    },
    head(author) {
      return cache.heads.get(author)
    },
    idAt(author, seq) {
      const head = cache.heads.get(author)
      if (head === undefined || seq > head.seq) return undefined
      if (seq === head.seq) return head.id
      const id = cache.ids.get(idKey(author, seq))
      if (id === undefined) misses.ids.set(idKey(author, seq), { author, seq })
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
  if (parties.length > 0) {
    for (const party of parties) cache.keys.set(party, [])
    const rows = await db
      .selectFrom('party_keys')
      .select(['party', 'key_id', 'public_key', 'valid_from', 'valid_until'])
      .where('party', 'in', parties)
      .orderBy('key_id')
      .execute()
    for (const row of rows) {
      cache.keys.get(row.party)!.push({
        id: row.key_id,
        publicKey: row.public_key,
        validFrom: row.valid_from,
        validUntil: row.valid_until,
      })
    }
  }

  const wanted = [...misses.ids.entries()].filter(([key]) => !cache.ids.has(key))
  if (wanted.length > 0 && cache.channel !== undefined) {
    for (const [key] of wanted) cache.ids.set(key, null)
    const channel = cache.channel
    const rows = await db
      .selectFrom('events')
      .select(['author', 'seq', 'id'])
      .where('channel', '=', channel)
      .where((eb) =>
        eb.or(
          wanted.map(([, { author, seq }]) =>
            eb.and([eb('author', '=', author), eb('seq', '=', seq)]),
          ),
        ),
      )
      .execute()
    for (const row of rows) cache.ids.set(idKey(row.author, row.seq), row.id)
  }

  const ids = [...misses.events].filter((id) => !cache.events.has(id))
  if (ids.length > 0) {
    for (const id of ids) cache.events.set(id, null)
    const rows = await db
      .selectFrom('events')
      .select(['id', 'author', 'seq', 'type', 'channel', 'body'])
      .where('id', 'in', ids)
      .execute()
    for (const row of rows) {
      cache.events.set(row.id, {
        author: row.author,
        seq: row.seq,
        type: row.type,
        channel: row.channel,
        body: row.body,
      })
    }
  }
}

/** The channel as the validator sees it, or undefined when this node does not know it. */
export async function loadChannelFacts(
  db: Executor,
  channel: string,
): Promise<ChannelFacts | undefined> {
  const row = await db
    .selectFrom('channels')
    .select(['id', 'creator', 'genesis_id', 'policy'])
    .where('id', '=', channel)
    .executeTakeFirst()
  if (row === undefined) return undefined
  const members = await db
    .selectFrom('channel_members')
    .select(['party', 'role'])
    .where('channel', '=', channel)
    .orderBy('party')
    .execute()
  const policy = row.policy
  const rapporteur =
    isRecord(policy) && typeof policy.rapporteur === 'string' ? policy.rapporteur : undefined
  return {
    id: row.id,
    creator: row.creator,
    genesisId: row.genesis_id,
    members: members.filter((m) => m.role === 'member').map((m) => m.party),
    observers: members.filter((m) => m.role === 'observer').map((m) => m.party),
    ...(rapporteur === undefined ? {} : { rapporteur }),
  }
}

/** Latest stored (seq, id, time) of every author in a channel; stored chains have no gaps. */
export async function loadHeads(db: Executor, channel: string): Promise<Map<string, ChainHead>> {
  const rows = await db
    .selectFrom('events')
    .distinctOn('author')
    .select(['author', 'seq', 'id', 'time'])
    .where('channel', '=', channel)
    .orderBy('author')
    .orderBy('seq', 'desc')
    .execute()
  return new Map(rows.map((row) => [row.author, { seq: row.seq, id: row.id, time: row.time }]))
}
