import { fromBase64Url, keyParty, signRaw, toBase64Url, utf8, verifyBytes } from '@parley/protocol'
import { httpbis, type SignatureParameters, type SignConfig } from 'http-message-signatures'
import {
  type InnerList,
  isInnerList,
  parseDictionary,
  serializeInnerList,
  serializeItem,
} from 'structured-headers'
import { ServerError } from '../errors.ts'
import { contentDigest, verifyContentDigest } from './content-digest.ts'
import type { NonceCache } from './nonce-cache.ts'

/** The label of Parley's signature in `Signature-Input` and `Signature` (DESIGN §4.6). */
export const SIGNATURE_LABEL = 'sig1'

/** How far `created` may be from the verifier's clock, and how long a signature lives. */
export const SIGNATURE_WINDOW_SECONDS = 300

/** The key a node signs federation messages with: a pinned key of one of its parties. */
export interface HttpSigningKey {
  /** `<party>#<n>`, sent as `keyid`. */
  readonly keyId: string
  readonly privateKey: CryptoKey
}

/** Header fields as Node and Fastify hold them: any case, repeated fields as arrays. */
export type HeaderFields = Readonly<Record<string, string | readonly string[] | undefined>>

/** Finds the public key of a pinned key id (a peer's, still valid), or undefined if unknown. */
export type KeyResolver = (keyid: string) => string | undefined | Promise<string | undefined>

/**
 * What a signature must look like: its label, the components it covers (exactly these, in
 * this order) and the parameters it carries (exactly these). Parley's are
 * {@link parleyRequestProfile} and {@link parleyResponseProfile}; tests use others for RFC
 * vectors.
 */
export interface SignatureProfile {
  readonly label: string
  readonly components: (message: { readonly url?: URL; readonly hasBody: boolean }) => string[]
  readonly params: readonly string[]
}

/** DESIGN §4.6: how a federation request is signed. */
export const parleyRequestProfile: SignatureProfile = {
  label: SIGNATURE_LABEL,
  components: ({ url, hasBody }) => [
    '@method',
    '@authority',
    '@path',
    ...(url?.search ? ['@query'] : []),
    ...(hasBody ? ['content-digest', 'content-type'] : []),
  ],
  params: ['created', 'expires', 'nonce', 'keyid', 'alg'],
}

/** DESIGN §4.6: how a federation response is signed (a reply without a body covers `@status`). */
export const parleyResponseProfile: SignatureProfile = {
  label: SIGNATURE_LABEL,
  components: ({ hasBody }) => ['@status', ...(hasBody ? ['content-digest', 'content-type'] : [])],
  params: ['created', 'keyid'],
}

/** A request about to be sent. */
export interface OutgoingRequest {
  readonly method: string
  readonly url: string | URL
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: Uint8Array
}

/** A response about to be sent. */
export interface OutgoingResponse {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: Uint8Array
}

/** A request as received: `body` holds the exact bytes read off the wire, if any. */
export interface ReceivedRequest {
  readonly method: string
  /** Absolute, or relative to `origin` (Fastify's `request.url`). */
  readonly url: string
  readonly headers: HeaderFields
  readonly body: Uint8Array | undefined
}

/** A response as received. */
export interface ReceivedResponse {
  readonly status: number
  readonly headers: HeaderFields
  readonly body: Uint8Array | undefined
}

export interface VerifyRequestOptions {
  /** The verifier's clock, ms since the epoch. */
  readonly now: number
  readonly resolveKey: KeyResolver
  readonly nonces: NonceCache
  /**
   * The origin this node is addressed at (from its configured federation URL), against which a
   * relative `url` resolves. Never take it from the Host header: `@authority` is what binds a
   * request to this node.
   */
  readonly origin?: string
  readonly profile?: SignatureProfile
}

export interface VerifyResponseOptions {
  readonly now: number
  readonly resolveKey: KeyResolver
  readonly profile?: SignatureProfile
}

/** Who signed a message that verified. */
export interface VerifiedSignature {
  readonly keyid: string
  readonly party: string
  /** `created`, in seconds. */
  readonly created: number
}

