import { ChannelIdSchema } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { ChannelParams } from './channels.ts'
import { operation } from './operation.ts'

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
    summary: 'Every channel of your party with its access list',
    auth: 'officer',
    responses: {
      200: Type.Object({
        channels: Type.Array(
          Type.Object({
            channel: ChannelIdSchema,
            title: Type.String(),
            officers: Type.Array(AccessEntrySchema),
          }),
        ),
      }),
    },
    errors: ['FORBIDDEN_ROLE'],
  }),
  getAccessList: operation({
    method: 'GET',
    path: '/channels/:channel/access',
    tags,
    auth: 'officer',
    params: ChannelParams,
    responses: { 200: Type.Object({ officers: Type.Array(AccessEntrySchema) }) },
    errors: manage,
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
