import {
  bodySchemas,
  ChannelIdSchema,
  EVENT_TYPES,
  type EventType,
  PartyIdSchema,
} from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { ChannelParams } from './channels.ts'
import { EventViewSchema } from './events.ts'
import { operation } from './operation.ts'
import { PAGE_ERRORS, pageOf, pageQueryWith } from './page.ts'

/** Event types an officer composes in an existing channel (opening and joining have routes). */
export type ComposableType = Exclude<EventType, 'channel.create' | 'channel.join'>
export const COMPOSABLE_TYPES: readonly ComposableType[] = EVENT_TYPES.filter(
  (type): type is ComposableType => type !== 'channel.create' && type !== 'channel.join',
)

const closed = { additionalProperties: false } as const

const composition = <T extends ComposableType>(type: T) =>
  Type.Object(
    { as: Type.Optional(PartyIdSchema), type: Type.Literal(type), body: bodySchemas[type] },
    closed,
  )

/** What an officer composes: one v1 item, its body checked against its type's schema. */
export const CompositionSchema = Type.Union([
  composition('message.post'),
  composition('message.translate'),
  composition('notice.open'),
  composition('notice.ack'),
  composition('notice.reply'),
  composition('notice.close'),
  composition('redline.declare'),
  composition('redline.revise'),
  composition('redline.withdraw'),
  composition('draft.create'),
  composition('draft.propose'),
  composition('draft.accept'),
  composition('draft.adopt'),
  composition('compliance.report'),
  composition('forward'),
  composition('directory.update'),
])
export type CompositionInput = Static<typeof CompositionSchema>

export const ReleaseStatusSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('approved'),
  Type.Literal('released'),
  Type.Literal('rejected'),
])

