import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { PartyIdSchema } from '@parley/protocol'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ServerError } from '../../errors.ts'
import {
  type Actor,
  createOfficer,
  disableOfficer,
  enableOfficer,
  listOfficers,
  OfficerSchema,
  type OfficersContext,
  RoleSchema,
  resetPassword,
  setRoles,
  UsernameSchema,
} from './officers.service.ts'

const Params = Type.Object({ officer: Type.String({ minLength: 1, maxLength: 64 }) })
const Roles = Type.Array(RoleSchema, { minItems: 1, maxItems: 4, uniqueItems: true })
const WithPassword = Type.Object({
  officer: OfficerSchema,
  password: Type.Union([Type.String(), Type.Null()], {
    description: 'The generated password, shown this once; the officer must change it',
  }),
})

/**
 * Officer management for admins (`/api/v1/officers`): an admin manages the officers of their
 * own party; the automation credential manages every hosted party's.
 */
export const officersPlugin: FastifyPluginAsyncTypebox<{ officers: OfficersContext }> = async (
  app,
  { officers: ctx },
) => {
  const tags = ['officers']
  const security = [{ session: [] }]
  const config = { auth: 'officer', requires: { role: 'admin' } } as const
  const actor = (request: FastifyRequest): Actor => ({
    officer: request.officer!.id,
    party: request.officer!.party,
    via: 'api',
  })

  app.get(
    '/officers',
    {
      config,
      schema: {
        tags,
        security,
        response: { 200: Type.Object({ officers: Type.Array(OfficerSchema) }) },
      },
    },
    async (request) => ({ officers: await listOfficers(ctx, request.officer!.party ?? undefined) }),
  )

  app.post(
    '/officers',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Create an officer with a generated password (shown once)',
        body: Type.Object(
          {
            party: Type.Optional(PartyIdSchema),
            username: UsernameSchema,
            displayName: Type.String({ minLength: 1, maxLength: 200 }),
            email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
            roles: Roles,
          },
          { additionalProperties: false },
        ),
        response: { 201: WithPassword },
      },
    },
    async (request, reply) => {
      const { party: named, ...rest } = request.body
      const party = named ?? request.officer!.party ?? soleParty(ctx)
      const created = await createOfficer(ctx, actor(request), { ...rest, party })
      return reply.status(201).send(created)
    },
  )

  app.put(
    '/officers/:officer/roles',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Replace an officer’s roles; their sessions get a new id',
        params: Params,
        body: Type.Object({ roles: Roles }, { additionalProperties: false }),
        response: { 200: OfficerSchema },
      },
    },
    (request) => setRoles(ctx, actor(request), request.params.officer, request.body.roles),
  )

  app.post(
    '/officers/:officer/disable',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Disable an officer and end their sessions',
        params: Params,
        response: { 200: OfficerSchema },
      },
    },
    (request) => disableOfficer(ctx, actor(request), request.params.officer),
  )

  app.post(
    '/officers/:officer/enable',
    {
      config,
      schema: { tags, security, params: Params, response: { 200: OfficerSchema } },
    },
    (request) => enableOfficer(ctx, actor(request), request.params.officer),
  )

  app.post(
    '/officers/:officer/reset-password',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Set a generated password (shown once) and end the officer’s sessions',
        params: Params,
        body: Type.Object(
          { clearFactors: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 200: WithPassword },
      },
    },
    (request) =>
      resetPassword(ctx, actor(request), request.params.officer, {
        clearFactors: request.body.clearFactors === true,
      }),
  )
}

function soleParty(ctx: OfficersContext): string {
  if (ctx.parties.length === 1) return ctx.parties[0]!
  throw new ServerError('REQUEST_INVALID', { reason: 'name the party of the new officer' })
}
