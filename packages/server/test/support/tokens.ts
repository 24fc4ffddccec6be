import type { Kysely } from 'kysely'
import { insertGrant } from '../../src/features/access/access.repository.ts'
import { createOfficer, type Role } from '../../src/features/officers/officers.service.ts'
import { passwordHasher } from '../../src/features/officers/password.ts'
import { createToken } from '../../src/features/tokens/tokens.service.ts'
import type { DB } from '../../src/store/tables.ts'
import { cheapPasswordHash } from './password-hash.ts'

const operator = { officer: null, party: null, via: 'cli' } as const
const DAY = 24 * 3_600_000

/** An officer made for a test, with an API token of theirs. */
export interface TokenOfficer {
  readonly id: string
  readonly username: string
  readonly party: string
  /** The token's secret, for `Authorization: Bearer`. */
  readonly token: string
  readonly tokenId: string
}

export interface TokenOfficerSpec {
  readonly party: string
  readonly roles: readonly Role[]
  /** Channels whose access lists the officer is put on. */
  readonly channels?: readonly string[]
  /** The token's scope; by default every role of the officer. */
  readonly scope?: readonly Role[]
  readonly username?: string
  /** Default: 30 days after `now`. */
  readonly expiresAt?: number
}

let made = 0

/**
 * Creates an officer with exactly the given roles and compartments and issues an API token for
 * them, as the operator's CLI would (`parley officer add`, a grant, `parley officer token
 * create`): what a test's automation may do is what that officer may do, nothing more. Grants
 * are written directly, so give the channels of a fresh officer only; to grant later, go
 * through the API, which tells the node's caches.
 */
export async function officerWithToken(
  db: Kysely<DB>,
  now: () => number,
  spec: TokenOfficerSpec,
): Promise<TokenOfficer> {
  made += 1
  const username = spec.username ?? `bot-${spec.party}-${made}`
  const ctx = {
    db,
    now,
    parties: [spec.party],
    passwords: passwordHasher(cheapPasswordHash),
  }
  const { officer } = await createOfficer(ctx, operator, {
    party: spec.party,
    username,
    displayName: username,
    roles: spec.roles,
  })
  for (const channel of spec.channels ?? []) {
    await insertGrant(db, {
      channel,
      officer: officer.id,
      party: spec.party,
      grantedBy: null,
      grantedAt: now(),
    })
  }
  const { token, secret } = await createToken(ctx, operator, officer.id, {
    scope: spec.scope ?? spec.roles,
    expiresAt: spec.expiresAt ?? now() + 30 * DAY,
    label: 'test',
  })
  return { id: officer.id, username, party: spec.party, token: secret, tokenId: token.id }
}

/** Every role: for a test's general-purpose automation officer of a party. */
export const ALL_ROLES: readonly Role[] = ['viewer', 'drafter', 'releaser', 'admin']
