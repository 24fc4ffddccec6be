/** What a party published: an adopted agreement (a version of a draft), a red line, a statement. */
export type PublicationKind = 'agreement' | 'redline' | 'statement'

export interface PublicationsTable {
  /** `pub_` and 26 Crockford base32 characters. */
  id: string
  party: string
  kind: PublicationKind
  channel: string
  /** The draft (agreement), the red line (its declaration's id), or the statement's event id. */
  item: string
  /** The agreement's version; 1 for red lines and statements. */
  version: number
  published_by: string
  published_at: number
  withdrawn_by: string | null
  withdrawn_at: number | null
}

export type SubscriptionStatus = 'pending' | 'confirmed' | 'unsubscribed'

export interface NewsletterSubscriptionsTable {
  id: string
  /** Lower-cased. */
  email: string
  lang: string
  status: SubscriptionStatus
  created_at: number
  confirmed_at: number | null
  unsubscribed_at: number | null
}

export interface NewsletterTokensTable {
  /** Lowercase hex SHA-256 of the token a mail's link carries. */
  token_hash: string
  subscription: string
  purpose: 'confirm' | 'unsubscribe'
  created_at: number
  /** Null: the link works until it is used (unsubscribing). */
  expires_at: number | null
  used_at: number | null
}

export interface PortalTables {
  publications: PublicationsTable
  newsletter_subscriptions: NewsletterSubscriptionsTable
  newsletter_tokens: NewsletterTokensTable
}
