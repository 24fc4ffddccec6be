import {
  concatBytes,
  decodeUtf8,
  isProtocolError,
  type NodeDescriptor,
  parseJson,
  utf8,
  verifyDescriptor,
} from '@parley/protocol'
import { isServerError, ServerError } from '../errors.ts'
import { type HttpSigningKey, signRequest, verifyResponse } from './http-signatures.ts'

/** Public key of a pinned key of the peer addressed at `url`, or undefined if not pinned. */
export type PeerKeyResolver = (
  keyid: string,
  url: URL,
) => string | undefined | Promise<string | undefined>

export interface FederationClientOptions {
  /** The key this node signs requests with (a pinned key of one of its parties). */
  readonly signer: HttpSigningKey
  /** Only keys it returns may sign a reply; return only keys of the peer at `url`. */
  readonly resolvePeerKey: PeerKeyResolver
  readonly now: () => number
  readonly fetch?: typeof fetch
  /** Time for a whole exchange, body included; default 10 s. */
  readonly timeoutMs?: number
  /** Largest reply body read; default 40 MiB (a log page of 500 events of 64 KiB fits). */
  readonly maxResponseBytes?: number
}

export interface CallOptions {
  /** Cancels the call; its reason is thrown as is. */
  readonly signal?: AbortSignal
}

/** A reply whose signature verified with a pinned key of the peer. */
export interface FederationReply {
  readonly status: number
  readonly ok: boolean
  /** Parsed JSON, or undefined for an empty body. */
  readonly body: unknown
  /** The key and party that signed the reply. */
  readonly keyid: string
  readonly party: string
}

export interface FederationClient {
  get(url: string | URL, options?: CallOptions): Promise<FederationReply>
  postJson(url: string | URL, body: unknown, options?: CallOptions): Promise<FederationReply>
  /** `postJson` with a body already serialized as JSON text (sent exactly as given). */
  postJsonText(url: string | URL, json: string, options?: CallOptions): Promise<FederationReply>
  fetchDescriptor(url: string | URL, options?: CallOptions): Promise<NodeDescriptor>
}

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_MAX_RESPONSE_BYTES = 40 * 1024 * 1024

/**
 * A node's client for other nodes' federation APIs (DESIGN §4.6): requests are signed, replies
 * are returned only when signed by a pinned key of the peer (else `PEER_RESPONSE_UNSIGNED`), a
 * peer that does not answer in time is `PEER_UNREACHABLE`, and plain http is refused except to
 * loopback (`FEDERATION_URL_INSECURE`). Any status is returned once its signature holds.
 */
export function createFederationClient(options: FederationClientOptions): FederationClient {
  const transport = {
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  }

  async function call(
    method: 'GET' | 'POST',
    target: string | URL,
    body: Uint8Array | undefined,
    callOptions: CallOptions,
  ): Promise<FederationReply> {
    const url = federationUrl(target)
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    Object.assign(
      headers,
      await signRequest({ method, url, headers, body }, options.signer, { now: options.now() }),
    )
    const reply = await exchange(transport, url, { method, headers, body }, callOptions.signal)
    let signer: { keyid: string; party: string }
    try {
      signer = await verifyResponse(reply, {
        now: options.now(),
        resolveKey: (keyid) => options.resolvePeerKey(keyid, url),
      })
    } catch (error) {
      if (!isServerError(error)) throw error
      throw new ServerError('PEER_RESPONSE_UNSIGNED', {
        url: url.href,
        status: reply.status,
        reason: error.message,
      })
    }
    return {
      status: reply.status,
      ok: reply.status >= 200 && reply.status < 300,
      body: parseJsonReply(url, reply),
      keyid: signer.keyid,
      party: signer.party,
    }
  }

  return {
    get: (url, callOptions = {}) => call('GET', url, undefined, callOptions),
    postJson: (url, body, callOptions = {}) =>
      call('POST', url, utf8(JSON.stringify(body)), callOptions),
    postJsonText: (url, json, callOptions = {}) => call('POST', url, utf8(json), callOptions),
    fetchDescriptor: (url, callOptions = {}) =>
      fetchDescriptor(url, { ...transport, ...callOptions }),
  }
}

/**
 * Fetches and checks a node's descriptor, `GET /.well-known/parley` (unauthenticated: what it
 * says is trusted only once an operator pins a fingerprint). Throws `PEER_UNREACHABLE`,
 * `PEER_NOT_PARLEY` (a fixed reason: the answer is not a descriptor) or
 * `DESCRIPTOR_URL_MISMATCH` (its `federation` is not `nodeUrl`). No error quotes what the URL
 * sent: whoever adds a peer may be shown a server's private answer otherwise.
 */
export async function fetchDescriptor(
  nodeUrl: string | URL,
  options: {
    readonly fetch?: typeof fetch
    readonly timeoutMs?: number
    readonly maxBytes?: number
    readonly signal?: AbortSignal
  } = {},
): Promise<NodeDescriptor> {
  const url = new URL('/.well-known/parley', federationUrl(nodeUrl))
  const transport = {
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    // A descriptor of 100 parties with 100 keys each stays well under this.
    maxBytes: options.maxBytes ?? 4 * 1024 * 1024,
  }
  const base = federationBase(nodeUrl)
  const notParley = (reason: string, status?: number) =>
    new ServerError('PEER_NOT_PARLEY', {
      url: base,
      reason,
      ...(status === undefined ? {} : { status }),
    })
  let descriptor: NodeDescriptor
  try {
    const reply = await exchange(
      transport,
      url,
      { method: 'GET', headers: { accept: 'application/json' }, body: undefined },
      options.signal,
    )
    if (reply.status !== 200) throw notParley(`status ${reply.status}`, reply.status)
    descriptor = await verifyDescriptor(parseJsonReply(url, reply))
  } catch (error) {
    if (isServerError(error, 'PEER_RESPONSE_INVALID')) throw notParley(String(error.details.reason))
    if (isProtocolError(error, 'DESCRIPTOR_INVALID')) {
      throw notParley('the reply is not a valid node descriptor')
    }
    throw error
  }
  if (sameFederationUrl(descriptor.federation, base)) return descriptor
  throw new ServerError('DESCRIPTOR_URL_MISMATCH', { url: base })
}

