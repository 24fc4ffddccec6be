import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { ServerError } from '../../errors.ts'
import { schemaOf } from '../../http/route-schema.ts'
import type { NodeContext } from '../../node/context.ts'
import { listPresets } from '../channels/presets.ts'
import { sendComposed } from '../compose/compose.plugin.ts'
import type { ComposeContext } from '../compose/compose.service.ts'
import { noticeById } from './notices.repository.ts'
import { listNotices, listOverdue, pingStats, readNotice } from './notices.service.ts'
import { schedulePings, sendPing } from './pings.service.ts'

/**
 * Officer API: notices across the officer's compartments with their lifecycle and deadlines,
 * the overdue list, ping tests and their statistics, and the deadline presets.
 */
export const noticesPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  compose: ComposeContext
}> = async (app, { ctx, compose }) => {
  app.get(
    api.listNotices.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'query.channel' } },
      schema: schemaOf(api.listNotices),
    },
    async (request) => listNotices(ctx, request.officer!, request.query),
  )

  app.get(
    api.listOverdueNotices.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer' } },
      schema: schemaOf(api.listOverdueNotices),
    },
    async (request) => listOverdue(ctx, request.officer!, request.query),
  )

  const noticeParam = (request: { params: unknown }) =>
    (request.params as { notice: string }).notice
  app.get(
    api.getNotice.path,
    {
      config: {
        auth: 'officer',
        requires: {
          role: 'viewer',
          channel: async (request) => {
            const row = await noticeById(ctx.db, noticeParam(request))
            if (row === undefined) {
              throw new ServerError('NOTICE_NOT_FOUND', { notice: noticeParam(request) })
            }
            return row.channel
          },
          // Outside the officer's compartments a notice is as absent as one that never was.
          hidden: (request) =>
            new ServerError('NOTICE_NOT_FOUND', { notice: noticeParam(request) }),
        },
      },
      schema: schemaOf(api.getNotice),
    },
    async (request) => readNotice(ctx, request.officer!, request.params.notice),
  )

  app.post(
    api.sendPing.path,
    {
      config: { auth: 'officer', requires: { role: 'drafter', channel: 'params.channel' } },
      schema: schemaOf(api.sendPing),
    },
    async (request, reply) => {
      const event = await sendPing(compose, request.officer!, request.params.channel, request.body)
      return sendComposed(reply, { status: 'released', event })
    },
  )

  app.post(
    api.schedulePings.path,
    {
      config: { auth: 'officer', requires: { role: 'drafter', channel: 'params.channel' } },
      schema: schemaOf(api.schedulePings),
    },
    async (request, reply) => {
      const schedule = await schedulePings(
        ctx,
        request.officer!,
        request.params.channel,
        request.body,
      )
      return reply.status(201).send(schedule)
    },
  )

  app.get(
    api.pingStats.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'query.channel' } },
      schema: schemaOf(api.pingStats),
    },
    async (request) => ({ parties: await pingStats(ctx, request.officer!, request.query.channel) }),
  )

  app.get(
    api.listPresets.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer' } },
      schema: schemaOf(api.listPresets),
    },
    async () => ({ presets: listPresets(compose.floor) }),
  )
}
