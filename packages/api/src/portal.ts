import { ChannelIdSchema, EventIdSchema, PartyIdSchema } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { operation } from './operation.ts'
import { PAGE_ERRORS, pageOf, pageQueryWith } from './page.ts'

/** Where the public portal lives on a node, outside the officer API. */
export const PORTAL_PREFIX = '/public'

/** What a party publishes on the portal. */
export const PublicationKindSchema = Type.Union([
  Type.Literal('agreement', { description: 'A version of a draft every member adopted' }),
  Type.Literal('redline', { description: 'A red line of the party, as it stands' }),
  Type.Literal('statement', {
    description: 'A message.post of the party (an attribution statement, say)',
  }),
])
export type PublicationKind = Static<typeof PublicationKindSchema>

export const PublicationIdSchema = Type.String({ pattern: '^pub_[0-9a-z]{26}$' })

/** A publication: a party's decision that one item is public, until it is withdrawn. */
export const PublicationSchema = Type.Object({
  id: PublicationIdSchema,
  party: PartyIdSchema,
  kind: PublicationKindSchema,
  channel: ChannelIdSchema,
  item: Type.String({
    description: 'The draft (agreement), the red line, or the statement’s event id',
  }),
  version: Type.Integer({ minimum: 1, description: 'The agreement’s version; 1 otherwise' }),
  publishedBy: Type.String({ description: 'The officer who published it' }),
  publishedAt: Type.Integer(),
  withdrawnBy: Type.Union([Type.String(), Type.Null()]),
  withdrawnAt: Type.Union([Type.Integer(), Type.Null()]),
  page: Type.String({ description: 'Its page on the portal (English), below the node’s URL' }),
})
export type PublicationView = Static<typeof PublicationSchema>

const closed = { additionalProperties: false } as const
const as = Type.Optional(PartyIdSchema)

/** What to publish: one item of a channel, of the officer's own party. */
export const PublicationRequestSchema = Type.Union([
  Type.Object(
    {
      as,
      kind: Type.Literal('agreement'),
      channel: ChannelIdSchema,
      draft: EventIdSchema,
      version: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    },
    closed,
  ),
  Type.Object(
    { as, kind: Type.Literal('redline'), channel: ChannelIdSchema, redline: EventIdSchema },
    closed,
  ),
  Type.Object(
    { as, kind: Type.Literal('statement'), channel: ChannelIdSchema, event: EventIdSchema },
    closed,
  ),
])
export type PublicationRequest = Static<typeof PublicationRequestSchema>

/** The rules a publication can break, each with its own code. */
export const PUBLICATION_ERRORS = [
  'FORBIDDEN_ROLE',
  'CHANNEL_FORBIDDEN',
  'PARTY_FORBIDDEN',
  'PUBLICATION_ITEM_UNKNOWN',
  'PUBLICATION_NOT_CLEAR',
  'PUBLICATION_NOT_OWN',
  'PUBLICATION_TYPE_UNPUBLISHABLE',
  'PUBLICATION_EXISTS',
] as const

const tags = ['portal']
const PublicationParams = Type.Object({ publication: PublicationIdSchema })

/**
 * Publication on the node's public portal (`/public/`): releasers and admins publish their
 * party's TLP:CLEAR items and jointly signed agreements their party signed, and withdraw them.
 */
export const portalOperations = {
  listPublications: operation({
    method: 'GET',
    path: '/publications',
    tags,
    summary: 'Your party’s publications, withdrawn ones included, a page at a time',
    auth: 'officer',
    querystring: pageQueryWith({ kind: Type.Optional(PublicationKindSchema) }),
    responses: { 200: pageOf('publications', PublicationSchema) },
    errors: ['FORBIDDEN_ROLE', ...PAGE_ERRORS],
  }),
  publish: operation({
    method: 'POST',
    path: '/publications',
    tags,
    summary: 'Publish an adopted agreement, a red line or a statement on the portal',
    auth: 'officer',
    body: PublicationRequestSchema,
    responses: { 201: PublicationSchema },
    errors: PUBLICATION_ERRORS,
  }),
  withdrawPublication: operation({
    method: 'DELETE',
    path: '/publications/:publication',
    tags,
    summary: 'Withdraw a publication: the item leaves the portal and its feed at once',
    auth: 'officer',
    params: PublicationParams,
    responses: { 200: PublicationSchema },
    errors: ['FORBIDDEN_ROLE', 'PUBLICATION_NOT_FOUND'],
  }),
}
