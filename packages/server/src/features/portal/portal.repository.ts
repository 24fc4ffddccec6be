import type { Kysely, RawBuilder, Selectable, Transaction } from 'kysely'
import type { DB } from '../../store/tables.ts'
import type {
  NewsletterSubscriptionsTable,
  NewsletterTokensTable,
  PublicationKind,
  PublicationsTable,
} from './portal.table.ts'

type Executor = Kysely<DB> | Transaction<DB>

export type PublicationRow = Selectable<PublicationsTable>
export type SubscriptionRow = Selectable<NewsletterSubscriptionsTable>
export type NewsletterTokenRow = Selectable<NewsletterTokensTable>

export async function insertPublication(db: Executor, row: PublicationRow): Promise<void> {
  await db.insertInto('publications').values(row).execute()
}

/** The standing (not withdrawn) publication of an item, if any. */
export function standingPublication(
  db: Executor,
  kind: PublicationKind,
  item: string,
  version: number,
): Promise<PublicationRow | undefined> {
  return db
    .selectFrom('publications')
    .selectAll()
    .where('kind', '=', kind)
    .where('item', '=', item)
    .where('version', '=', version)
    .where('withdrawn_at', 'is', null)
    .executeTakeFirst()
}

export function publicationById(db: Executor, id: string): Promise<PublicationRow | undefined> {
  return db.selectFrom('publications').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Marks a standing publication withdrawn; false when it was not standing. */
export async function markWithdrawn(
  db: Executor,
  id: string,
  by: string,
  at: number,
): Promise<boolean> {
  const result = await db
    .updateTable('publications')
    .set({ withdrawn_by: by, withdrawn_at: at })
    .where('id', '=', id)
    .where('withdrawn_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** One keyset page of a party's publications by (published_at, id). */
export function publicationRange(
  db: Executor,
  options: {
    readonly party: string
    readonly kind?: PublicationKind
    readonly where: RawBuilder<boolean> | undefined
    readonly direction: 'asc' | 'desc'
    readonly limit: number
  },
): Promise<PublicationRow[]> {
  let query = db
    .selectFrom('publications')
    .selectAll()
    .where('party', '=', options.party)
    .orderBy('published_at', options.direction)
    .orderBy('id', options.direction)
    .limit(options.limit)
  if (options.kind !== undefined) query = query.where('kind', '=', options.kind)
  if (options.where !== undefined) query = query.where(options.where)
  return query.execute()
}

/** Every standing publication, newest first (the portal reads at most `limit`). */
export function standingPublications(
  db: Executor,
  options: { readonly kind?: PublicationKind; readonly limit: number },
): Promise<PublicationRow[]> {
  let query = db
    .selectFrom('publications')
    .selectAll()
    .where('withdrawn_at', 'is', null)
    .orderBy('published_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit)
  if (options.kind !== undefined) query = query.where('kind', '=', options.kind)
  return query.execute()
}

export function subscriptionByEmail(
  db: Executor,
  email: string,
): Promise<SubscriptionRow | undefined> {
  return db
    .selectFrom('newsletter_subscriptions')
    .selectAll()
    .where('email', '=', email)
    .executeTakeFirst()
}

export async function insertSubscription(db: Executor, row: SubscriptionRow): Promise<void> {
  await db.insertInto('newsletter_subscriptions').values(row).execute()
}

export async function setSubscriptionStatus(
  db: Executor,
  id: string,
  change: Partial<Pick<SubscriptionRow, 'status' | 'lang' | 'confirmed_at' | 'unsubscribed_at'>>,
): Promise<void> {
  await db.updateTable('newsletter_subscriptions').set(change).where('id', '=', id).execute()
}

export async function insertToken(db: Executor, row: NewsletterTokenRow): Promise<void> {
  await db.insertInto('newsletter_tokens').values(row).execute()
}

/**
 * Uses a token once: marks it used when it is of `purpose`, unused and unexpired at `now`, and
 * returns its subscription; undefined otherwise. One statement, so a link works once however
 * many times it is followed at the same moment.
 */
export async function useToken(
  db: Executor,
  hash: string,
  purpose: NewsletterTokenRow['purpose'],
  now: number,
): Promise<string | undefined> {
  const row = await db
    .updateTable('newsletter_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', hash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where((where) => where.or([where('expires_at', 'is', null), where('expires_at', '>', now)]))
    .returning('subscription')
    .executeTakeFirst()
  return row?.subscription
}

/** A token that would still work, without using it (the page that asks to confirm). */
export async function tokenUsable(
  db: Executor,
  hash: string,
  purpose: NewsletterTokenRow['purpose'],
  now: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('newsletter_tokens')
    .select('token_hash')
    .where('token_hash', '=', hash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where((where) => where.or([where('expires_at', 'is', null), where('expires_at', '>', now)]))
    .executeTakeFirst()
  return row !== undefined
}

export function subscriptionById(db: Executor, id: string): Promise<SubscriptionRow | undefined> {
  return db
    .selectFrom('newsletter_subscriptions')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
}

/** Removes a subscription and its tokens (a sign-up whose mail never went). */
export async function deleteSubscription(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('newsletter_subscriptions').where('id', '=', id).execute()
}

/** The channel of a publication, for the access hook. */
export async function publicationChannel(db: Executor, id: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('publications')
    .select('channel')
    .where('id', '=', id)
    .executeTakeFirst()
  return row?.channel
}
