import type { Kysely, Transaction } from 'kysely'

/**
 * Runs `work` in a transaction and commits it, as `db.transaction().execute(work)` does, but a
 * ROLLBACK that fails never hides why the transaction failed: on a lost connection Kysely's
 * own runner throws the ROLLBACK's error instead (ECONNRESET, say), so a refusal or a SQLSTATE
 * the caller acts on would be lost. The failed ROLLBACK still releases the connection, which
 * the pool then drops; the server rolls back a transaction whose connection ended.
 */
export async function transaction<DB, T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  const trx = await db.startTransaction().execute()
  try {
    const result = await work(trx)
    await trx.commit().execute()
    return result
  } catch (error) {
    await trx
      .rollback()
      .execute()
      .catch(() => {})
    throw error
  }
}
