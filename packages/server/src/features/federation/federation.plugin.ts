import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ApiErrorSchema } from '@parley/api'
import {
  decodeUtf8,
  isProtocolError,
  NodeDescriptorSchema,
  type ProtocolError,
  parseEventBatch,
  parseJson,
  SignedEventSchema,
  SignedReceiptSchema,
} from '@parley/protocol'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ServerError } from '../../errors.ts'
import { CONNECTION_ERRORS, errorResponses } from '../../http/route-schema.ts'
import { MAX_LOG_READ } from '../../ledger/index.ts'
import type { NodeContext } from '../../node/context.ts'
import { firstParty, type HostedParty, signingKey } from '../../node-identity.ts'
import { federationBase } from '../../signed-http/federation-client.ts'
import { signResponse, verifyRequest } from '../../signed-http/http-signatures.ts'
import { openNonceCache, saveNonceCache } from '../../signed-http/nonce-store.ts'
import type { Delivery } from './delivery.ts'
import { buildDescriptor } from './descriptor.ts'
import {
  headsFor,
  logFor,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  receiveBatch,
  receivingParty,
} from './federation.service.ts'
import {
  HELLO_FORMAT,
  HELLO_PATH,
  type HelloReply,
  HelloReplySchema,
  HelloRequestSchema,
  isHelloNonce,
} from './hello.ts'
import { peerKeyResolver } from './peers.service.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The peer party whose pinned key signed this federation request. */
    peer: string | null
    /** Exact request bytes, for the Content-Digest check. */
    rawBody: Uint8Array | undefined
    /** The hosted party that signs the reply (default: the node's first party). */
    replyAs: HostedParty | null
    /** Items of a push's `events` that repeat a member name, refused one by one. */
    ambiguousEvents: ReadonlyMap<number, ProtocolError> | null
  }
}

export interface FederationPluginOptions {
  readonly ctx: NodeContext
  readonly delivery: Delivery
}

const PUSH_PATH = '/federation/v1/events'

const ChannelParam = Type.String({ pattern: '^ch_[0-9A-HJKMNP-TV-Z]{26}$' })
const PartyParam = Type.String({ pattern: '^[a-z][a-z0-9-]{1,31}$' })
/** What every signed request can be refused with, before its route looks at it. */
const SIGNED_REQUEST_ERRORS = [
  'REQUEST_INVALID',
  'HTTP_SIGNATURE_MISSING',
  'HTTP_SIGNATURE_INVALID',
  'HTTP_SIGNATURE_EXPIRED',
  'HTTP_SIGNATURE_REPLAY',
  'KEY_NOT_PINNED',
  'NONCE_CACHE_FULL',
  'DATABASE_UNAVAILABLE',
]
/** A channel's log or heads, for a peer that takes part in it. */
const CHANNEL_READ_ERRORS = [
  ...SIGNED_REQUEST_ERRORS,
  'CHANNEL_NOT_FOUND',
  'CHANNEL_NOT_HOSTED',
  'NOT_A_MEMBER',
]

const PushResponse = Type.Object({
  receipts: Type.Array(SignedReceiptSchema),
  rejected: Type.Array(
    Type.Object({
      id: Type.Union([Type.String(), Type.Null()]),
      index: Type.Integer(),
      code: Type.String(),
      message: Type.String(),
    }),
  ),
  need: Type.Array(
    Type.Object({ channel: Type.String(), author: Type.String(), fromSeq: Type.Integer() }),
  ),
})

/**
 * The node-to-node API of DESIGN §4.6. Every request but a hello must carry an RFC 9421
 * signature by a pinned peer key (checked in one hook before anything else looks at it); every
 * reply, errors included, is signed by a hosted party.
 */
