import { ChannelIdSchema, PartyIdSchema } from '@parley/protocol'
import { Type } from 'typebox'
import { JsonValueSchema } from './audit.ts'
import { operation } from './operation.ts'
import { PAGE_ERRORS, PageQuerySchema, pageOf } from './page.ts'

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
  details: JsonValueSchema,
  raisedAt: Type.Integer(),
})

const tags = ['node']

/** Who this node is, its peers' health, pinning a peer, alarms, and the live stream. */
export const nodeOperations = {
  getNode: operation({
    method: 'GET',
    path: '/node',
    tags,
    auth: 'officer',
    responses: { 200: NodeSchema },
    errors: [],
  }),
  addPeer: operation({
    method: 'POST',
    path: '/peers',
    tags,
    summary: 'Pin a peer node: fetch its descriptor and pin its keys if the fingerprint matches',
    auth: 'officer',
    body: Type.Object(
      {
        url: Type.String({ minLength: 1, maxLength: 2000 }),
        fingerprint: Type.String({ minLength: 1, maxLength: 100 }),
        party: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    responses: {
      201: Type.Object({
        url: Type.String(),
        node: Type.String(),
        party: Type.String(),
        fingerprint: Type.String(),
        boundAt: Type.Integer(),
      }),
    },
    errors: [
      'FORBIDDEN_ROLE',
      'FEDERATION_URL_INVALID',
      'FEDERATION_URL_INSECURE',
      'DESCRIPTOR_INVALID',
      'PARTY_NOT_IN_DESCRIPTOR',
      'FINGERPRINT_MISMATCH',
      'KEY_PIN_CONFLICT',
      'PEER_UNREACHABLE',
      'PEER_RESPONSE_INVALID',
      'PEER_NOT_PARLEY',
      'PEER_REFUSED',
      'DESCRIPTOR_URL_MISMATCH',
      'PEER_BINDING_FAILED',
    ],
  }),
  removePeer: operation({
    method: 'DELETE',
    path: '/peers/:party',
    tags,
    summary: 'Stop routing a peer party: its keys stay pinned for its past events',
    auth: 'officer',
    params: Type.Object({ party: PartyIdSchema }),
    responses: { 200: Type.Object({ party: Type.String(), url: Type.String() }) },
    errors: ['FORBIDDEN_ROLE', 'NOT_FOUND'],
  }),
  listAlarms: operation({
    method: 'GET',
    path: '/alarms',
    tags,
    summary:
      'A page of the open alarms of your compartments (escalations: only your party’s), and the node-wide ones',
    auth: 'officer',
    querystring: PageQuerySchema,
    responses: { 200: pageOf('alarms', AlarmSchema) },
    errors: [...PAGE_ERRORS],
  }),
  stream: operation({
    method: 'GET',
    path: '/stream',
    tags: ['stream'],
    summary: 'WebSocket: every event this node commits from now on, of your compartments',
    description:
      'Each message is `{ "type": "event", "id", "event", "sig" }`. A stream opened with a ' +
      'session closes with code 4401 within 5 s of that session ending; one opened with a ' +
      'ticket, within 5 s of the token or session that asked for it ending.',
    auth: 'officer',
    websocket: true,
    querystring: Type.Object({
      channel: Type.Optional(ChannelIdSchema),
      ticket: Type.Optional(
        Type.String({
          description:
            'A ticket from POST /api/v1/stream/tickets, for a client without the session cookie',
        }),
      ),
    }),
    responses: { 101: null },
    errors: ['CHANNEL_FORBIDDEN', 'TICKET_INVALID', 'TOKEN_IN_URL'],
  }),
}
