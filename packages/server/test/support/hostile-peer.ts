import { Agent, request as httpRequest } from 'node:http'
import {
  createEvent,
  domainMessage,
  domains,
  type Event,
  type EventFields,
  eventId,
  type SignedEvent,
  type Signer,
  sign,
  signObject,
  utf8,
} from '@parley/protocol'
import { loadNodeIdentity } from '../../src/node-identity.ts'
import { type HttpSigningKey, signRequest } from '../../src/signed-http/http-signatures.ts'
import type { TestNode } from './nodes.ts'

/** A request as a hostile peer sends it: every part may be wrong on purpose. */
export interface HostileRequest {
  readonly method?: string
  /** Sent verbatim (no URL normalization), so `..` and odd escapes reach the server as written. */
  readonly path: string
  /** JSON to send (serialized with JSON.stringify), or exact bytes. */
  readonly body?: unknown
  readonly raw?: Uint8Array
  /** Default `application/json` when there is a body; null sends none. */
  readonly contentType?: string | null
  /** Sign as this key (default: the peer's first key); null sends the request unsigned. */
  readonly key?: HttpSigningKey | null
  /** The signer's clock, ms (default now). */
  readonly now?: number
  readonly nonce?: string
  /** Rewrites the header fields after signing (a subtly wrong signature, a swapped digest…). */
  readonly mutateHeaders?: (headers: Record<string, string>) => Record<string, string>
  /** Sends these bytes instead of the ones that were signed. */
  readonly sendInstead?: Uint8Array
}

/** What came back, as a peer sees it on the wire. */
export interface HostileReply {
  readonly status: number
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly text: string
  /** Parsed JSON, or undefined when the body is not JSON. */
  readonly json: unknown
}

/** `POST /federation/v1/events` as the node answers it. */
export interface PushReply {
  readonly receipts: { receipt: { events: string[]; by: string }; sig: string }[]
  readonly rejected: { id: string | null; index: number; code: string; message: string }[]
  readonly need: { channel: string; author: string; fromSeq: number }[]
}

/**
 * A client that holds a pinned peer party's real private keys and can sign anything with them:
 * genuine requests and events, or ones that are wrong in exactly one chosen way. It talks to
 * one node over real HTTP on loopback, through a keep-alive pool of at most `sockets`
 * connections, and never follows the protocol unless told to.
 */
export class HostilePeer {
  readonly party: string
  readonly target: string
  readonly keys: readonly HttpSigningKey[]
  readonly #agent: Agent
  readonly #host: string
  readonly #port: number

