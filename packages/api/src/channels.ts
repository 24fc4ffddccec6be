import {
  bodySchemas,
  ChannelIdSchema,
  ChannelPolicySchema,
  EventIdSchema,
  PartyIdSchema,
} from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { EventViewSchema } from './events.ts'
import { operation } from './operation.ts'
import { PAGE_ERRORS, PageQuerySchema, pageOf } from './page.ts'
import { PresetNameSchema } from './presets.ts'

const closed = { additionalProperties: false } as const

/** A channel as this node knows it: its genesis facts, policy and members. */
export const ChannelSchema = Type.Object({
  id: ChannelIdSchema,
  title: Type.String(),
  creator: PartyIdSchema,
  genesisId: EventIdSchema,
  status: Type.Union([Type.Literal('invited'), Type.Literal('active')]),
  createdAt: Type.Integer(),
  policy: Type.Union([ChannelPolicySchema, Type.Object({}, closed)], {
    description: 'The policy of the channel’s genesis; {} when it was opened without one',
  }),
  members: Type.Array(
    Type.Object({
      party: PartyIdSchema,
      role: Type.Union([Type.Literal('member'), Type.Literal('observer')]),
      joined: Type.Boolean(),
    }),
  ),
  unread: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        'Events after your read marker (PUT /channels/:channel/read), counted up to 1000',
    }),
  ),
})
export type ChannelView = Static<typeof ChannelSchema>

/** The path of every channel's routes. */
export const ChannelParams = Type.Object({ channel: ChannelIdSchema })
/** The party an officer speaks for, when they may speak for more than one. */
export const AsSchema = Type.Optional(PartyIdSchema)

const create = bodySchemas['channel.create'].properties
const tags = ['channels']
/** Acting for a party: hosted here, and the officer's own. */
const acting = ['PARTY_NOT_HOSTED', 'PARTY_FORBIDDEN'] as const

/** Open channels, list them, and accept invitations, within the officer's compartments. */
export const channelOperations = {
  listChannels: operation({
    method: 'GET',
    path: '/channels',
    tags,
    summary:
      'A page of the channels of your compartments, in the order they were opened (the newest page by default)',
    auth: 'officer',
    querystring: PageQuerySchema,
    responses: { 200: pageOf('channels', ChannelSchema) },
    errors: [...PAGE_ERRORS],
  }),
  openChannel: operation({
    method: 'POST',
    path: '/channels',
    tags,
    summary: 'Open a channel: sign its genesis (channel.create) and invite its members',
    auth: 'officer',
    body: Type.Object(
      {
        as: AsSchema,
        title: create.title,
        members: create.members,
        observers: Type.Optional(create.observers),
        policy: create.policy,
        preset: Type.Optional(PresetNameSchema),
      },
      closed,
    ),
    responses: { 201: Type.Object({ channel: ChannelSchema, event: EventViewSchema }) },
    errors: [
      'FORBIDDEN_ROLE',
      ...acting,
      'RELEASE_GUARD_BLOCKED',
      'RELEASE_POLICY_BELOW_FLOOR',
      'EVENT_MALFORMED',
      'EVENT_TOO_LARGE',
      'PRESET_WITH_POLICY',
    ],
  }),
  getChannel: operation({
    method: 'GET',
    path: '/channels/:channel',
    tags,
    auth: 'officer',
    params: ChannelParams,
    responses: { 200: ChannelSchema },
    errors: ['CHANNEL_FORBIDDEN', 'CHANNEL_NOT_FOUND'],
  }),
  joinChannel: operation({
    method: 'POST',
    path: '/channels/:channel/join',
    tags,
    summary: 'Accept the invitation to a channel (channel.join)',
    auth: 'officer',
    params: ChannelParams,
    body: Type.Object({ as: AsSchema }, closed),
    responses: { 201: Type.Object({ event: EventViewSchema }) },
    errors: [
      'FORBIDDEN_ROLE',
      'CHANNEL_FORBIDDEN',
      'CHANNEL_NOT_FOUND',
      'INVITATION_NOT_FOUND',
      ...acting,
    ],
  }),
}
