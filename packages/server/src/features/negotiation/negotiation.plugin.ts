import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { schemaOf } from '../../http/route-schema.ts'
import type { NodeContext } from '../../node/context.ts'
import { complianceView } from '../compliance/compliance.service.ts'
import { agreementOf, compareParagraph, getDraft, listDrafts } from '../drafts/drafts.service.ts'
import { forwardedInto } from '../forwards/forwards.service.ts'
import { redlineBoard, redlineHistory } from '../redlines/redlines.service.ts'

const reads = {
  auth: 'officer',
  requires: { role: 'viewer', channel: 'params.channel' },
} as const

/**
 * Officer API: what a channel's red lines, drafts, compliance reports and forwards add up to.
 * Items are posted through compose (`POST /channels/:channel/compose`), which runs each
 * feature's rules before anything is signed.
 */
export const negotiationPlugin: FastifyPluginAsyncTypebox<{ ctx: NodeContext }> = async (
  app,
  { ctx },
) => {
  app.get(
    api.getRedlineBoard.path,
    { config: reads, schema: schemaOf(api.getRedlineBoard) },
    (request) => redlineBoard(ctx, request.params.channel, request.query.since),
  )
  app.get(
    api.getRedlineHistory.path,
    { config: reads, schema: schemaOf(api.getRedlineHistory) },
    (request) => redlineHistory(ctx, request.params.channel, request.params.redline),
  )
  app.get(
    api.listDrafts.path,
    { config: reads, schema: schemaOf(api.listDrafts) },
    async (request) => ({
      drafts: await listDrafts(ctx, request.params.channel),
    }),
  )
  app.get(api.getDraft.path, { config: reads, schema: schemaOf(api.getDraft) }, (request) =>
    getDraft(ctx, request.params.channel, request.params.draft),
  )
  app.get(
    api.compareParagraph.path,
    { config: reads, schema: schemaOf(api.compareParagraph) },
    (request) =>
      compareParagraph(ctx, request.params.channel, request.params.draft, request.params.paragraph),
  )
  app.get(api.getAgreement.path, { config: reads, schema: schemaOf(api.getAgreement) }, (request) =>
    agreementOf(ctx, request.params.channel, request.params.draft, request.query.version),
  )
  app.get(
    api.getCompliance.path,
    { config: reads, schema: schemaOf(api.getCompliance) },
    (request) => complianceView(ctx, request.params.channel, request.params.draft),
  )
  app.get(api.listForwards.path, { config: reads, schema: schemaOf(api.listForwards) }, (request) =>
    forwardedInto(ctx, request.params.channel),
  )
}
