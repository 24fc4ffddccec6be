import { fromBase64Url, isKeyValidAt, keyParty, type PartyKey, toBase64Url } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { Value } from 'typebox/value'
import { isServerError, ServerError } from '../../errors.ts'
import {
  createFederationClient,
  type FederationReply,
  sameFederationUrl,
} from '../../signed-http/federation-client.ts'
import type { HttpSigningKey } from '../../signed-http/http-signatures.ts'

/** Where a node proves that it holds a party's key (DESIGN §4.6, "Binding a peer's URL"). */
export const HELLO_PATH = '/federation/v1/hello'

export const HELLO_FORMAT = 'parley-hello/1'

/** `POST /federation/v1/hello`: a fresh nonce and the party the caller expects to answer. */
export const HelloRequestSchema = Type.Object(
  {
    // 16 to 64 bytes of base64url without padding: 22 to 86 characters (bytes checked apart).
    nonce: Type.String({ minLength: 22, maxLength: 86, pattern: '^[A-Za-z0-9_-]+$' }),
    party: Type.String({ pattern: '^[a-z][a-z0-9-]{1,31}$' }),
  },
  { additionalProperties: false },
)
export type HelloRequest = Static<typeof HelloRequestSchema>

/** The reply, signed (RFC 9421) by a key of the party asked for. */
export const HelloReplySchema = Type.Object({
  format: Type.Literal(HELLO_FORMAT),
  nonce: Type.String(),
  party: Type.String(),
  node: Type.String(),
  federation: Type.String(),
})
export type HelloReply = Static<typeof HelloReplySchema>

/** Whether a hello nonce is canonical base64url of 16 to 64 bytes. */
export function isHelloNonce(nonce: string): boolean {
  try {
    const bytes = fromBase64Url(nonce)
    return bytes.length >= 16 && bytes.length <= 64
  } catch {
    return false
  }
}

export interface ProveUrlOptions {
  /** The federation base URL being bound, as `federationBase` writes it. */
  readonly url: string
  readonly party: string
  /** The party's pinned keys (at `peer add`: the keys its fingerprint was checked against). */
  readonly keys: readonly PartyKey[]
  /** Signs the hello; the receiver need not know it. */
  readonly signer: HttpSigningKey
  readonly now: () => number
  readonly fetch?: typeof fetch
  readonly signal?: AbortSignal
}

/**
 * Binds `url` to `party` (DESIGN §4.6): sends a hello with a fresh nonce and accepts only a
 * 200 whose signature verifies under one of `keys`, that echoes nonce and party, and whose
 * `federation` is `url`. Throws `PEER_UNREACHABLE` when the URL does not answer, otherwise
 * `PEER_BINDING_FAILED` with a fixed reason that never quotes the answer.
 */
export async function proveUrl(options: ProveUrlOptions): Promise<void> {
  const { url, party } = options
  const failed = (reason: string, status?: number) =>
    new ServerError('PEER_BINDING_FAILED', {
      url,
      party,
      reason,
      ...(status === undefined ? {} : { status }),
    })
  const client = createFederationClient({
    signer: options.signer,
    resolvePeerKey: (keyid) => {
      if (keyParty(keyid) !== party) return undefined
      const key = options.keys.find((candidate) => candidate.id === keyid)
      return key !== undefined && isKeyValidAt(key, options.now()) ? key.publicKey : undefined
    },
    now: options.now,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  })
  const nonce = toBase64Url(crypto.getRandomValues(new Uint8Array(32)))
  let reply: FederationReply
  try {
    reply = await client.postJson(
      `${url}${HELLO_PATH}`,
      { nonce, party } satisfies HelloRequest,
      options.signal === undefined ? {} : { signal: options.signal },
    )
  } catch (error) {
    if (isServerError(error, 'PEER_RESPONSE_UNSIGNED')) {
      throw failed(`the reply is not signed by a pinned key of ${party}`)
    }
    if (isServerError(error, 'PEER_RESPONSE_INVALID')) throw failed(String(error.details.reason))
    throw error
  }
  if (reply.status !== 200) throw failed(`status ${reply.status}`, reply.status)
  const body = reply.body
  if (!Value.Check(HelloReplySchema, body)) throw failed('the reply is not a hello')
  if (body.nonce !== nonce) throw failed('the reply does not echo the nonce')
  if (body.party !== party) throw failed('the reply does not echo the party')
  if (!sameFederationUrl(body.federation, url)) {
    throw failed('the reply names another federation URL')
  }
}
