import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../store/tables.ts'
import { transaction } from '../store/transaction.ts'

const RETRYABLE = new Set([
  '23505', // unique_violation: a concurrent append stored the same row first
  '40001', // serialization_failure
  '40P01', // deadlock_detected
])

/**
 * Runs one append in a transaction, and again when it lost a race the chain lock does not
 * cover (two channel.create of one channel id by different parties, say): the retry then
 * sees the winner's rows and decides accordingly.
 */
export async function inTransaction<T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction(db, work)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (attempt >= 3 || typeof code !== 'string' || !RETRYABLE.has(code)) throw error
    }
  }
}
