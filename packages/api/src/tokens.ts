import { PartyIdSchema } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { RoleSchema } from './officers.ts'
import { operation } from './operation.ts'

/**
 * How an API token begins, so that secret scanners (and people) recognise a leaked one:
 * `parley_pat_` and 43 base64url characters (256 random bits).
 */
export const API_TOKEN_PREFIX = 'parley_pat_'
/** How a stream ticket begins: `parley_wst_` and 43 base64url characters. */
export const STREAM_TICKET_PREFIX = 'parley_wst_'
/** The longest a token may live: a year and a day, so that a yearly rotation fits. */
export const MAX_TOKEN_LIFETIME_MS = 366 * 24 * 3_600_000
/** How long a stream ticket is good for. */
export const STREAM_TICKET_LIFETIME_MS = 30_000

export const ApiTokenIdSchema = Type.String({ pattern: '^t_[0-9a-z]{26}$' })

/** An API token as the API and the CLI show it: never its secret. */
export const ApiTokenSchema = Type.Object({
  id: ApiTokenIdSchema,
  officer: Type.String({ pattern: '^o_[0-9a-z]{26}$' }),
  party: PartyIdSchema,
  label: Type.String(),
  scope: Type.Array(RoleSchema, {
    description:
      'The most the token may do: roles its officer holds or outranks; their current roles bound it further',
  }),
  createdAt: Type.Integer(),
  createdBy: Type.Union([Type.String(), Type.Null()], {
    description: 'The admin who issued it; null for the operator’s CLI',
  }),
  expiresAt: Type.Integer(),
  lastUsedAt: Type.Union([Type.Integer(), Type.Null()], {
    description: 'To the minute: uses within a minute of the last noted one are not noted',
  }),
  revokedAt: Type.Union([Type.Integer(), Type.Null()]),
  revokedBy: Type.Union([Type.String(), Type.Null()]),
})
export type ApiTokenView = Static<typeof ApiTokenSchema>

const closed = { additionalProperties: false } as const
const tags = ['tokens']
const OfficerParams = Type.Object({ officer: Type.String({ minLength: 1, maxLength: 64 }) })

/**
 * API tokens for automation, each bound to one officer (admins of that officer's party issue
 * them), and the tickets that let a token holder open a live stream without putting the token
 * in a URL.
 */
export const tokenOperations = {
  createApiToken: operation({
    method: 'POST',
    path: '/officers/:officer/tokens',
    tags,
    summary: 'Issue an API token for an officer; its secret is in this answer only',
    auth: 'officer',
    params: OfficerParams,
    body: Type.Object(
      {
        scope: Type.Array(RoleSchema, { minItems: 1, maxItems: 4, uniqueItems: true }),
        expiresAt: Type.Integer({
          description: 'Milliseconds since the epoch; in the future, at most 366 days from now',
        }),
        label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      },
      closed,
    ),
    responses: {
      201: Type.Object({
        token: ApiTokenSchema,
        secret: Type.String({
          description: 'Send it as `Authorization: Bearer <secret>`; the node keeps only a hash',
        }),
      }),
    },
    errors: ['FORBIDDEN_ROLE', 'OFFICER_NOT_FOUND', 'TOKEN_SCOPE_INVALID', 'TOKEN_EXPIRY_INVALID'],
  }),
  listApiTokens: operation({
    method: 'GET',
    path: '/officers/:officer/tokens',
    tags,
    summary: 'An officer’s API tokens, revoked and expired ones too; never a secret',
    auth: 'officer',
    params: OfficerParams,
    responses: { 200: Type.Object({ tokens: Type.Array(ApiTokenSchema) }) },
    errors: ['FORBIDDEN_ROLE', 'OFFICER_NOT_FOUND'],
  }),
  revokeApiToken: operation({
    method: 'POST',
    path: '/tokens/:token/revoke',
    tags,
    summary: 'Revoke an API token: it is refused from its next use on',
    auth: 'officer',
    params: Type.Object({ token: Type.String({ minLength: 1, maxLength: 64 }) }),
    responses: { 200: ApiTokenSchema },
    errors: ['FORBIDDEN_ROLE', 'TOKEN_NOT_FOUND'],
  }),
  createStreamTicket: operation({
    method: 'POST',
    path: '/stream/tickets',
    tags: ['stream'],
    summary: 'A single-use ticket, good for 30 s, to open the live stream as yourself',
    description:
      'Open `GET /api/v1/stream?ticket=<ticket>` with it: the stream acts as the officer who ' +
      'asked, with the roles of the token or session that asked, and ends when that ends.',
    auth: 'officer',
    responses: {
      201: Type.Object({ ticket: Type.String(), expiresAt: Type.Integer() }),
    },
    errors: [],
  }),
}
