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

/** The pinned keys of a party, oldest first. */
export async function partyKeys(db: Executor, party: string): Promise<PartyKey[]> {
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
