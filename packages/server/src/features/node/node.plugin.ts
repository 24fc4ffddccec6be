import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { partyFingerprint } from '@parley/protocol'
import { Type } from 'typebox'
import { openAlarms } from '../../ledger/index.ts'
import type { NodeContext } from '../../node/context.ts'
import { type AccessContext, visibleTo } from '../access/access.service.ts'
import type { Delivery } from '../federation/delivery.ts'
import {
  addPeer,
  listPeerNodes,
  type PeerNodeRow,
  removePeer,
} from '../federation/peers.service.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'

const PeerSchema = Type.Object({
  url: Type.String(),
  node: Type.Union([Type.String(), Type.Null()]),
  parties: Type.Array(Type.String()),
  /** "unreachable since T": the first failure of the current streak, or null. */
  failingSince: Type.Union([Type.Integer(), Type.Null()]),
  /** The last failure: its code, status and reason, then the failing channels you may see. */
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastErrorCode: Type.Union([Type.String(), Type.Null()]),
  /** Channels whose exchanges fail in this streak, of those you may see. */
  failingChannels: Type.Array(Type.String()),
  /** How many more fail that you may not see. */
  hiddenFailingChannels: Type.Integer(),
  lastSuccessAt: Type.Union([Type.Integer(), Type.Null()]),
  /** When the URL last proved by hello that it holds its parties' pinned keys (§4.6). */
  boundAt: Type.Union([Type.Integer(), Type.Null()]),
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
 * Officer API: who this node is, its peers' health, pinning and removing peers (admins), and alarms
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
            boundAt: Type.Integer(),
          }),
        },
      },
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
    '/peers/:party',
    {
      config: { auth: 'officer', requires: { role: 'admin' } },
      schema: {
        tags,
        security,
        params: Type.Object({ party: Type.String({ pattern: '^[a-z][a-z0-9-]{1,31}$' }) }),
        response: { 200: Type.Object({ party: Type.String(), url: Type.String() }) },
      },
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
