import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { ServerError } from '../../errors.ts'
import { schemaOf } from '../../http/route-schema.ts'
import { toEventView } from '../../node/event-view.ts'
import type { ComposeContext } from '../compose/compose.service.ts'
import {
  approveRelease,
  channelOfRelease,
  getRelease,
  listReleases,
  rejectRelease,
} from './release.service.ts'

/**
 * Release control (DESIGN §6): see the release queue, and approve or reject what another
 * officer composed.
 */
export const releasePlugin: FastifyPluginAsyncTypebox<{ compose: ComposeContext }> = async (
  app,
  { compose: ctx },
) => {
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
    api.listReleases.path,
    {
      config: { auth: 'officer', requires: { role: 'drafter', channel: 'query.channel' } },
      schema: schemaOf(api.listReleases),
    },
    async (request) => {
      const page = await listReleases(ctx, request.officer!, request.query)
      return { releases: page.items, cursors: page.cursors }
    },
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
      const approved = await approveRelease(ctx, request.officer!, request.params.release, {
        publish: request.query.publish === true,
      })
      return { release: approved.release, event: toEventView(approved.event) }
    },
  )

  app.post(
    api.rejectRelease.path,
    { config: item('releaser'), schema: schemaOf(api.rejectRelease) },
    (request) => rejectRelease(ctx, request.officer!, request.params.release, request.body.reason),
  )
}