  constructor(options: {
    party: string
    target: string
    keys: readonly HttpSigningKey[]
    sockets?: number
  }) {
    if (options.keys.length === 0) throw new Error(`no keys for ${options.party}`)
    this.party = options.party
    this.target = options.target.replace(/\/+$/, '')
    this.keys = options.keys
    const url = new URL(this.target)
    this.#host = url.hostname
    this.#port = Number(url.port)
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.sockets ?? 8 })
  }

  /** The peer's first key, as an event signer and as an HTTP signing key. */
  get key(): HttpSigningKey & Signer {
    return this.keys[0]!
  }

  /** The same peer (same keys) aimed at another node. */
  aimedAt(target: string, sockets?: number): HostilePeer {
    return new HostilePeer({
      party: this.party,
      target,
      keys: this.keys,
      ...(sockets === undefined ? {} : { sockets }),
    })
  }

  /** A valid signed event of this party: checked by the protocol before it is signed. */
  event(fields: Omit<EventFields, 'author'> & { author?: string }, key?: Signer) {
    return createEvent({ author: this.party, ...fields } as EventFields, key ?? this.key)
  }

  /**
   * Signs any value as an event, without checking it first: malformed events with a genuine
   * signature get past step 3 of DESIGN §4.4 only if the node's shape check is broken.
   */
  async signAnything(event: unknown, key?: Signer): Promise<{ event: unknown; sig: string }> {
    return { event, sig: await signObject(domains.event, event, (key ?? this.key).privateKey) }
  }

  /**
   * Signs an event that may hold U+0000, as an implementation that allowed it would: RFC 8785
   * writes it as \u0000, where the protocol's own canonical form refuses it (STRING_HAS_NUL).
   */
  async signWithNul(event: unknown, key?: Signer): Promise<{ event: unknown; sig: string }> {
    const message = domainMessage(domains.event, utf8(plainJcs(event)))
    return { event, sig: await sign((key ?? this.key).privateKey, message) }
  }

  /** Re-signs a complete event after changing it, so only the changed rule can refuse it. */
  async resign(event: Event, key?: Signer): Promise<SignedEvent & { id: string }> {
    const signer = key ?? this.key
    const changed = { ...event, key: signer.keyId } as Event
    return {
      event: changed,
      sig: await signObject(domains.event, changed, signer.privateKey),
      id: await eventId(changed),
    }
  }

  /** The header fields a request needs, signed by `key` at `now` (the real client's way). */
  async sign(
    method: string,
    path: string,
    body: Uint8Array | undefined,
    options: { key?: HttpSigningKey; now?: number; nonce?: string; contentType?: string | null },
  ): Promise<Record<string, string>> {
    const headers: Record<string, string> = {}
    const type = options.contentType === undefined ? 'application/json' : options.contentType
    if (body !== undefined && type !== null) headers['content-type'] = type
    const signed = await signRequest(
      {
        method,
        url: `${this.target}${path}`,
        // A body sent without Content-Type is signed as if the field were empty.
        headers: body !== undefined && type === null ? { 'content-type': '' } : headers,
        ...(body === undefined ? {} : { body }),
      },
      options.key ?? this.key,
      {
        now: options.now ?? Date.now(),
        ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
      },
    )
    return { ...headers, ...signed }
  }

  /** Sends one request; `replay()` sends the very same bytes and header fields again. */
  async send(request: HostileRequest): Promise<HostileReply & { replay(): Promise<HostileReply> }> {
    const hasBody = request.body !== undefined || request.raw !== undefined
    const method = request.method ?? (hasBody ? 'POST' : 'GET')
    const bytes = hasBody
      ? (request.raw ?? new TextEncoder().encode(JSON.stringify(request.body)))
      : undefined
    const type =
      request.contentType === undefined
        ? hasBody
          ? 'application/json'
          : null
        : request.contentType
    let headers: Record<string, string> =
      request.key === null
        ? type === null
          ? {}
          : { 'content-type': type }
        : await this.sign(method, request.path, bytes, {
            ...(request.key === undefined ? {} : { key: request.key }),
            ...(request.now === undefined ? {} : { now: request.now }),
            ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
            contentType: type,
          })
    if (request.mutateHeaders !== undefined) headers = request.mutateHeaders({ ...headers })
    const sent = request.sendInstead ?? bytes
    const call = () => this.#exchange(method, request.path, headers, sent)
    return { ...(await call()), replay: call }
  }

  /** Pushes signed events as one batch, signed as the protocol says. */
  async push(events: readonly { event: unknown; sig: string }[], options: { now?: number } = {}) {
    const reply = await this.send({
      path: '/federation/v1/events',
      body: { events: events.map(({ event, sig }) => ({ event, sig })) },
      ...(options.now === undefined ? {} : { now: options.now }),
    })
    return { ...reply, body: reply.json as PushReply & { error?: { code: string } } }
  }

  /** Closes the pooled connections. */
  close(): void {
    this.#agent.destroy()
  }

  #exchange(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
  ): Promise<HostileReply> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: this.#host,
          port: this.#port,
          method,
          path,
          agent: this.#agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': body.length },
        },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('error', reject)
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let json: unknown
            try {
              json = text === '' ? undefined : JSON.parse(text)
            } catch {
              json = undefined
            }
            resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json })
          })
        },
      )
      outgoing.on('error', reject)
      outgoing.end(body === undefined ? undefined : Buffer.from(body))
    })
  }
}

/**
 * A hostile peer speaking for `party`, holding the real private keys of that party as they
 * lie in `owner`'s key files (the node that hosts it), aimed at `target`.
 */
export async function hostilePeer(
  owner: TestNode,
  party: string,
  target: TestNode,
  options: { sockets?: number } = {},
): Promise<HostilePeer> {
  const hosted = (await loadNodeIdentity(owner.config)).parties.get(party)
  if (hosted === undefined) throw new Error(`${owner.name} does not host ${party}`)
  return new HostilePeer({
    party,
    target: target.url,
    keys: hosted.keys.map((key) => ({ keyId: key.id, privateKey: key.privateKey })),
    ...options,
  })
}

/**
 * RFC 8785 for data made of strings, safe integers, booleans, null, arrays and objects: member
 * names sorted by UTF-16 code units, everything else as JSON.stringify writes it.
 */
function plainJcs(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(plainJcs).join(',')}]`
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  const members = Object.keys(value)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${plainJcs((value as Record<string, unknown>)[name])}`)
  return `{${members.join(',')}}`
}
