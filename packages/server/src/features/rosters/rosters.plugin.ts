import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { schemaOf } from '../../http/route-schema.ts'
import type { NodeContext } from '../../node/context.ts'
import { actingAs } from '../access/access.service.ts'
import { hostedParty } from './hosted-party.ts'
import { onDuty, rosterOf, setRoster } from './rosters.service.ts'

/**
 * Duty rosters (`/api/v1/rosters/:party`): every officer of a party reads its roster and who
 * is on duty; its admins replace it. An API token acts for its officer's party only.
 */
export const rostersPlugin: FastifyPluginAsyncTypebox<{ ctx: NodeContext }> = async (
  app,
  { ctx },
) => {
  app.get(
    api.getRoster.path,
    { config: { auth: 'officer', requires: { role: 'viewer' } }, schema: schemaOf(api.getRoster) },
    async (request) => {
      const party = hostedParty(ctx, request.params.party)
      actingAs(request.officer!, party)
      return rosterOf(ctx.db, party)
    },
  )

  app.put(
    api.setRoster.path,
    { config: { auth: 'officer', requires: { role: 'admin' } }, schema: schemaOf(api.setRoster) },
    async (request) => {
      const party = hostedParty(ctx, request.params.party)
      actingAs(request.officer!, party)
      return setRoster(
        ctx.db,
        { officer: request.officer!.id, party },
        party,
        request.body,
        ctx.now(),
      )
    },
  )

  app.get(
    api.getOnDuty.path,
    { config: { auth: 'officer', requires: { role: 'viewer' } }, schema: schemaOf(api.getOnDuty) },
    async (request) => {
      const party = hostedParty(ctx, request.params.party)
      actingAs(request.officer!, party)
      return onDuty(ctx.db, party, request.query.at ?? ctx.now())
    },
  )
}