/**
 * Signs a federation request (RFC 9421, label `sig1`, ed25519) at `now` (ms). Returns the
 * fields to add to the request: `Content-Digest` when there is a body, then `Signature-Input`
 * and `Signature`. A request with a body must carry its `Content-Type` in `headers`.
 */
export async function signRequest(
  request: OutgoingRequest,
  key: HttpSigningKey,
  options: { readonly now: number; readonly nonce?: string },
): Promise<Record<string, string>> {
  const url = new URL(request.url)
  const created = Math.floor(options.now / 1000)
  return signHttpMessage(
    { method: request.method, url },
    request,
    key,
    parleyRequestProfile.components({ url, hasBody: hasBody(request.body) }),
    {
      created: new Date(created * 1000),
      expires: new Date((created + SIGNATURE_WINDOW_SECONDS) * 1000),
      nonce: options.nonce ?? newNonce(),
      keyid: key.keyId,
      alg: 'ed25519',
    },
    parleyRequestProfile.params,
  )
}

/**
 * Signs a federation response at `now` (ms) so that the client can tell a genuine reply from a
 * spoofed one. Returns the fields to add: `Content-Digest` when there is a body, then
 * `Signature-Input` and `Signature`.
 */
export async function signResponse(
  response: OutgoingResponse,
  key: HttpSigningKey,
  options: { readonly now: number },
): Promise<Record<string, string>> {
  const created = Math.floor(options.now / 1000)
  return signHttpMessage(
    { status: response.status },
    response,
    key,
    parleyResponseProfile.components({ hasBody: hasBody(response.body) }),
    { created: new Date(created * 1000), keyid: key.keyId },
    parleyResponseProfile.params,
  )
}

/** 128 random bits, base64url. */
function newNonce(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)))
}

async function signHttpMessage(
  start: { method: string; url: URL } | { status: number },
  message: { readonly headers?: Readonly<Record<string, string>>; readonly body?: Uint8Array },
  key: HttpSigningKey,
  fields: string[],
  paramValues: SignatureParameters,
  params: readonly string[],
): Promise<Record<string, string>> {
  const headers = lowerCaseFields(message.headers ?? {})
  const added: Record<string, string> = {}
  if (hasBody(message.body)) {
    if (headers['content-type'] === undefined) {
      throw new TypeError('a signed message with a body needs a Content-Type')
    }
    added['content-digest'] = await contentDigest(message.body)
  }
  // Signature fields of the caller's would make the library pick another label.
  delete headers.signature
  delete headers['signature-input']
  const config: SignConfig = {
    key: {
      id: key.keyId,
      alg: 'ed25519',
      sign: async (data) => Buffer.from(await signRaw(key.privateKey, data)),
    },
    name: SIGNATURE_LABEL,
    fields,
    params: [...params],
    paramValues,
  }
  const all = { ...headers, ...added }
  // Two identical calls, because the library types its request and response overloads apart.
  const signed =
    'method' in start
      ? await httpbis.signMessage(config, { ...start, headers: all })
      : await httpbis.signMessage(config, { ...start, headers: all })
  const out = lowerCaseFields(signed.headers)
  return {
    ...added,
    'signature-input': out['signature-input']!,
    signature: out.signature!,
  }
}

/**
 * Verifies a signed federation request (DESIGN §4.6), for a Fastify hook. Returns the signer,
 * or throws a 401 `ServerError`: `HTTP_SIGNATURE_MISSING` (absent or malformed),
 * `KEY_NOT_PINNED`, `HTTP_SIGNATURE_EXPIRED`, `HTTP_SIGNATURE_INVALID` (signature, coverage or
 * digest) or `HTTP_SIGNATURE_REPLAY`. The nonce is remembered only once all else holds.
 */
