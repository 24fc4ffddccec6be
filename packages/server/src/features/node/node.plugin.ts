import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { partyFingerprint } from '@parley/protocol'
import { schemaOf } from '../../http/route-schema.ts'
import { openAlarms } from '../../ledger/index.ts'
import type { NodeContext } from '../../node/context.ts'
import { type AccessContext, visibleTo } from '../access/access.service.ts'
import type { Delivery } from '../federation/delivery.ts'
import { addPeer, listPeerNodes } from '../federation/peers.service.ts'

/**
 * Officer API: who this node is, its peers' health, pinning a new peer (admins), and alarms
 * (of the officer's compartments, and the node-wide ones).
 */
export const nodePlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  delivery: Delivery
  access: AccessContext
}> = async (app, { ctx, delivery, access }) => {
  app.get(
    api.getNode.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer' } },
      schema: schemaOf(api.getNode),
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
    api.addPeer.path,
    {
      config: { auth: 'officer', requires: { role: 'admin' } },
      schema: schemaOf(api.addPeer),
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
    api.listAlarms.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer' } },
      schema: schemaOf(api.listAlarms),
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
