import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { bodySchemas, ChannelIdSchema, PartyIdSchema } from '@parley/protocol'
import { Type } from 'typebox'
import type { NodeContext } from '../../node/context.ts'
import { type EventView, EventViewSchema, toEventView } from '../../node/event-view.ts'
import { ComposedResponses, sendComposed } from '../compose/compose.plugin.ts'
import { type ComposeContext, compose, composeBatch } from '../compose/compose.service.ts'
import { timeline } from './messages.service.ts'

const post = bodySchemas['message.post'].properties
const translate = bodySchemas['message.translate'].properties
const closed = { additionalProperties: false } as const

const PostBody = Type.Object({ as: Type.Optional(PartyIdSchema), ...post }, closed)
const TranslateBody = Type.Object({ as: Type.Optional(PartyIdSchema), ...translate }, closed)
/** Most messages one batch request carries: the size of one group commit. */
export const MAX_BATCH_MESSAGES = 500
const BatchBody = Type.Object(
  {
    as: Type.Optional(PartyIdSchema),
    messages: Type.Array(Type.Object(post, closed), {
      minItems: 1,
      maxItems: MAX_BATCH_MESSAGES,
    }),
  },
  closed,
)
const ErrorSchema = Type.Object({ code: Type.String(), message: Type.String() })
const BatchResponse = Type.Object({
  events: Type.Array(EventViewSchema, {
    description: 'The stored messages, in the order they were sent',
  }),
  rejected: Type.Array(Type.Object({ index: Type.Integer(), error: ErrorSchema }), {
    description: 'Messages the ledger refused (by index in the request); nothing of them is stored',
  }),
})
const ChannelParams = Type.Object({ channel: ChannelIdSchema })
const composes = {
  auth: 'officer',
  requires: { role: 'drafter', channel: 'params.channel' },
} as const

/**
 * Officer API: post messages and translations, read a channel's timeline. A message the
 * channel policy holds for release waits in the release queue (202) like any composed item.
 */
export const messagesPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  compose: ComposeContext
}> = async (app, { ctx, compose: composing }) => {
  const tags = ['messages']
  const security = [{ devToken: [] }]

  app.post(
    '/channels/:channel/messages',
    {
      config: composes,
      schema: {
        tags,
        security,
        params: ChannelParams,
        body: PostBody,
        response: ComposedResponses,
      },
    },
    async (request, reply) => {
      const { as, ...body } = request.body
      const composed = await compose(composing, request.officer!, {
        channel: request.params.channel,
        type: 'message.post',
        body,
        ...(as === undefined ? {} : { as }),
      })
      return sendComposed(reply, composed)
    },
  )

  app.post(
    '/channels/:channel/messages/batch',
    {
      config: composes,
      // Up to 500 messages of up to 64 KiB: the size of one federation push, not 256 KiB.
      bodyLimit: 4 * 1024 * 1024,
      schema: {
        tags,
        security,
        summary: 'Post up to 500 messages in one request, committed in one transaction',
        description:
          'For automated posting. Each message passes the checks of a single post; they are ' +
          'signed and committed together, in order, and federated in the same pushes. A batch ' +
          'is never held for release: when the channel policy would hold any of its messages, ' +
          'the whole batch is refused with BATCH_NEEDS_RELEASE and nothing is stored.',
        params: ChannelParams,
        body: BatchBody,
        response: { 201: BatchResponse },
      },
    },
    async (request, reply) => {
      const { as, messages } = request.body
      const settled = await composeBatch(composing, request.officer!, {
        channel: request.params.channel,
        bodies: messages,
        ...(as === undefined ? {} : { as }),
      })
      const events: EventView[] = []
      const rejected: { index: number; error: { code: string; message: string } }[] = []
      for (const [index, outcome] of settled.entries()) {
        if (outcome.status === 'fulfilled') events.push(toEventView(outcome.value))
        else rejected.push({ index, error: errorOf(outcome.reason) })
      }
      // All refused: the batch failed as a single post would have, with the same error.
      if (events.length === 0) throw (settled[0] as PromiseRejectedResult).reason
      return reply.status(201).send({ events, rejected })
    },
  )

  app.post(
    '/channels/:channel/translations',
    {
      config: composes,
      schema: {
        tags,
        security,
        params: ChannelParams,
        body: TranslateBody,
        response: ComposedResponses,
      },
    },
    async (request, reply) => {
      const { as, ...body } = request.body
      const composed = await compose(composing, request.officer!, {
        channel: request.params.channel,
        type: 'message.translate',
        body,
        ...(as === undefined ? {} : { as }),
      })
      return sendComposed(reply, composed)
    },
  )

  app.get(
    '/channels/:channel/timeline',
    {
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'params.channel' } },
      schema: {
        tags,
        security,
        params: ChannelParams,
        response: { 200: Type.Object({ events: Type.Array(EventViewSchema) }) },
      },
    },
    async (request) => ({ events: await timeline(ctx, request.params.channel) }),
  )
}

function errorOf(reason: unknown): { code: string; message: string } {
  const { code, message } = reason as { code?: unknown; message?: unknown }
  return {
    code: typeof code === 'string' ? code : 'INTERNAL',
    message: typeof message === 'string' ? message : 'Internal error',
  }
}
