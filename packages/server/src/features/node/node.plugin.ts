import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { partyFingerprint } from '@parley/protocol'
import { schemaOf } from '../../http/route-schema.ts'
import { type Alarm, openAlarmsRange } from '../../ledger/index.ts'
import type { NodeContext } from '../../node/context.ts'
import { type Keyset, keptOnly, readPage } from '../../store/keyset.ts'
import { type AccessContext, visibleTo } from '../access/access.service.ts'
import type { Delivery } from '../federation/delivery.ts'
import {
  addPeer,
  listPeerNodes,
  type PeerNodeRow,
  removePeer,
} from '../federation/peers.service.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'

/**
 * Officer API: who this node is, its peers' health, pinning and removing peers (admins), and alarms
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
    async (request) => ({
      node: ctx.identity.node,
      federationUrl: ctx.identity.federationUrl,
      parties: await Promise.all(
        [...ctx.identity.parties.values()].map(async (party) => ({
          id: party.id,
          name: party.name,
          fingerprint: await partyFingerprint(party.keys, ctx.now()),
        })),
      ),
      peers: await Promise.all(
        (await listPeerNodes(ctx.db)).map((peer) => peerView(access, request.officer!, peer)),
      ),
    }),
  )

  app.post(
    api.addPeer.path,
    {
      config: { auth: 'officer', requires: { role: 'admin' } },
      schema: schemaOf(api.addPeer),
    },
    async (request, reply) => {
      const { officer } = request
      const pin = await addPeer(ctx, request.body, {
        officer: officer!.id,
        party: officer!.party,
        via: 'api',
      })
      delivery.wake([pin.url])
      void delivery.syncAll()
      return reply.status(201).send({
        url: pin.url,
        node: pin.node,
        party: pin.party,
        fingerprint: pin.fingerprint,
        boundAt: pin.boundAt,
      })
    },
  )

  app.delete(
    api.removePeer.path,
    {
      config: { auth: 'officer', requires: { role: 'admin' } },
      schema: schemaOf(api.removePeer),
    },
    async (request) => {
      const { officer } = request
      return removePeer(ctx, request.params.party, {
        officer: officer!.id,
        party: officer!.party,
        via: 'api',
      })
    },
  )

  app.get(
    api.listAlarms.path,
    {
      config: { auth: 'officer', requires: { role: 'viewer' } },
      schema: schemaOf(api.listAlarms),
    },
    async (request) => {
      const page = await readPage(
        alarmsKeyset,
        request.query,
        keptOnly(
          alarmsKeyset,
          (where, direction, limit) => openAlarmsRange(ctx.db, where, direction, limit),
          // An escalation is the duty of the party that must act: its own officers' alarm,
          // even where another hosted party reads the channel. Other kinds (a fork, evidence)
          // name the party at fault and concern everyone on the channel.
          (alarms) =>
            visibleTo(
              access.db,
              request.officer!,
              alarms.filter((a) => a.kind !== 'escalation' || a.party === request.officer!.party),
              (a) => a.channel,
            ),
        ),
      )
      return { alarms: page.items, cursors: page.cursors }
    },
  )
}

/**
 * A peer's health as one officer may see it: the failing channels outside their compartments
 * are only counted (issue 15: peer health must not leak channel ids).
 */
async function peerView(access: AccessContext, officer: RequestOfficer, peer: PeerNodeRow) {
  const { failingChannels, ...rest } = peer
  const visible =
    failingChannels.length === 0
      ? []
      : await visibleTo(access.db, officer, failingChannels, (channel) => channel)
  const hidden = failingChannels.length - visible.length
  const where = [
    ...(visible.length === 0 ? [] : [`in ${visible.join(', ')}`]),
    ...(hidden === 0 ? [] : [`in ${hidden} channel${hidden === 1 ? '' : 's'} you cannot see`]),
  ]
  return {
    ...rest,
    lastError: peer.lastError === null ? null : [peer.lastError, ...where].join('; '),
    failingChannels: visible,
    hiddenFailingChannels: hidden,
  }
}

const alarmsKeyset: Keyset<Alarm> = {
  scope: 'alarms',
  columns: ['raised_at', 'id'],
  kinds: ['int', 'int'],
  key: (alarm) => [alarm.raisedAt, alarm.id],
}
