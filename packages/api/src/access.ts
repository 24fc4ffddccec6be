import { ChannelIdSchema } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { ChannelParams } from './channels.ts'
import { operation } from './operation.ts'
import { PAGE_ERRORS, PageQuerySchema, pageOf } from './page.ts'

/** An officer on a channel's access list. */
export const AccessEntrySchema = Type.Object({
  officer: Type.String(),
  party: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  disabled: Type.Boolean(),
  grantedBy: Type.Union([Type.String(), Type.Null()]),
  grantedAt: Type.Integer(),
})
export type AccessEntry = Static<typeof AccessEntrySchema>

/** A channel of the admin's party with its whole access list (bounded by the party's officers). */
export const CompartmentSchema = Type.Object({
  channel: ChannelIdSchema,
  title: Type.String(),
  officers: Type.Array(AccessEntrySchema),
})
export type Compartment = Static<typeof CompartmentSchema>

const GrantParams = Type.Object({
  channel: ChannelIdSchema,
  officer: Type.String({ minLength: 1, maxLength: 64 }),
})
const tags = ['access']
const manage = ['FORBIDDEN_ROLE', 'CHANNEL_FORBIDDEN'] as const

/** Compartments for admins: which officers of their party may see each channel. */
export const accessOperations = {
  listCompartments: operation({
    method: 'GET',
    path: '/access',
    tags,
    summary:
      'A page of the channels of your party, each with its access list, in the order they were opened',
    auth: 'officer',
    querystring: PageQuerySchema,
    responses: { 200: pageOf('channels', CompartmentSchema) },
    errors: ['FORBIDDEN_ROLE', ...PAGE_ERRORS],
  }),
  getAccessList: operation({
    method: 'GET',
    path: '/channels/:channel/access',
    tags,
    auth: 'officer',
    summary: 'A page of the access list of a channel: your party’s officers on it, by username',
    params: ChannelParams,
    querystring: PageQuerySchema,
    responses: { 200: pageOf('officers', AccessEntrySchema) },
    errors: [...manage, ...PAGE_ERRORS],
  }),
  grantAccess: operation({
    method: 'PUT',
    path: '/channels/:channel/access/:officer',
    tags,
    summary: 'Let an officer (id or username) of your party see and use the channel',
    auth: 'officer',
    params: GrantParams,
    responses: { 200: AccessEntrySchema },
    errors: [...manage, 'OFFICER_NOT_FOUND', 'ACCESS_GRANT_INVALID'],
  }),
  revokeAccess: operation({
    method: 'DELETE',
    path: '/channels/:channel/access/:officer',
    tags,
    summary: 'Take an officer off the channel’s access list; the channel disappears for them',
    auth: 'officer',
    params: GrantParams,
    responses: { 204: null },
    errors: [...manage, 'OFFICER_NOT_FOUND'],
  }),
}
