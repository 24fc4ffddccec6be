import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import type { FastifyRequest } from 'fastify'
import { schemaOf } from '../../http/route-schema.ts'
import type { Actor } from '../officers/officers.service.ts'
import {
  createToken,
  issueTicket,
  listTokens,
  revokeToken,
  type TokensContext,
} from './tokens.service.ts'

/**
 * API tokens (`/api/v1/officers/:officer/tokens`, `/api/v1/tokens/:token/revoke`): an admin
 * issues, lists and revokes the tokens of their own party's officers. And the stream tickets
 * (`/api/v1/stream/tickets`) any officer takes to open the live stream without a cookie.
 */
export const tokensPlugin: FastifyPluginAsyncTypebox<{ tokens: TokensContext }> = async (
  app,
  { tokens: ctx },
) => {
  const config = { auth: 'officer', requires: { role: 'admin' } } as const
  const actor = (request: FastifyRequest): Actor => ({
    officer: request.officer!.id,
    party: request.officer!.party,
    via: 'api',
  })

  app.post(
    api.createApiToken.path,
    { config, schema: schemaOf(api.createApiToken) },
    async (request, reply) => {
      const created = await createToken(ctx, actor(request), request.params.officer, request.body)
      return reply.status(201).send(created)
    },
  )

  app.get(
    api.listApiTokens.path,
    { config, schema: schemaOf(api.listApiTokens) },
    async (request) => ({
      tokens: await listTokens(ctx, actor(request), request.params.officer),
    }),
  )

  app.post(api.revokeApiToken.path, { config, schema: schemaOf(api.revokeApiToken) }, (request) =>
    revokeToken(ctx, actor(request), request.params.token),
  )

  app.post(
    api.createStreamTicket.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer' } },
      schema: schemaOf(api.createStreamTicket),
    },
    async (request, reply) => reply.status(201).send(await issueTicket(ctx, request.officer!)),
  )
}
