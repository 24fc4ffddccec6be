import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { partyFingerprint } from '@parley/protocol'
import { Type } from 'typebox'
import { openAlarms } from '../../ledger/index.ts'
import type { NodeContext } from '../../node/context.ts'
import { type AccessContext, visibleTo } from '../access/access.service.ts'
import type { Delivery } from '../federation/delivery.ts'
import { addPeer, listPeerNodes } from '../federation/peers.service.ts'

const PeerSchema = Type.Object({
  url: Type.String(),
  node: Type.Union([Type.String(), Type.Null()]),
  parties: Type.Array(Type.String()),
  /** "unreachable since T": the first failure of the current streak, or null. */
  failingSince: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastSuccessAt: Type.Union([Type.Integer(), Type.Null()]),
})

const NodeSchema = Type.Object({
  node: Type.String(),
  federationUrl: Type.String(),
  parties: Type.Array(
    Type.Object({ id: Type.String(), name: Type.String(), fingerprint: Type.String() }),
  ),
  peers: Type.Array(PeerSchema),
})

const AlarmSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  channel: Type.Union([Type.String(), Type.Null()]),
  party: Type.Union([Type.String(), Type.Null()]),
  details: Type.Unknown(),
  raisedAt: Type.Integer(),
})

/**
 * Officer API: who this node is, its peers' health, pinning a new peer (admins), and alarms
 * (of the officer's compartments, and the node-wide ones).
 */
export const nodePlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  delivery: Delivery
  access: AccessContext
}> = async (app, { ctx, delivery, access }) => {
  const tags = ['node']
  const security = [{ devToken: [] }]

  app.get(
    '/node',
    {
      config: { auth: 'officer', requires: { role: 'viewer' } },
      schema: { tags, security, response: { 200: NodeSchema } },
    },
    async () => ({
      node: ctx.identity.node,
      federationUrl: ctx.identity.federationUrl,
      parties: await Promise.all(
        [...ctx.identity.parties.values()].map(async (party) => ({
          id: party.id,
          name: party.name,
          fingerprint: await partyFingerprint(party.keys, ctx.now()),
        })),
      ),
      peers: await listPeerNodes(ctx.db),
    }),
  )

  app.post(
    '/peers',
    {
      config: { auth: 'officer', requires: { role: 'admin' } },
      schema: {
        tags,
        security,
        body: Type.Object(
          {
            url: Type.String({ minLength: 1, maxLength: 2000 }),
            fingerprint: Type.String({ minLength: 1, maxLength: 100 }),
            party: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            url: Type.String(),
            node: Type.String(),
            party: Type.String(),
            fingerprint: Type.String(),
          }),
        },
      },
    },
    async (request, reply) => {
      const { url, fingerprint, party } = request.body
      const pin = await addPeer(ctx, url, fingerprint, party)
      delivery.wake([pin.url])
      void delivery.syncAll()
      return reply
        .status(201)
        .send({ url: pin.url, node: pin.node, party: pin.party, fingerprint: pin.fingerprint })
    },
  )

  app.get(
    '/alarms',
    {
      config: { auth: 'officer', requires: { role: 'viewer' } },
      schema: {
        tags,
        security,
        response: { 200: Type.Object({ alarms: Type.Array(AlarmSchema) }) },
      },
    },
    async (request) => ({
      alarms: await visibleTo(
        access.db,
        request.officer!,
        await openAlarms(ctx.db),
        (a) => a.channel,
      ),
    }),
  )
}
