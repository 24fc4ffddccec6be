import { PartyIdSchema } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { operation } from './operation.ts'
import { PAGE_ERRORS, PageQuerySchema, pageOf } from './page.ts'

/** What an officer may do (DESIGN §6); an officer holds a set of them. */
export const ROLES = ['viewer', 'drafter', 'releaser', 'admin'] as const
export type Role = (typeof ROLES)[number]
export const RoleSchema = Type.Union([
  Type.Literal('viewer'),
  Type.Literal('drafter'),
  Type.Literal('releaser'),
  Type.Literal('admin'),
])

export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@+-]{1,63}$'

/** Login names: letters, digits and `._@+-` (an e-mail address works), compared lower case. */
export const UsernameSchema = Type.String({ pattern: USERNAME_PATTERN })

/** An officer as the API and the CLI show it; no secrets. */
export const OfficerSchema = Type.Object({
  id: Type.String({ pattern: '^o_[0-9a-z]{26}$' }),
  party: PartyIdSchema,
  username: Type.String(),
  displayName: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(RoleSchema),
  disabled: Type.Boolean(),
  mustChangePassword: Type.Boolean(),
  factors: Type.Object({
    totp: Type.Boolean(),
    passkeys: Type.Integer(),
    recoveryCodes: Type.Integer({ description: 'Unused recovery codes left' }),
  }),
  createdAt: Type.Integer(),
})
export type OfficerView = Static<typeof OfficerSchema>

const closed = { additionalProperties: false } as const
const tags = ['officers']
const OfficerParams = Type.Object({ officer: Type.String({ minLength: 1, maxLength: 64 }) })
const Roles = Type.Array(RoleSchema, { minItems: 1, maxItems: 4, uniqueItems: true })
const WithPassword = Type.Object({
  officer: OfficerSchema,
  password: Type.Union([Type.String(), Type.Null()], {
    description: 'The generated password, shown this once; the officer must change it',
  }),
})

/** Officer management for admins: an admin manages the officers of their own party. */
export const officerOperations = {
  listOfficers: operation({
    method: 'GET',
    path: '/officers',
    tags,
    summary: 'A page of the officers of your party, by username (the first page with from=oldest)',
    auth: 'officer',
    querystring: PageQuerySchema,
    responses: { 200: pageOf('officers', OfficerSchema) },
    errors: ['FORBIDDEN_ROLE', ...PAGE_ERRORS],
  }),
  createOfficer: operation({
    method: 'POST',
    path: '/officers',
    tags,
    summary: 'Create an officer with a generated password (shown once)',
    auth: 'officer',
    body: Type.Object(
      {
        party: Type.Optional(PartyIdSchema),
        username: UsernameSchema,
        displayName: Type.String({ minLength: 1, maxLength: 200 }),
        email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
        roles: Roles,
      },
      closed,
    ),
    responses: { 201: WithPassword },
    errors: ['FORBIDDEN_ROLE', 'PARTY_NOT_HOSTED', 'USERNAME_TAKEN'],
  }),
  setOfficerRoles: operation({
    method: 'PUT',
    path: '/officers/:officer/roles',
    tags,
    summary: 'Replace an officer’s roles; their sessions get a new id',
    auth: 'officer',
    params: OfficerParams,
    body: Type.Object({ roles: Roles }, closed),
    responses: { 200: OfficerSchema },
    errors: ['FORBIDDEN_ROLE', 'OFFICER_NOT_FOUND', 'LAST_ADMIN'],
  }),
  disableOfficer: operation({
    method: 'POST',
    path: '/officers/:officer/disable',
    tags,
    summary: 'Disable an officer and end their sessions',
    auth: 'officer',
    params: OfficerParams,
    responses: { 200: OfficerSchema },
    errors: ['FORBIDDEN_ROLE', 'OFFICER_NOT_FOUND', 'LAST_ADMIN'],
  }),
  enableOfficer: operation({
    method: 'POST',
    path: '/officers/:officer/enable',
    tags,
    auth: 'officer',
    params: OfficerParams,
    responses: { 200: OfficerSchema },
    errors: ['FORBIDDEN_ROLE', 'OFFICER_NOT_FOUND'],
  }),
  resetOfficerPassword: operation({
    method: 'POST',
    path: '/officers/:officer/reset-password',
    tags,
    summary: 'Set a generated password (shown once) and end the officer’s sessions',
    auth: 'officer',
    params: OfficerParams,
    body: Type.Object({ clearFactors: Type.Optional(Type.Boolean()) }, closed),
    responses: { 200: WithPassword },
    errors: ['FORBIDDEN_ROLE', 'OFFICER_NOT_FOUND'],
  }),
}
