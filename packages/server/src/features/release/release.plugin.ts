import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ChannelIdSchema, PartyIdSchema } from '@parley/protocol'
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { EventViewSchema, toEventView } from '../../node/event-view.ts'
import {
  approveRelease,
  COMPOSABLE_TYPES,
  type Composed,
  channelOfRelease,
  compose,
  getRelease,
  listReleases,
  type ReleaseContext,
  ReleaseSchema,
  rejectRelease,
} from './release.service.ts'

const ReleaseParams = Type.Object({ release: Type.String({ minLength: 1, maxLength: 64 }) })

/** The reply to a composition: 201 with the event, or 202 with the item waiting for release. */
export const ComposedResponses = {
  201: Type.Object({ event: EventViewSchema }),
  202: Type.Object({ release: ReleaseSchema }),
}

/** Sends a composition's outcome as {@link ComposedResponses} describes. */
export function sendComposed(reply: FastifyReply, composed: Composed) {
  return composed.status === 'released'
    ? reply.status(201).send({ event: toEventView(composed.event) })
    : reply.status(202).send({ release: composed.release })
}

/**
 * Release control (DESIGN §6): compose any v1 item, see the release queue, and approve or
 * reject what another officer composed.
 */
export const releasePlugin: FastifyPluginAsyncTypebox<{ release: ReleaseContext }> = async (
  app,
  { release: ctx },
) => {
  const tags = ['release']
  const security = [{ session: [] }]
  const item = (role: 'drafter' | 'releaser') =>
    ({
      auth: 'officer',
      requires: {
        role,
        channel: (request: { params: unknown }) =>
          channelOfRelease(ctx, (request.params as { release: string }).release),
      },
    }) as const

  app.post(
    '/channels/:channel/compose',
    {
      config: { auth: 'officer', requires: { role: 'drafter', channel: 'params.channel' } },
      schema: {
        tags,
        security,
        summary:
          'Compose a v1 item; it is signed at once, or waits for a releaser when the channel policy says so',
        params: Type.Object({ channel: ChannelIdSchema }),
        body: Type.Object(
          {
            as: Type.Optional(PartyIdSchema),
            type: Type.Union(COMPOSABLE_TYPES.map((type) => Type.Literal(type))),
            body: Type.Object({}, { additionalProperties: true }),
          },
          { additionalProperties: false },
        ),
        response: ComposedResponses,
      },
    },
    async (request, reply) => {
      const { as, type, body } = request.body
      const composed = await compose(ctx, request.officer!, {
        channel: request.params.channel,
        type,
        body,
        ...(as === undefined ? {} : { as }),
      })
      return sendComposed(reply, composed)
    },
  )

  app.get(
    '/releases',
    {
      config: { auth: 'officer', requires: { role: 'drafter', channel: 'query.channel' } },
      schema: {
        tags,
        security,
        summary: 'The release queue of your compartments, newest first',
        querystring: Type.Object(
          {
            channel: Type.Optional(ChannelIdSchema),
            status: Type.Optional(
              Type.Union([
                Type.Literal('pending'),
                Type.Literal('approved'),
                Type.Literal('released'),
                Type.Literal('rejected'),
              ]),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ releases: Type.Array(ReleaseSchema) }) },
      },
    },
    async (request) => ({ releases: await listReleases(ctx, request.officer!, request.query) }),
  )

  app.get(
    '/releases/:release',
    {
      config: item('drafter'),
      schema: { tags, security, params: ReleaseParams, response: { 200: ReleaseSchema } },
    },
    (request) => getRelease(ctx, request.officer!, request.params.release),
  )

  app.post(
    '/releases/:release/approve',
    {
      config: item('releaser'),
      schema: {
        tags,
        security,
        summary: 'Approve an item another officer composed: it is signed and sent',
        params: ReleaseParams,
        response: { 200: Type.Object({ release: ReleaseSchema, event: EventViewSchema }) },
      },
    },
    async (request) => {
      const approved = await approveRelease(ctx, request.officer!, request.params.release)
      return { release: approved.release, event: toEventView(approved.event) }
    },
  )

  app.post(
    '/releases/:release/reject',
    {
      config: item('releaser'),
      schema: {
        tags,
        security,
        summary: 'Reject a pending item, saying why',
        params: ReleaseParams,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 2000 }) },
          { additionalProperties: false },
        ),
        response: { 200: ReleaseSchema },
      },
    },
    (request) => rejectRelease(ctx, request.officer!, request.params.release, request.body.reason),
  )
}