export const federationPlugin: FastifyPluginAsyncTypebox<FederationPluginOptions> = async (
  app,
  { ctx, delivery },
) => {
  // The nonces accepted before a restart come back, so a replay across it is refused.
  const nonces = await openNonceCache(ctx.db, ctx.now())
  // onClose runs once the requests in flight are answered: no nonce is accepted after the save.
  // A save that fails leaves the memory marked incomplete, so the next start is only stricter.
  app.addHook('onClose', () =>
    saveNonceCache(ctx.db, nonces, ctx.now()).catch((error: unknown) =>
      ctx.log.warn(
        { reason: String(error) },
        'nonces not saved; the next start refuses older signatures',
      ),
    ),
  )
  const resolveKey = peerKeyResolver(ctx)
  const origin = new URL(ctx.identity.federationUrl).origin
  const descriptor = await buildDescriptor(ctx.identity, ctx.now())

  app.get(
    '/.well-known/parley',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['federation'],
        response: { 200: NodeDescriptorSchema, ...errorResponses(CONNECTION_ERRORS) },
      },
    },
    async () => descriptor,
  )

  await app.register(async (scope) => {
    const fed = scope.withTypeProvider<TypeBoxTypeProvider>()
    fed.decorateRequest('peer', null)
    fed.decorateRequest('rawBody', undefined)
    fed.decorateRequest('replyAs', null)
    fed.decorateRequest('ambiguousEvents', null)
    // The digest covers the exact bytes, so keep them; JSON errors wait until the signature
    // has been checked, so an unauthenticated caller learns nothing from our parser.
    fed.removeAllContentTypeParsers()
    fed.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: MAX_BATCH_BYTES + 64 * 1024 },
      (request, body, done) => {
        request.rawBody = new Uint8Array(body as Buffer)
        done(null, body.length === 0 ? undefined : body)
      },
    )
    fed.addHook('preValidation', async (request) => {
      // A hello is answered to anyone, signed or not: a node binding a new peer is not yet
      // pinned there, and the answer grants nothing but a signature over the caller's nonce.
      // Its signature is not checked, so no nonce of the replay memory is spent on it.
      if (request.routeOptions.url !== HELLO_PATH) {
        const signer = await verifyRequest(
          {
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: request.rawBody,
          },
          { now: ctx.now(), resolveKey, nonces, origin },
        )
        request.peer = signer.party
      }
      if (request.body === undefined) return
      // Bytes that are not UTF-8 are refused (UTF8_INVALID), never repaired with U+FFFD. One
      // ambiguous event in a push is refused on its own; any other ambiguity refuses the request.
      const text = decodeUtf8(request.body as Buffer)
      if (request.routeOptions.url === PUSH_PATH) {
        const batch = readJson(() => parseEventBatch(text))
        request.body = batch.value
        request.ambiguousEvents = batch.ambiguous
      } else {
        request.body = readJson(() => parseJson(text))
      }
    })
    fed.addHook('onSend', signReply(ctx))

    fed.post(
      PUSH_PATH,
      {
        config: { auth: 'peer' },
        schema: {
          tags: ['federation'],
          body: Type.Object(
            { events: Type.Array(Type.Unknown()) },
            { additionalProperties: false },
          ),
          response: {
            200: PushResponse,
            ...errorResponses([...SIGNED_REQUEST_ERRORS, 'UTF8_INVALID', 'BATCH_TOO_LARGE']),
          },
        },
      },
      async (request) => {
        const { events } = request.body
        if (events.length > MAX_BATCH_EVENTS) {
          throw new ServerError('BATCH_TOO_LARGE', {
            reason: `${events.length} events; the limit is ${MAX_BATCH_EVENTS}`,
          })
        }
        if ((request.rawBody?.length ?? 0) > MAX_BATCH_BYTES) {
          throw new ServerError('BATCH_TOO_LARGE', { reason: 'the body exceeds 4 MiB' })
        }
        const result = await receiveBatch(ctx, events, request.ambiguousEvents ?? undefined)
        for (const channel of result.sync) delivery.syncWith(request.peer!, channel)
        for (const signed of result.forks) delivery.proveFork(request.peer!, signed)
        return { receipts: result.receipts, rejected: result.rejected, need: result.need }
      },
    )

    fed.post(
      HELLO_PATH,
      {
        config: { auth: 'public' },
        schema: {
          tags: ['federation'],
          body: HelloRequestSchema,
          response: {
            200: HelloReplySchema,
            ...errorResponses([...CONNECTION_ERRORS, 'REQUEST_INVALID', 'DATABASE_UNAVAILABLE']),
            // DESIGN §4.6: a party the node does not host is 404 here (403 in the officer API).
            404: { ...ApiErrorSchema, description: 'PARTY_NOT_HOSTED' },
          },
        },
      },
      async (request, reply) => {
        const { nonce, party } = request.body
        if (!isHelloNonce(nonce)) {
          throw new ServerError('REQUEST_INVALID', {
            reason: 'nonce must be base64url of 16 to 64 bytes',
          })
        }
        const hosted = ctx.identity.parties.get(party)
        if (hosted === undefined) {
          // DESIGN §4.6 answers an unknown party with 404, where the officer API uses 403.
          const error = new ServerError('PARTY_NOT_HOSTED', { party })
          return reply.status(404).send({ error: { code: error.code, message: error.message } })
        }
        request.replyAs = hosted
        return {
          format: HELLO_FORMAT,
          nonce,
          party,
          node: ctx.identity.node,
          federation: federationBase(ctx.identity.federationUrl),
        } satisfies HelloReply
      },
    )

    fed.get(
      '/federation/v1/channels/:channel/log/:author',
      {
        config: { auth: 'peer' },
        schema: {
          tags: ['federation'],
          params: Type.Object({ channel: ChannelParam, author: PartyParam }),
          querystring: Type.Object({
            // Bounded like a seq: a larger number is no int8 and would fail in SQL, not here.
            from: Type.Optional(
              Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 1 }),
            ),
            limit: Type.Optional(
              Type.Integer({ minimum: 1, maximum: MAX_LOG_READ, default: MAX_LOG_READ }),
            ),
          }),
          response: {
            200: Type.Object({ events: Type.Array(SignedEventSchema) }),
            ...errorResponses(CHANNEL_READ_ERRORS),
          },
        },
      },
      async (request, reply) => {
        const { channel, author } = request.params
        request.replyAs = await receivingParty(ctx, channel).catch(() => null)
        const { from = 1, limit = MAX_LOG_READ } = request.query
        const text = await logFor(ctx, request.peer!, { channel, author, from, limit })
        // The schema's JSON, already serialized: a string of this type is sent as it is.
        return reply.type('application/json; charset=utf-8').send(text as never)
      },
    )

    fed.get(
      '/federation/v1/channels/:channel/heads',
      {
        config: { auth: 'peer' },
        schema: {
          tags: ['federation'],
          params: Type.Object({ channel: ChannelParam }),
          response: {
            200: Type.Object({
              heads: Type.Record(
                Type.String(),
                Type.Object({ seq: Type.Integer(), id: Type.String() }),
              ),
            }),
            ...errorResponses(CHANNEL_READ_ERRORS),
          },
        },
      },
      async (request) => {
        const { channel } = request.params
        request.replyAs = await receivingParty(ctx, channel).catch(() => null)
        return { heads: await headsFor(ctx, request.peer!, channel) }
      },
    )
  })
}

/** Text that is not JSON is REQUEST_INVALID; a repeated member name keeps its own code. */
function readJson<T>(read: () => T): T {
  try {
    return read()
  } catch (error) {
    if (!isProtocolError(error, 'JSON_INVALID')) throw error
    throw new ServerError('REQUEST_INVALID', {
      reason: `body is not JSON: ${error.details.reason}`,
    })
  }
}

/** Signs every federation reply, so a client can tell a genuine receipt from a spoofed one. */
function signReply(ctx: NodeContext) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const party = request.replyAs ?? firstParty(ctx.identity)
    const key = signingKey(party, ctx.now())
    const body =
      typeof payload === 'string'
        ? new TextEncoder().encode(payload)
        : payload instanceof Uint8Array
          ? payload
          : undefined
    const type = reply.getHeader('content-type')
    const headers = await signResponse(
      {
        status: reply.statusCode,
        headers: typeof type === 'string' ? { 'content-type': type } : {},
        ...(body === undefined || body.length === 0 ? {} : { body }),
      },
      { keyId: key.id, privateKey: key.privateKey },
      { now: ctx.now() },
    )
    for (const [name, value] of Object.entries(headers)) reply.header(name, value)
    return payload
  }
}