/** A federation base URL as nodes compare and store it: scheme, host, port, path, no trailing slash. */
export function federationBase(target: string | URL): string {
  return federationUrl(target).href.replace(/\/+$/, '')
}

/** Whether a URL a peer named is `base` (false for one that is no usable federation URL). */
export function sameFederationUrl(named: string, base: string): boolean {
  try {
    return federationBase(named) === base
  } catch (error) {
    if (isServerError(error)) return false
    throw error
  }
}

/**
 * Parses a federation URL and applies DESIGN's TLS rule: https, or plain http to a loopback host
 * only. Throws `FEDERATION_URL_INVALID` or `FEDERATION_URL_INSECURE`.
 */
export function federationUrl(target: string | URL): URL {
  const text = String(target)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ServerError('FEDERATION_URL_INVALID', { url: text, reason: 'not an absolute URL' })
  }
  if (url.username !== '' || url.password !== '') {
    throw new ServerError('FEDERATION_URL_INVALID', {
      url: text,
      reason: 'credentials do not belong in the URL',
    })
  }
  if (url.protocol === 'https:') return url
  if (url.protocol !== 'http:') {
    throw new ServerError('FEDERATION_URL_INVALID', {
      url: text,
      reason: `scheme ${url.protocol} is not https`,
    })
  }
  if (!isLoopbackHost(url.hostname)) throw new ServerError('FEDERATION_URL_INSECURE', { url: text })
  return url
}

/**
 * Whether a host name or address is loopback: `localhost`, 127.0.0.0/8 or ::1 (with or without
 * brackets, or as an IPv4-mapped address, as a socket may report it).
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  const lower = bare.toLowerCase()
  if (lower === 'localhost' || lower === '::1') return true
  const v4 = lower.startsWith('::ffff:') ? lower.slice('::ffff:'.length) : lower
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4)
  if (octets !== null) return octets.slice(1).every((o) => Number(o) <= 255) && octets[1] === '127'
  // The URL parser writes ::ffff:127.0.0.1 as ::ffff:7f00:1 (and so on up to 7fff:ffff).
  return /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(lower)
}

interface Transport {
  readonly fetch: typeof fetch
  readonly timeoutMs: number
  readonly maxBytes: number
}

interface Reply {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: Uint8Array
}

async function exchange(
  transport: Transport,
  url: URL,
  request: { method: string; headers: Record<string, string>; body: Uint8Array | undefined },
  signal: AbortSignal | undefined,
): Promise<Reply> {
  const timeout = AbortSignal.timeout(transport.timeoutMs)
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
  try {
    const response = await transport.fetch(url, {
      method: request.method,
      headers: request.headers,
      body: request.body as Uint8Array<ArrayBuffer> | undefined,
      // A redirect would take the request to a place its signature and TLS check did not see.
      redirect: 'manual',
      signal: combined,
    })
    const body = await readBody(response, transport.maxBytes, url)
    return { status: response.status, headers: Object.fromEntries(response.headers), body }
  } catch (error) {
    if (signal?.aborted) throw signal.reason
    if (isServerError(error)) throw error
    const reason = timeout.aborted
      ? `no answer within ${transport.timeoutMs} ms`
      : describeFetchError(error)
    throw new ServerError('PEER_UNREACHABLE', { url: url.href, reason })
  }
}

async function readBody(response: Response, maxBytes: number, url: URL): Promise<Uint8Array> {
  const tooLarge = () =>
    new ServerError('PEER_RESPONSE_INVALID', {
      url: url.href,
      reason: `the reply is larger than ${maxBytes} bytes`,
    })
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel()
    throw tooLarge()
  }
  if (response.body === null) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of response.body) {
    size += chunk.length
    if (size > maxBytes) throw tooLarge()
    chunks.push(chunk)
  }
  return concatBytes(...chunks)
}

function parseJsonReply(url: URL, reply: Reply): unknown {
  if (reply.body.length === 0) return undefined
  const type = reply.headers['content-type'] ?? ''
  // Fixed reasons: a parser's message quotes the bytes, and those are the peer's to keep.
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ServerError('PEER_RESPONSE_INVALID', {
      url: url.href,
      reason: 'the reply is not application/json',
    })
  }
  try {
    return parseJson(decodeUtf8(reply.body))
  } catch (error) {
    if (!(error instanceof Error)) throw error
    throw new ServerError('PEER_RESPONSE_INVALID', {
      url: url.href,
      reason: isProtocolError(error, 'JSON_DUPLICATE_NAME')
        ? 'the reply repeats a member name'
        : 'the reply is not JSON',
    })
  }
}

// undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`.
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause
  if (cause instanceof Error)
    return `${error.message}: ${(cause as { code?: string }).code ?? cause.message}`
  return error.message
}
