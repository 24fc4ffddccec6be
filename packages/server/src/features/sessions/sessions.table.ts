/** Where a session stands: half logged in (password done, second factor due), or logged in. */
export type SessionStage = 'second-factor' | 'active'

/** What a pending WebAuthn ceremony of a session waits for. */
export type ChallengeKind = 'passkey-register' | 'passkey-login'

/** An officer's session. The cookie holds a random token; only its SHA-256 is stored. */
export interface SessionsTable {
  id_hash: string
  officer: string
  stage: SessionStage
  /** The synchronizer token the client echoes in `x-csrf-token`. */
  csrf_token: string
  created_at: number
  last_seen_at: number
  /** The absolute end of the session, fixed at login. */
  expires_at: number
  /** The officer's privilege epoch when the session id was issued. */
  privilege_epoch: number
  challenge: string | null
  challenge_kind: ChallengeKind | null
  challenge_expires_at: number | null
  ip: string
  user_agent: string | null
}

/** Failed logins per account (`account:<username>`) and per address (`address:<ip>`). */
export interface LoginFailuresTable {
  key: string
  failures: number
  window_start: number
  locked_until: number | null
}

export interface SessionTables {
  sessions: SessionsTable
  login_failures: LoginFailuresTable
}
