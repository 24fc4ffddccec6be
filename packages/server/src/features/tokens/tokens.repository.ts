import type { Insertable, Kysely, Selectable, Transaction } from 'kysely'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'
import type { ApiTokensTable, StreamTicketsTable } from './tokens.table.ts'

type Executor = Kysely<DB> | Transaction<DB>

export type TokenRow = Selectable<ApiTokensTable>
export type TicketRow = Selectable<StreamTicketsTable>

/** A token with what its use needs of its officer. */
export interface TokenWithOfficer extends TokenRow {
  readonly officer_roles: string[]
  readonly officer_disabled_at: number | null
}

export async function insertToken(
  db: Executor,
  row: Omit<Insertable<ApiTokensTable>, 'scope'> & { scope: readonly string[] },
): Promise<void> {
  await db
    .insertInto('api_tokens')
    .values({ ...row, scope: jsonb(row.scope) })
    .execute()
}

export function tokenById(db: Executor, id: string): Promise<TokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst()
}

export function tokensOf(db: Executor, officer: string): Promise<TokenRow[]> {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('officer', '=', officer)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute()
}

function withOfficer(db: Executor) {
  return db
    .selectFrom('api_tokens')
    .innerJoin('officers', 'officers.id', 'api_tokens.officer')
    .selectAll('api_tokens')
    .select(['officers.roles as officer_roles', 'officers.disabled_at as officer_disabled_at'])
}

export function tokenBySecretHash(
  db: Executor,
  hash: string,
): Promise<TokenWithOfficer | undefined> {
  return withOfficer(db).where('api_tokens.secret_hash', '=', hash).executeTakeFirst()
}

export function tokenWithOfficer(db: Executor, id: string): Promise<TokenWithOfficer | undefined> {
  return withOfficer(db).where('api_tokens.id', '=', id).executeTakeFirst()
}

/**
 * Notes a use, unless one was noted within `everyMs`: the time is for an admin deciding
 * whether a token is still in use, and a busy script must not write on every call.
 */
export async function touchToken(
  db: Executor,
  id: string,
  now: number,
  everyMs: number,
): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now - everyMs)]))
    .execute()
}

export async function markRevoked(
  db: Executor,
  id: string,
  by: string | null,
  now: number,
): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ revoked_at: now, revoked_by: by })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute()
}

export async function insertTicket(db: Executor, row: TicketRow, now: number): Promise<void> {
  // Tickets nobody redeemed would otherwise stay forever.
  await db.deleteFrom('stream_tickets').where('expires_at', '<=', now).execute()
  await db.insertInto('stream_tickets').values(row).execute()
}

/** Takes a ticket: one statement, so two handshakes racing with one ticket get it once. */
export function takeTicket(db: Executor, hash: string): Promise<TicketRow | undefined> {
  return db
    .deleteFrom('stream_tickets')
    .where('ticket_hash', '=', hash)
    .returningAll()
    .executeTakeFirst()
}