const releaseOf = <T extends ComposableType>(type: T) =>
  Type.Object({
    id: Type.String({ pattern: '^r_[0-9a-z]{26}$' }),
    channel: Type.String(),
    party: Type.String(),
    type: Type.Literal(type),
    body: bodySchemas[type],
    drafter: Type.String({ description: 'The officer who composed it; the event carries this id' }),
    createdAt: Type.Integer(),
    status: ReleaseStatusSchema,
    decidedBy: Type.Union([Type.String(), Type.Null()]),
    decidedAt: Type.Union([Type.Integer(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    event: Type.Union([Type.String(), Type.Null()], { description: 'The released event’s id' }),
  })

/** A release queue item as the API shows it, told apart by the type of what it holds. */
export const ReleaseSchema = Type.Union([
  releaseOf('message.post'),
  releaseOf('message.translate'),
  releaseOf('notice.open'),
  releaseOf('notice.ack'),
  releaseOf('notice.reply'),
  releaseOf('notice.close'),
  releaseOf('redline.declare'),
  releaseOf('redline.revise'),
  releaseOf('redline.withdraw'),
  releaseOf('draft.create'),
  releaseOf('draft.propose'),
  releaseOf('draft.accept'),
  releaseOf('draft.adopt'),
  releaseOf('compliance.report'),
  releaseOf('forward'),
  releaseOf('directory.update'),
])
export type ReleaseView = Static<typeof ReleaseSchema>

/** The answer to a composition: 201 with the event, or 202 with the item waiting for release. */
export const ComposedResponses = {
  201: Type.Object({ event: EventViewSchema }),
  202: Type.Object({ release: ReleaseSchema }),
}

/**
 * What composing an item can refuse, beyond the channel: the party it speaks for, the release
 * guard, and the ledger's own checks of the signed event.
 */
export const COMPOSE_ERRORS = [
  'FORBIDDEN_ROLE',
  'CHANNEL_FORBIDDEN',
  'CHANNEL_NOT_FOUND',
  'PARTY_NOT_HOSTED',
  'PARTY_FORBIDDEN',
  'RELEASE_GUARD_BLOCKED',
  'EVENT_MALFORMED',
  'EVENT_TOO_LARGE',
  'NOT_A_MEMBER',
  'FORBIDDEN_FOR_TYPE',
  'EVENT_REFERENCE_UNKNOWN',
  'NOTICE_TEMPLATE_INCOMPLETE',
  'NOTICE_NOT_FOUND',
  'NOTICE_CLOSED',
  'NOTICE_OWN_ACK',
  'NOTICE_ALREADY_ACKNOWLEDGED',
  'SECTOR_UNKNOWN',
  'REDLINE_SECTOR_UNKNOWN',
  'DRAFT_NOT_FOUND',
  'DRAFT_CHOICE_UNKNOWN',
  'DRAFT_ALTERNATIVE_NOT_OWN',
  'DRAFT_HASH_STALE',
  'DRAFT_VERSION_CLOSED',
  'RAPPORTEUR_CANNOT_DECIDE',
  'OBSERVER_CANNOT_POST',
  'FORWARD_ITEM_UNKNOWN',
  'COMPLIANCE_AGREEMENT_NOT_ADOPTED',
  'COMPLIANCE_PARAGRAPH_UNKNOWN',
] as const

const tags = ['release']
const ReleaseParams = Type.Object({ release: Type.String({ minLength: 1, maxLength: 64 }) })
const item = ['RELEASE_NOT_FOUND', 'CHANNEL_FORBIDDEN'] as const

/** Release control (DESIGN §6): compose any v1 item, see the queue, approve or reject. */
export const releaseOperations = {
  compose: operation({
    method: 'POST',
    path: '/channels/:channel/compose',
    tags,
    summary:
      'Compose a v1 item; it is signed at once, or waits for a releaser when the channel policy says so',
    auth: 'officer',
    params: ChannelParams,
    body: CompositionSchema,
    responses: ComposedResponses,
    errors: COMPOSE_ERRORS,
  }),
  listReleases: operation({
    method: 'GET',
    path: '/releases',
    tags,
    summary:
      'A page of the release queue of your compartments, in the order items were composed (the newest page by default)',
    auth: 'officer',
    querystring: pageQueryWith({
      channel: Type.Optional(ChannelIdSchema),
      status: Type.Optional(ReleaseStatusSchema),
    }),
    responses: { 200: pageOf('releases', ReleaseSchema) },
    errors: ['FORBIDDEN_ROLE', 'CHANNEL_FORBIDDEN', ...PAGE_ERRORS],
  }),
  getRelease: operation({
    method: 'GET',
    path: '/releases/:release',
    tags,
    auth: 'officer',
    params: ReleaseParams,
    responses: { 200: ReleaseSchema },
    errors: ['FORBIDDEN_ROLE', ...item],
  }),
  approveRelease: operation({
    method: 'POST',
    path: '/releases/:release/approve',
    tags,
    summary: 'Approve an item another officer composed: it is signed and sent',
    auth: 'officer',
    params: ReleaseParams,
    querystring: Type.Object(
      {
        publish: Type.Optional(
          Type.Boolean({
            description:
              'Also publish the released item on the public portal (TLP:CLEAR statements and red lines, adoptions)',
          }),
        ),
      },
      closed,
    ),
    responses: { 200: Type.Object({ release: ReleaseSchema, event: EventViewSchema }) },
    errors: [
      ...COMPOSE_ERRORS,
      ...item,
      'RELEASE_NOT_PENDING',
      'RELEASE_OWN_DRAFT',
      'PUBLICATION_NOT_CLEAR',
      'PUBLICATION_TYPE_UNPUBLISHABLE',
    ],
  }),
  rejectRelease: operation({
    method: 'POST',
    path: '/releases/:release/reject',
    tags,
    summary: 'Reject a pending item, saying why',
    auth: 'officer',
    params: ReleaseParams,
    body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, closed),
    responses: { 200: ReleaseSchema },
    errors: ['FORBIDDEN_ROLE', ...item, 'RELEASE_NOT_PENDING'],
  }),
}
