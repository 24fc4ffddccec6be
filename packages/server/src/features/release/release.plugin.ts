import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import type { FastifyReply } from 'fastify'
import { toEventView } from '../../node/event-view.ts'
import { schemaOf } from '../../route-schema.ts'
import {
  approveRelease,
  type Composed,
  channelOfRelease,
  compose,
  getRelease,
  listReleases,
  type ReleaseContext,
  rejectRelease,
} from './release.service.ts'

/** Sends a composition's outcome as `ComposedResponses` of `@parley/api` describes. */
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
    api.compose.path,
    {
      config: { auth: 'officer', requires: { role: 'drafter', channel: 'params.channel' } },
      schema: schemaOf(api.compose),
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
    api.listReleases.path,
    {
      config: { auth: 'officer', requires: { role: 'drafter', channel: 'query.channel' } },
      schema: schemaOf(api.listReleases),
    },
    async (request) => ({ releases: await listReleases(ctx, request.officer!, request.query) }),
  )

  app.get(
    api.getRelease.path,
    { config: item('drafter'), schema: schemaOf(api.getRelease) },
    (request) => getRelease(ctx, request.officer!, request.params.release),
  )

  app.post(
    api.approveRelease.path,
    { config: item('releaser'), schema: schemaOf(api.approveRelease) },
    async (request) => {
      const approved = await approveRelease(ctx, request.officer!, request.params.release)
      return { release: approved.release, event: toEventView(approved.event) }
    },
  )

  app.post(
    api.rejectRelease.path,
    { config: item('releaser'), schema: schemaOf(api.rejectRelease) },
    (request) => rejectRelease(ctx, request.officer!, request.params.release, request.body.reason),
  )
}