export async function verifyRequest(
  request: ReceivedRequest,
  options: VerifyRequestOptions,
): Promise<VerifiedSignature> {
  let url: URL
  try {
    url = new URL(request.url, options.origin)
  } catch {
    throw new ServerError('HTTP_SIGNATURE_INVALID', { reason: 'request URL is not absolute' })
  }
  // A target like `//other.example/…` or `http://other.example/…` would otherwise let a peer
  // replay here a request that was signed for another node.
  if (options.origin !== undefined && url.origin !== new URL(options.origin).origin) {
    throw new ServerError('HTTP_SIGNATURE_INVALID', {
      reason: `request target ${url.origin} is not this node (${new URL(options.origin).origin})`,
    })
  }
  const profile = options.profile ?? parleyRequestProfile
  const verified = await verifyHttpMessage(
    { method: request.method, url },
    request,
    profile.components({ url, hasBody: hasBody(request.body) }),
    profile,
    options,
  )
  // After a crash the nonces accepted before this start are lost (nonce-store.ts): a request
  // captured then may have been accepted, so only a signature made since can be told apart
  // from a replay. An honest sender signs every attempt afresh, so it only retries once.
  if (verified.created * 1000 < options.nonces.since) {
    throw new ServerError('HTTP_SIGNATURE_EXPIRED', {
      reason: `created ${verified.created} is before this node started (${Math.floor(options.nonces.since / 1000)}); sign the request again`,
    })
  }
  if (verified.nonce !== undefined) {
    const expires = verified.expires ?? verified.created + SIGNATURE_WINDOW_SECONDS
    const key = `${verified.keyid} ${verified.nonce}`
    if (!options.nonces.claim(key, expires * 1000, options.now)) {
      throw new ServerError('HTTP_SIGNATURE_REPLAY', {
        keyid: verified.keyid,
        nonce: verified.nonce,
      })
    }
  }
  return { keyid: verified.keyid, party: verified.party, created: verified.created }
}

/**
 * Verifies a signed federation response with the same checks as {@link verifyRequest} (no
 * nonce: responses carry none). Throws the same 401 codes.
 */
export async function verifyResponse(
  response: ReceivedResponse,
  options: VerifyResponseOptions,
): Promise<VerifiedSignature> {
  const profile = options.profile ?? parleyResponseProfile
  const verified = await verifyHttpMessage(
    { status: response.status },
    response,
    profile.components({ hasBody: hasBody(response.body) }),
    profile,
    options,
  )
  return { keyid: verified.keyid, party: verified.party, created: verified.created }
}

interface SignatureParams {
  readonly created: number
  readonly expires?: number
  readonly nonce?: string
  readonly keyid: string
  readonly alg?: string
}

async function verifyHttpMessage(
  start: { method: string; url: URL } | { status: number },
  message: { readonly headers: HeaderFields; readonly body: Uint8Array | undefined },
  expectedComponents: readonly string[],
  profile: SignatureProfile,
  options: { readonly now: number; readonly resolveKey: KeyResolver },
): Promise<VerifiedSignature & SignatureParams> {
  const headers = lowerCaseFields(message.headers)
  const { input, signature } = findSignature(headers, profile.label)
  const params = readParams(input, profile)

  const publicKey = await options.resolveKey(params.keyid)
  if (publicKey === undefined) throw new ServerError('KEY_NOT_PINNED', { keyid: params.keyid })

  const skew = Math.abs(options.now - params.created * 1000) / 1000
  if (skew > SIGNATURE_WINDOW_SECONDS) {
    throw new ServerError('HTTP_SIGNATURE_EXPIRED', {
      reason: `created ${params.created} is ${Math.round(skew)} s from this node's clock`,
    })
  }
  if (params.expires !== undefined && options.now > params.expires * 1000) {
    throw new ServerError('HTTP_SIGNATURE_EXPIRED', { reason: `expired at ${params.expires}` })
  }

  const invalid = (reason: string) => new ServerError('HTTP_SIGNATURE_INVALID', { reason })
  const covered = input[0].map((item) => serializeItem(item))
  const expected = expectedComponents.map((name) => `"${name}"`)
  if (covered.join(' ') !== expected.join(' ')) {
    throw invalid(`covers (${covered.join(' ')}) where (${expected.join(' ')}) is required`)
  }
  if (expectedComponents.includes('content-digest')) {
    const digest = await verifyContentDigest(headers['content-digest'], message.body!)
    if (!digest.ok) throw invalid(digest.reason)
  }
  let base: string
  try {
    // As in signHttpMessage: one call per overload of the library.
    const components =
      'method' in start
        ? httpbis.createSignatureBase({ fields: covered }, { ...start, headers })
        : httpbis.createSignatureBase({ fields: covered }, { ...start, headers })
    components.push(['"@signature-params"', [serializeInnerList(input)]])
    base = httpbis.formatSignatureBase(components)
  } catch (error) {
    throw invalid((error as Error).message)
  }
  if (!(await verifyBytes(publicKey, signature, utf8(base)))) {
    throw invalid(`signature does not verify with ${params.keyid}`)
  }
  return { ...params, party: keyParty(params.keyid) }
}

