import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ChannelIdSchema } from '@parley/protocol'
import { Type } from 'typebox'
import { ServerError } from '../../errors.ts'
import { EventViewSchema, toEventView } from '../../node/event-view.ts'
import type { ComposeContext } from '../compose/compose.service.ts'
import { ReleaseSchema } from '../compose/release-view.ts'
import {
  approveRelease,
  channelOfRelease,
  getRelease,
  listReleases,
  rejectRelease,
} from './release.service.ts'

const ReleaseParams = Type.Object({ release: Type.String({ minLength: 1, maxLength: 64 }) })

/**
 * Release control (DESIGN §6): see the release queue, and approve or reject what another
 * officer composed.
 */
export const releasePlugin: FastifyPluginAsyncTypebox<{ compose: ComposeContext }> = async (
  app,
  { compose: ctx },
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
        // An item in a compartment the officer is outside of is answered as one that never was.
        hidden: (request: { params: unknown }) =>
          new ServerError('RELEASE_NOT_FOUND', {
            release: (request.params as { release: string }).release,
          }),
      },
    }) as const

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
