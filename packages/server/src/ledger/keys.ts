import type { PartyKey } from '@parley/protocol'
import type { Kysely, Transaction } from 'kysely'
import { ServerError } from '../errors.ts'
import type { DB } from '../store/tables.ts'

type Executor = Kysely<DB> | Transaction<DB>

/**
 * Pins a party's public keys (and records or renames the party). A pinned key never changes:
 * pinning a key id again with another public key or start is `KEY_PIN_CONFLICT`, as is a
 * public key already pinned under another id. The only change allowed is closing an open key
 * (setting `validUntil` where it was null). Private keys never reach the database.
 */
export async function pinPartyKeys(
  db: Kysely<DB>,
  party: string,
  name: string,
  keys: readonly PartyKey[],
  options: { readonly now: number; readonly hosted?: boolean },
): Promise<void> {
  for (const key of keys) {
    if (!key.id.startsWith(`${party}#`)) {
      throw new ServerError('REQUEST_INVALID', { reason: `key ${key.id} is not a key of ${party}` })
    }
  }
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('parties')
      .values({
        id: party,
        name,
        ...(options.hosted === undefined ? {} : { hosted: options.hosted }),
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          name,
          ...(options.hosted === undefined ? {} : { hosted: options.hosted }),
        }),
      )
      .execute()
    for (const key of keys) await pinKey(trx, party, key, options.now)
  })
  pinnedKeyCache.delete(db)
}

async function pinKey(trx: Transaction<DB>, party: string, key: PartyKey, now: number) {
  const conflict = (field: string) => new ServerError('KEY_PIN_CONFLICT', { key: key.id, field })
  const pinned = await trx
    .selectFrom('party_keys')
    .selectAll()
    .where((eb) => eb.or([eb('key_id', '=', key.id), eb('public_key', '=', key.publicKey)]))
    .execute()
  const same = pinned.find((row) => row.key_id === key.id)
  if (pinned.some((row) => row.key_id !== key.id))
    throw conflict('id (public key pinned as another)')
  if (same === undefined) {
    await trx
      .insertInto('party_keys')
      .values({
        key_id: key.id,
        party,
        public_key: key.publicKey,
        valid_from: key.validFrom,
        valid_until: key.validUntil,
        pinned_at: now,
      })
      .execute()
    return
  }
  if (same.public_key !== key.publicKey) throw conflict('public key')
  if (same.valid_from !== key.validFrom) throw conflict('validFrom')
  if (same.valid_until === key.validUntil) return
  if (same.valid_until !== null) throw conflict('validUntil')
  await trx
    .updateTable('party_keys')
    .set({ valid_until: key.validUntil })
    .where('key_id', '=', key.id)
    .execute()
}

/**
 * Pinned keys as the hot paths read them (every signed request, receipt and pushed batch),
 * per database handle. Keys change only through `pinPartyKeys` in this process, which drops
 * the cache of its handle; a node's database belongs to the node alone.
 */
const pinnedKeyCache = new WeakMap<Kysely<DB>, Map<string, Promise<PartyKey[]>>>()

/** Unknown parties are cached too (a peer can name any); past this many, start afresh. */
const MAX_CACHED_PARTIES = 10_000

/** {@link partyKeys} of several parties, from the cache or in one query. */
export async function pinnedKeysOf(
  db: Kysely<DB>,
  parties: readonly string[],
): Promise<Map<string, readonly PartyKey[]>> {
  let cache = pinnedKeyCache.get(db)
  if (cache === undefined || cache.size > MAX_CACHED_PARTIES) {
    cache = new Map()
    pinnedKeyCache.set(db, cache)
  }
  const missing = [...new Set(parties)].filter((party) => !cache.has(party))
  if (missing.length > 0) {
    const loading = loadPartyKeys(db, missing)
    for (const party of missing) {
      const keys = loading.then((all) => all.get(party) ?? [])
      // A failed read is not remembered: the next caller tries again.
      keys.catch(() => cache.delete(party))
      cache.set(party, keys)
    }
  }
  const keys = await Promise.all(parties.map((party) => cache.get(party)!))
  return new Map(parties.map((party, i) => [party, keys[i]!]))
}

async function loadPartyKeys(
  db: Executor,
  parties: readonly string[],
): Promise<Map<string, PartyKey[]>> {
  const rows = await db
    .selectFrom('party_keys')
    .select(['party', 'key_id', 'public_key', 'valid_from', 'valid_until'])
    .where('party', 'in', parties)
    .orderBy('valid_from')
    .orderBy('key_id')
    .execute()
  const keys = new Map<string, PartyKey[]>()
  for (const row of rows) {
    const list = keys.get(row.party) ?? []
    list.push({
      id: row.key_id,
      publicKey: row.public_key,
      validFrom: row.valid_from,
      validUntil: row.valid_until,
    })
    keys.set(row.party, list)
  }
  return keys
}

/** The pinned keys of a party, oldest first. */
export async function partyKeys(db: Executor, party: string): Promise<PartyKey[]> {
  // Inside a transaction, read what the transaction sees; otherwise the cache will do.
  if (!db.isTransaction) return [...(await pinnedKeysOf(db, [party])).get(party)!]
  const rows = await db
    .selectFrom('party_keys')
    .select(['key_id', 'public_key', 'valid_from', 'valid_until'])
    .where('party', '=', party)
    .orderBy('valid_from')
    .orderBy('key_id')
    .execute()
  return rows.map((row) => ({
    id: row.key_id,
    publicKey: row.public_key,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
  }))
}
