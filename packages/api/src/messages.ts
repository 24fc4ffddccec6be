import { bodySchemas } from '@parley/protocol'
import { Type } from 'typebox'
import { ApiErrorBodySchema } from './api-error.ts'
import { AsSchema, ChannelParams } from './channels.ts'
import { EventViewSchema } from './events.ts'
import { operation } from './operation.ts'
import { PAGE_ERRORS, PageQuerySchema, pageOf } from './page.ts'
import { COMPOSE_ERRORS, ComposedResponses } from './release.ts'

const post = bodySchemas['message.post'].properties
const translate = bodySchemas['message.translate'].properties
const closed = { additionalProperties: false } as const

/** Most messages one batch request carries: the size of one group commit. */
export const MAX_BATCH_MESSAGES = 500

const BatchResponse = Type.Object({
  events: Type.Array(EventViewSchema, {
    description: 'The stored messages, in the order they were sent',
  }),
  rejected: Type.Array(Type.Object({ index: Type.Integer(), error: ApiErrorBodySchema }), {
    description: 'Messages the ledger refused (by index in the request); nothing of them is stored',
  }),
})

const tags = ['messages']

/** Post messages and translations, and read a channel's timeline. */
export const messageOperations = {
  postMessage: operation({
    method: 'POST',
    path: '/channels/:channel/messages',
    tags,
    summary: 'Post a message (message.post); the channel policy may hold it for release',
    auth: 'officer',
    params: ChannelParams,
    body: Type.Object({ as: AsSchema, ...post }, closed),
    responses: ComposedResponses,
    errors: COMPOSE_ERRORS,
  }),
  postMessages: operation({
    method: 'POST',
    path: '/channels/:channel/messages/batch',
    tags,
    summary: 'Post up to 500 messages in one request, committed in one transaction',
    description:
      'For automated posting. Each message passes the checks of a single post; they are ' +
      'signed and committed together, in order, and federated in the same pushes. A batch ' +
      'is never held for release: when the channel policy would hold any of its messages, ' +
      'the whole batch is refused with BATCH_NEEDS_RELEASE and nothing is stored.',
    auth: 'officer',
    params: ChannelParams,
    body: Type.Object(
      {
        as: AsSchema,
        messages: Type.Array(Type.Object(post, closed), {
          minItems: 1,
          maxItems: MAX_BATCH_MESSAGES,
        }),
      },
      closed,
    ),
    responses: { 201: BatchResponse },
    errors: [...COMPOSE_ERRORS, 'BATCH_NEEDS_RELEASE'],
  }),
  postTranslation: operation({
    method: 'POST',
    path: '/channels/:channel/translations',
    tags,
    summary: 'Translate an event (message.translate); the channel policy may hold it for release',
    auth: 'officer',
    params: ChannelParams,
    body: Type.Object({ as: AsSchema, ...translate }, closed),
    responses: ComposedResponses,
    errors: COMPOSE_ERRORS,
  }),
  getTimeline: operation({
    method: 'GET',
    path: '/channels/:channel/timeline',
    tags,
    summary: 'A page of the channel’s events in order, with where each stands with its recipients',
    description:
      'Events in the deterministic display order, oldest first within the page. Without a cursor, the newest page; `before` reads older pages, `after` newer ones (see docs/api.md, Paging).',
    auth: 'officer',
    params: ChannelParams,
    querystring: PageQuerySchema,
    responses: { 200: pageOf('events', EventViewSchema) },
    errors: ['CHANNEL_FORBIDDEN', 'CHANNEL_NOT_FOUND', ...PAGE_ERRORS],
  }),
}