function findSignature(
  headers: Record<string, string>,
  label: string,
): { input: InnerList; signature: Uint8Array } {
  const missing = (reason: string) => new ServerError('HTTP_SIGNATURE_MISSING', { reason })
  const inputField = headers['signature-input']
  const signatureField = headers.signature
  if (inputField === undefined || signatureField === undefined) {
    throw missing('no Signature-Input and Signature fields')
  }
  let inputs: ReturnType<typeof parseDictionary>
  let signatures: ReturnType<typeof parseDictionary>
  try {
    inputs = parseDictionary(inputField)
    signatures = parseDictionary(signatureField)
  } catch {
    throw missing('Signature-Input or Signature is not a structured dictionary')
  }
  const input = inputs.get(label)
  const signature = signatures.get(label)
  if (input === undefined || signature === undefined) throw missing(`no signature ${label}`)
  if (!isInnerList(input)) throw missing(`Signature-Input ${label} is not an inner list`)
  if (isInnerList(signature) || !(signature[0] instanceof ArrayBuffer)) {
    throw missing(`Signature ${label} is not a byte sequence`)
  }
  return { input, signature: new Uint8Array(signature[0]) }
}

function readParams(input: InnerList, profile: SignatureProfile): SignatureParams {
  const malformed = (reason: string) => new ServerError('HTTP_SIGNATURE_MISSING', { reason })
  const values = input[1]
  for (const name of values.keys()) {
    if (!profile.params.includes(name)) throw malformed(`unexpected parameter ${name}`)
  }
  for (const name of profile.params) {
    if (!values.has(name)) throw malformed(`no ${name} parameter`)
  }
  const integer = (name: string) => {
    const value = values.get(name)
    if (value === undefined) return undefined
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw malformed(`${name} is not an integer`)
    }
    return value
  }
  const string = (name: string) => {
    const value = values.get(name)
    if (value === undefined) return undefined
    if (typeof value !== 'string') throw malformed(`${name} is not a string`)
    return value
  }
  const created = integer('created')
  const keyid = string('keyid')
  if (created === undefined || keyid === undefined) throw malformed('no created or keyid')
  const expires = integer('expires')
  if (
    expires !== undefined &&
    (expires <= created || expires - created > SIGNATURE_WINDOW_SECONDS)
  ) {
    throw malformed(`expires must fall within ${SIGNATURE_WINDOW_SECONDS} s after created`)
  }
  const nonce = string('nonce')
  if (nonce !== undefined && !isNonce(nonce)) {
    throw malformed('nonce must be at least 128 bits of base64url')
  }
  const alg = string('alg')
  if (alg !== undefined && alg !== 'ed25519') {
    throw new ServerError('HTTP_SIGNATURE_INVALID', { reason: `algorithm ${alg} is not ed25519` })
  }
  return { created, keyid, expires, nonce, alg }
}

function isNonce(nonce: string): boolean {
  if (nonce.length > 128) return false
  try {
    return fromBase64Url(nonce).length >= 16
  } catch {
    return false
  }
}

function hasBody(body: Uint8Array | undefined): body is Uint8Array {
  return body !== undefined && body.length > 0
}

// Field names are case-insensitive; a repeated field is one value joined by ", " (RFC 9110 §5.3).
function lowerCaseFields(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
): Record<string, string> {
  // No prototype, so that a field named __proto__ is just a field.
  const out: Record<string, string> = Object.create(null)
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const joined = typeof value === 'string' ? value : value.join(', ')
    const lower = name.toLowerCase()
    out[lower] = out[lower] === undefined ? joined : `${out[lower]}, ${joined}`
  }
  return out
}
