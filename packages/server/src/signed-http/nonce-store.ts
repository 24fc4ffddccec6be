import type { Kysely } from 'kysely'
import type { DB } from '../store/tables.ts'
import { NonceCache, type NonceCacheOptions } from './nonce-cache.ts'

/**
 * The nonce cache across restarts, with no database write per request: the node saves its live
 * nonces when it closes and loads them when it starts, so a request captured before a graceful
 * restart is refused after it as a replay, while every honest request, signed in the node's
 * first second or even before it started, is taken.
 *
 * A node that stopped without saving (a crash, a kill) lost the nonces it accepted since its
 * start. `nonce_memory.complete` is false from a start until the next save, so the start after
 * such a stop knows it, and refuses signatures created before that start (`HTTP_SIGNATURE_EXPIRED`):
 * an honest sender signs its retry afresh. Saving in the background instead (every second,
 * say) would not narrow that: what was accepted after the last save may carry any `created`
 * within the window, so the start after a crash could not tell it from a signature made since.
 *
 * Several processes serving one node from one PostgreSQL each keep their own memory, as they
 * did before it was saved: the saved rows are the union of theirs, and the flag is the last
 * writer's, so one that crashed while another closed cleanly goes unnoticed.
 */
export async function openNonceCache(
  db: Kysely<DB>,
  now: number,
  options: Omit<NonceCacheOptions, 'since'> = {},
): Promise<NonceCache> {
  const memory = await db.selectFrom('nonce_memory').select('complete').executeTakeFirst()
  const complete = memory?.complete === true
  const cache = new NonceCache({ ...options, ...(complete ? {} : { since: now }) })
  if (complete) {
    const saved = await db
      .selectFrom('signature_nonces')
      .select(['nonce', 'expires_at'])
      .where('expires_at', '>=', now)
      .orderBy('expires_at')
      .execute()
    for (const { nonce, expires_at } of saved) cache.claim(nonce, expires_at, now)
  }
  // From now on this process holds nonces that only its close will save.
  await db
    .insertInto('nonce_memory')
    .values({ id: 1, complete: false })
    .onConflict((oc) => oc.column('id').doUpdateSet({ complete: false }))
    .execute()
  return cache
}

/**
 * Saves the live nonces of a closing node, and drops the expired ones. Other processes on the
 * same database keep theirs: a save adds to what is there.
 */
export async function saveNonceCache(
  db: Kysely<DB>,
  cache: NonceCache,
  now: number,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('signature_nonces').where('expires_at', '<', now).execute()
    const live = [...cache.live(now)]
    for (let i = 0; i < live.length; i += 1_000) {
      await trx
        .insertInto('signature_nonces')
        .values(
          live.slice(i, i + 1_000).map(([nonce, expiresAt]) => ({ nonce, expires_at: expiresAt })),
        )
        .onConflict((oc) =>
          oc.column('nonce').doUpdateSet((eb) => ({
            expires_at: eb.fn('greatest', [
              eb.ref('signature_nonces.expires_at'),
              eb.ref('excluded.expires_at'),
            ]),
          })),
        )
        .execute()
    }
    await trx.updateTable('nonce_memory').set({ complete: true }).where('id', '=', 1).execute()
  })
}
