/** One signed consent receipt, kept as the exact canonical line `{"receipt":…,"sig":…}`. */
export interface ConsentReceiptsTable {
  seq: number
  hash: string
  line: string
  time: number
  consent_id: string
}

/** The chain's one row: the last receipt's seq and hash, and the checkpoint of the last prune. */
export interface ConsentChainTable {
  id: number
  seq: number
  head: string | null
  /** Receipts pruned so far. */
  pruned: number
  /** The signed checkpoint line `{"checkpoint":…,"sig":…}` of the last prune, if any. */
  checkpoint: string | null
}

export type RightsRequestState = 'unverified' | 'open' | 'responded' | 'closed'

/** A rights request: its identity token is kept only as a hash, with its expiry. */
export interface PrivacyRequestsTable {
  id: string
  kind: string
  jurisdiction: string
  email: string
  details: string
  language: string
  state: RightsRequestState
  token_hash: string
  token_expires_at: number
  created_at: number
  verified_at: number | null
  due_at: number | null
  overdue_at: number | null
  responded_at: number | null
  response: string | null
  closed_at: number | null
}

/** An e-mail address that opted out of the sale and sharing of its personal information. */
export interface PrivacyOptOutsTable {
  email: string
  request: string
  set_at: number
}

export interface PrivacyTables {
  consent_receipts: ConsentReceiptsTable
  consent_chain: ConsentChainTable
  privacy_requests: PrivacyRequestsTable
  privacy_opt_outs: PrivacyOptOutsTable
}
