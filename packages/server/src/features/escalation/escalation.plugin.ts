import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { CONNECTION_ERRORS, errorResponses, schemaOf } from '../../http/route-schema.ts'
import type { NodeContext } from '../../node/context.ts'
import { type AccessContext, actingAs, visibleTo } from '../access/access.service.ts'
import { hostedParty } from '../rosters/hosted-party.ts'
import type { Escalation } from './escalation.service.ts'
import { escalationConfig, setEscalationConfig } from './escalation-config.ts'
import { noticeEscalations, partyAttempts } from './escalation-views.ts'

/**
 * Escalation ladders: a party's admins read and replace its contacts and ladders
 * (`/api/v1/escalation/:party`); any officer reads what the ladders of a notice did, for the
 * parties and compartments they may see (`/api/v1/notices/:notice/escalation`); admins page
 * through every attempt of their party's ladders (`/api/v1/escalation/:party/attempts`).
 */
export const escalationPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  access: AccessContext
}> = async (app, { ctx, access }) => {
  const admin = { auth: 'officer', requires: { role: 'admin' } } as const

  app.get(
    api.getEscalationConfig.path,
    { config: admin, schema: schemaOf(api.getEscalationConfig) },
    async (request) => {
      const party = hostedParty(ctx, request.params.party)
      actingAs(request.officer!, party)
      return escalationConfig(ctx.db, party)
    },
  )

  app.put(
    api.setEscalationConfig.path,
    { config: admin, schema: schemaOf(api.setEscalationConfig) },
    async (request) => {
      const party = hostedParty(ctx, request.params.party)
      actingAs(request.officer!, party)
      return setEscalationConfig(
        ctx.db,
        { officer: request.officer!.id },
        party,
        request.body,
        ctx.now(),
      )
    },
  )

  app.get(
    api.listEscalationAttempts.path,
    { config: admin, schema: schemaOf(api.listEscalationAttempts) },
    async (request) => {
      const officer = request.officer!
      const party = hostedParty(ctx, request.params.party)
      actingAs(officer, party)
      const page = await partyAttempts(ctx.db, party, request.query, (rows) =>
        visibleTo(access.db, officer, rows, (row) => row.channel),
      )
      return { attempts: page.items, cursors: page.cursors }
    },
  )

  app.get(
    api.getNoticeEscalation.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer' } },
      schema: schemaOf(api.getNoticeEscalation),
    },
    async (request) => {
      const officer = request.officer!
      const own = (await noticeEscalations(ctx.db, request.params.notice)).filter(
        (e) => e.party === officer.party,
      )
      return { escalations: await visibleTo(access.db, officer, own, (e) => e.channel) }
    },
  )
}

/** The Ed25519 key of the node's `v1a` webhook signatures, for receivers to pin. */
export const WebhookKeySchema = Type.Object({
  format: Type.Literal('parley-webhook-key/1'),
  keys: Type.Array(
    Type.Object({
      id: Type.String(),
      alg: Type.Literal('ed25519'),
      publicKey: Type.String({ description: 'whpk_ and the raw public key in base64' }),
      createdAt: Type.Integer(),
    }),
  ),
})

/** `GET /.well-known/parley-webhook-key`: public, so receivers need no shared secret for `v1a`. */
export const webhookKeyPlugin: FastifyPluginAsync<{ escalation: Escalation }> = async (
  app,
  { escalation },
) => {
  app.get(
    '/.well-known/parley-webhook-key',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['escalation'],
        response: {
          200: WebhookKeySchema,
          ...errorResponses([...CONNECTION_ERRORS, 'DATABASE_UNAVAILABLE']),
        },
      },
    },
    async () => {
      const key = await escalation.publicKey()
      return {
        format: 'parley-webhook-key/1' as const,
        keys: [
          {
            id: key.id,
            alg: 'ed25519' as const,
            publicKey: key.publicKey,
            createdAt: key.createdAt,
          },
        ],
      }
    },
  )
}
