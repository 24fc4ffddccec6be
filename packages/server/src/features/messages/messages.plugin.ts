import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type ApiErrorBody, operations as api } from '@parley/api'
import { isProtocolError } from '@parley/protocol'
import { isServerError } from '../../errors.ts'
import { schemaOf } from '../../http/route-schema.ts'
import type { NodeContext } from '../../node/context.ts'
import { type EventView, toEventView } from '../../node/event-view.ts'
import { sendComposed } from '../compose/compose.plugin.ts'
import { type ComposeContext, compose, composeBatch } from '../compose/compose.service.ts'
import { timeline } from './messages.service.ts'

const composes = {
  auth: 'officer',
  requires: { role: 'drafter', channel: 'params.channel' },
  tokenUseCommits: true,
} as const

/**
 * Officer API: post messages and translations, read a channel's timeline. A message the
 * channel policy holds for release waits in the release queue (202) like any composed item.
 */
export const messagesPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  compose: ComposeContext
}> = async (app, { ctx, compose: composing }) => {
  app.post(
    api.postMessage.path,
    { config: composes, schema: schemaOf(api.postMessage) },
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
    api.postMessages.path,
    {
      config: composes,
      // Up to 500 messages of up to 64 KiB: the size of one federation push, not 256 KiB.
      bodyLimit: 4 * 1024 * 1024,
      schema: schemaOf(api.postMessages),
    },
    async (request, reply) => {
      const { as, messages } = request.body
      const settled = await composeBatch(composing, request.officer!, {
        channel: request.params.channel,
        bodies: messages,
        ...(as === undefined ? {} : { as }),
      })
      const events: EventView[] = []
      const rejected: { index: number; error: ApiErrorBody }[] = []
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
    api.postTranslation.path,
    { config: composes, schema: schemaOf(api.postTranslation) },
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
    api.getTimeline.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'params.channel' } },
      schema: schemaOf(api.getTimeline),
    },
    async (request) => timeline(ctx, request.params.channel, request.query),
  )
}

/** A refused message's error, as the API's error body states it. */
function errorOf(reason: unknown): ApiErrorBody {
  if (isServerError(reason) || isProtocolError(reason)) {
    const details = isServerError(reason) ? { ...reason.details, ...reason.lists } : reason.details
    return {
      code: reason.code,
      message: reason.message,
      ...(Object.keys(details).length > 0 ? { details: details as ApiErrorBody['details'] } : {}),
    }
  }
  return { code: 'INTERNAL', message: 'Internal error' }
}
