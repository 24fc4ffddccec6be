import type { JsonColumn } from '../../ledger/ledger.table.ts'

/** A human officer of one hosted party (DESIGN §6); never federated. */
export interface OfficersTable {
  /** `o_` and 26 lowercase Crockford base32 digits: the pseudonym events carry as `officer`. */
  id: string
  party: string
  /** Lower case, unique on the node, so login needs no party. */
  username: string
  display_name: string
  email: string | null
  /** A set of roles, stored as a sorted JSON array. */
  roles: JsonColumn<string[]>
  disabled_at: number | null
  /** argon2id, PHC string format. */
  password_hash: string
  password_set_at: number
  /** Set by a reset: the officer must choose a new password before doing anything else. */
  must_change_password: boolean
  /** Base32 TOTP secret once enrolment is confirmed. */
  totp_secret: string | null
  /** A secret offered for enrolment, active only after the officer proves one code of it. */
  totp_pending_secret: string | null
  /** The last accepted TOTP time step: a code of this step or earlier is a replay. */
  totp_last_step: number | null
  /** Bumped whenever the officer's privileges change; sessions of an older epoch rotate. */
  privilege_epoch: number
  created_at: number
  updated_at: number
}

/** A WebAuthn credential (passkey) registered as an officer's second factor. */
export interface OfficerPasskeysTable {
  /** The credential id, base64url. */
  id: string
  officer: string
  /** The COSE public key, base64url. */
  public_key: string
  /** The authenticator's signature counter; a smaller one than stored means a cloned key. */
  counter: number
  transports: JsonColumn<string[]>
  name: string
  created_at: number
  last_used_at: number | null
}

/** Single-use recovery codes; only their hashes are kept. */
export interface OfficerRecoveryCodesTable {
  officer: string
  code_hash: string
  created_at: number
  used_at: number | null
}

export interface OfficerTables {
  officers: OfficersTable
  officer_passkeys: OfficerPasskeysTable
  officer_recovery_codes: OfficerRecoveryCodesTable
}
