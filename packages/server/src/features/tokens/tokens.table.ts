import type { JsonColumn } from '../../ledger/ledger.table.ts'

/**
 * An API token: a credential an admin issued for one officer, for automation. The holder acts
 * as that officer with at most `scope` of the officer's roles. The secret is never stored.
 */
export interface ApiTokensTable {
  /** `t_` and 26 Crockford digits: how the audit log, the API and the CLI name the token. */
  id: string
  /** SHA-256 (hex) of the secret the holder presents. */
  secret_hash: string
  officer: string
  party: string
  label: string
  /** A sorted JSON array of roles, each one the officer held at creation. */
  scope: JsonColumn<string[]>
  /** The officer who issued it; null for the operator's CLI. */
  created_by: string | null
  created_at: number
  expires_at: number
  last_used_at: number | null
  revoked_by: string | null
  revoked_at: number | null
}

/**
 * A ticket that opens one live stream (`GET /api/v1/stream?ticket=`): single use, seconds
 * long, bound to an officer and to the credential that asked for it (a token or a session).
 */
export interface StreamTicketsTable {
  ticket_hash: string
  officer: string
  token: string | null
  /** The session's id hash. */
  session: string | null
  expires_at: number
}

export interface TokenTables {
  api_tokens: ApiTokensTable
  stream_tickets: StreamTicketsTable
}
