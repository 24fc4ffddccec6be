import { readFileSync } from 'node:fs'
import { type Ed25519KeyPair, generateKeyPair, signRaw, utf8 } from '@parley/protocol'
import fc from 'fast-check'
import { parseDictionary } from 'structured-headers'
import { beforeAll, describe, expect, it } from 'vitest'
import { verifyContentDigest } from './content-digest.ts'
import {
  type HeaderFields,
  type ReceivedRequest,
  type SignatureProfile,
  signRequest,
  signResponse,
  verifyRequest,
  verifyResponse,
} from './http-signatures.ts'
import { NonceCache } from './nonce-cache.ts'

const vector = JSON.parse(
  readFileSync(
    new URL('../../../../test-vectors/http-signatures/rfc9421-b26.json', import.meta.url),
    'utf8',
  ),
)

const NOW = 1_764_277_200_000
const ORIGIN = 'https://rus.example:8443'

let usa: Ed25519KeyPair
let other: Ed25519KeyPair

beforeAll(async () => {
  ;[usa, other] = await Promise.all([generateKeyPair(), generateKeyPair()])
})

const pinned = (keyid: string) => (keyid === 'usa#1' ? usa.publicKey : undefined)

async function signedPost(
  body = '{"events":[]}',
  path = '/federation/v1/events?batch=7',
): Promise<ReceivedRequest> {
  const bytes = utf8(body)
  const headers = { 'content-type': 'application/json' }
  const url = `${ORIGIN}${path}`
  const added = await signRequest(
    { method: 'POST', url, headers, body: bytes },
    { keyId: 'usa#1', privateKey: usa.privateKey },
    { now: NOW },
  )
  return { method: 'POST', url: path, headers: { ...headers, ...added }, body: bytes }
}

/** What a verified request of {@link signedPost} names: its signer and when it signed. */
const SIGNED_BY_USA = { keyid: 'usa#1', party: 'usa', created: NOW / 1000 }

function verify(request: ReceivedRequest, overrides: Partial<Parameters<typeof verifyRequest>[1]>) {
  return verifyRequest(request, {
    now: NOW,
    resolveKey: pinned,
    nonces: new NonceCache(),
    origin: ORIGIN,
    ...overrides,
  })
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code: string }).code
  }
  return 'ACCEPTED'
}

function withHeader(request: ReceivedRequest, name: string, value: string | undefined) {
  return { ...request, headers: { ...request.headers, [name]: value } }
}

describe('RFC 9421 Appendix B.2.6 (ed25519)', () => {
  const b26Profile: SignatureProfile = {
    label: 'sig-b26',
    components: () => ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
    params: ['created', 'keyid'],
  }
  const created = 1_618_884_473
  const request: ReceivedRequest = {
    method: vector.request.method,
    url: vector.request.url,
    headers: {
      ...vector.request.headers,
      'Signature-Input': vector.signatureInput,
      Signature: vector.signature,
    },
    body: utf8(vector.request.body),
  }
  const resolveKey = (keyid: string) => (keyid === 'test-key-ed25519' ? vector.keyJwk.x : undefined)
  const verifyVector = (message: ReceivedRequest) =>
    verifyRequest(message, {
      now: created * 1000,
      resolveKey,
      nonces: new NonceCache(),
      profile: b26Profile,
    })

  it('reproduces the RFC signature from its signature base and key', async () => {
    const privateKey = await crypto.subtle.importKey(
      'jwk',
      vector.keyJwk,
      { name: 'Ed25519' },
      false,
      ['sign'],
    )
    const expected = parseDictionary(vector.signature).get('sig-b26')![0] as ArrayBuffer
    const signature = await signRaw(privateKey, utf8(vector.signatureBase))
    expect(signature).toEqual(new Uint8Array(expected))
  })

  it('matches the RFC Content-Digest of the body', async () => {
    const check = await verifyContentDigest(
      vector.request.headers['Content-Digest'],
      utf8(vector.request.body),
    )
    expect(check).toEqual({ ok: true, algorithms: ['sha-512'] })
  })

  it('verifies the RFC request at the RFC time', async () => {
    await expect(verifyVector(request)).resolves.toEqual({
      keyid: 'test-key-ed25519',
      party: 'test-key-ed25519',
      created,
    })
  })

  it('rejects the RFC request when any covered component changes', async () => {
    const changed: ReceivedRequest[] = [
      withHeader(request, 'Date', 'Tue, 20 Apr 2021 02:07:56 GMT'),
      { ...request, method: 'PUT' },
      { ...request, url: 'https://example.com/bar?param=Value&Pet=dog' },
      { ...request, url: 'https://example.org/foo?param=Value&Pet=dog' },
      withHeader(request, 'Content-Type', 'text/plain'),
      withHeader(request, 'Content-Length', '19'),
    ]
    for (const message of changed) {
      expect(await codeOf(verifyVector(message))).toBe('HTTP_SIGNATURE_INVALID')
    }
  })
})

describe('signRequest and verifyRequest', () => {
  it('accepts a signed request and names the signing party', async () => {
    const request = await signedPost()
    await expect(verify(request, {})).resolves.toEqual({
      keyid: 'usa#1',
      party: 'usa',
      created: NOW / 1000,
    })
  })

  it('signs the components and parameters DESIGN §4.6 lists, in order', async () => {
    const request = await signedPost()
    const input = String(request.headers['signature-input'])
    expect(input).toMatch(
      /^sig1=\("@method" "@authority" "@path" "@query" "content-digest" "content-type"\);created=1764277200;expires=1764277500;nonce="[A-Za-z0-9_-]{22}";keyid="usa#1";alg="ed25519"$/,
    )
    expect(request.headers['content-digest']).toMatch(/^sha-256=:[A-Za-z0-9+/]{43}=:$/)
    const get = await signRequest(
      { method: 'GET', url: `${ORIGIN}/federation/v1/channels/ch_x/heads` },
      { keyId: 'usa#1', privateKey: usa.privateKey },
      { now: NOW },
    )
    expect(get['signature-input']).toMatch(/^sig1=\("@method" "@authority" "@path"\);created=/)
    expect(get['content-digest']).toBeUndefined()
  })

  it('accepts a request whose fields arrive in another case or split over lines', async () => {
    const request = await signedPost()
    const { 'content-type': type, ...rest } = request.headers
    await expect(
      verify({ ...request, headers: { ...rest, 'Content-Type': [String(type)] } }, {}),
    ).resolves.toMatchObject({ party: 'usa' })
  })

  it('rejects a request without a signature, or with a malformed one (HTTP_SIGNATURE_MISSING)', async () => {
    const request = await signedPost()
    const input = String(request.headers['signature-input'])
    const malformed = [
      { ...request, headers: { 'content-type': 'application/json' } },
      withHeader(request, 'signature', undefined),
      withHeader(request, 'signature-input', 'sig1=(("nested"))'),
      withHeader(request, 'signature-input', input.replace('sig1=', 'sig2=')),
      withHeader(request, 'signature-input', input.replace(/;nonce="[^"]*"/, '')),
      withHeader(request, 'signature-input', input.replace(/;nonce="[^"]*"/, ';nonce="abc"')),
      withHeader(request, 'signature-input', `${input};tag="x"`),
      withHeader(request, 'signature-input', input.replace(/expires=\d+/, 'expires=1764287200')),
      withHeader(request, 'signature-input', input.replace(/created=\d+/, 'created="now"')),
      withHeader(request, 'signature', 'sig1="not bytes"'),
    ]
    for (const message of malformed) {
      expect(await codeOf(verify(message, {}))).toBe('HTTP_SIGNATURE_MISSING')
    }
  })

  it('rejects a request signed for another node, however its target is written', async () => {
    const bytes = utf8('{"events":[]}')
    const headers = { 'content-type': 'application/json' }
    const forOther = await signRequest(
      { method: 'POST', url: 'https://other.example/federation/v1/events', headers, body: bytes },
      { keyId: 'usa#1', privateKey: usa.privateKey },
      { now: NOW },
    )
    for (const url of [
      '//other.example/federation/v1/events',
      'https://other.example/federation/v1/events',
      '/federation/v1/events',
    ]) {
      const request = { method: 'POST', url, headers: { ...headers, ...forOther }, body: bytes }
      expect(await codeOf(verify(request, {}))).toBe('HTTP_SIGNATURE_INVALID')
    }
  })

  it('rejects a key that is not pinned (KEY_NOT_PINNED)', async () => {
    const request = await signedPost()
    expect(await codeOf(verify(request, { resolveKey: () => undefined }))).toBe('KEY_NOT_PINNED')
  })

  it('rejects a bad signature, digest or coverage (HTTP_SIGNATURE_INVALID)', async () => {
    const request = await signedPost()
    const input = String(request.headers['signature-input'])
    const tampered = [
      { ...request, body: utf8('{"events":[1]}') },
      withHeader(request, 'content-digest', 'sha-256=:AAAA:'),
      withHeader(request, 'content-digest', 'md5=:AAAA:'),
      withHeader(request, 'signature-input', input.replace(' "content-type"', '')),
      withHeader(request, 'signature-input', input.replace('"ed25519"', '"rsa-pss-sha512"')),
    ]
    for (const message of tampered) {
      expect(await codeOf(verify(message, {}))).toBe('HTTP_SIGNATURE_INVALID')
    }
    expect(await codeOf(verify(request, { resolveKey: () => other.publicKey }))).toBe(
      'HTTP_SIGNATURE_INVALID',
    )
  })

  it('rejects a signature created over 300 s from the clock or past expires (HTTP_SIGNATURE_EXPIRED)', async () => {
    const request = await signedPost()
    await expect(verify(request, { now: NOW + 300_000 })).resolves.toEqual(SIGNED_BY_USA)
    expect(await codeOf(verify(request, { now: NOW + 300_001 }))).toBe('HTTP_SIGNATURE_EXPIRED')
    expect(await codeOf(verify(request, { now: NOW - 300_001 }))).toBe('HTTP_SIGNATURE_EXPIRED')
  })

  it('rejects a nonce seen within the window (HTTP_SIGNATURE_REPLAY)', async () => {
    const request = await signedPost()
    const nonces = new NonceCache()
    await expect(verify(request, { nonces })).resolves.toEqual(SIGNED_BY_USA)
    expect(await codeOf(verify(request, { nonces, now: NOW + 299_000 }))).toBe(
      'HTTP_SIGNATURE_REPLAY',
    )
  })

  it('refuses a signature made before its cache knew every nonce, and none made since (crash)', async () => {
    const request = await signedPost()
    // `created` is NOW in whole seconds: a cache complete from 1 ms after it refuses it.
    expect(await codeOf(verify(request, { nonces: new NonceCache({ since: NOW + 1 }) }))).toBe(
      'HTTP_SIGNATURE_EXPIRED',
    )
    await expect(verify(request, { nonces: new NonceCache({ since: NOW }) })).resolves.toEqual(
      SIGNED_BY_USA,
    )
  })

  it('does not let a rejected request use up its nonce', async () => {
    const request = await signedPost()
    const nonces = new NonceCache()
    await codeOf(verify({ ...request, body: utf8('{}') }, { nonces }))
    await expect(verify(request, { nonces })).resolves.toEqual(SIGNED_BY_USA)
  })

  it('rejects any mutation of method, path, query, body, fields or signature', async () => {
    const request = await signedPost('{"events":[{"a":1}]}', '/federation/v1/events?batch=7')
    const text = (value: unknown) => String(value)
    const mutation = fc.oneof(
      fc
        .constantFrom('GET', 'PUT', 'DELETE', 'PATCH')
        .map((method) => ({ ...request, method }) as ReceivedRequest),
      fc
        .stringMatching(/^\/[a-z0-9/]{0,30}$/)
        .filter((path) => path !== '/federation/v1/events')
        .map((path) => ({ ...request, url: `${path}?batch=7` })),
      fc
        .stringMatching(/^[a-z0-9=&]{0,20}$/)
        .filter((query) => query !== 'batch=7')
        .map((query) => ({ ...request, url: `/federation/v1/events?${query}` })),
      fc
        .uint8Array({ minLength: 0, maxLength: 40 })
        .filter((body) => text(new TextDecoder().decode(body)) !== '{"events":[{"a":1}]}')
        .map((body) => ({ ...request, body })),
      fc
        .constantFrom('content-type', 'content-digest', 'signature-input', 'signature')
        .chain((name) =>
          fc
            .string({ maxLength: 60 })
            .filter((value) => value.trim() !== text(request.headers[name]))
            .map((value) => withHeader(request, name, value)),
        ),
      fc
        .tuple(
          fc.nat({ max: text(request.headers.signature).length - 1 }),
          fc.constantFrom('A', 'B', '_', '-', '=', ':'),
        )
        .map(([at, char]) => {
          const signature = text(request.headers.signature)
          return withHeader(
            request,
            'signature',
            signature.slice(0, at) + char + signature.slice(at + 1),
          )
        })
        // A change in the padding bits of the last character decodes to the same signature:
        // that is the same signature, not a mutation of it.
        .filter((mutated) => signatureBytes(mutated) !== signatureBytes(request)),
    )
    await fc.assert(
      fc.asyncProperty(mutation, async (mutated) => {
        const code = await codeOf(verify(mutated, {}))
        expect(code).toMatch(/^HTTP_SIGNATURE_(INVALID|MISSING)$/)
      }),
      { numRuns: 300 },
    )
  })
})

describe('signResponse and verifyResponse', () => {
  async function signedReply(status = 200, body = '{"receipts":[]}') {
    const bytes = utf8(body)
    const headers: HeaderFields = { 'content-type': 'application/json; charset=utf-8' }
    const added = await signResponse(
      { status, headers: headers as Record<string, string>, body: bytes },
      { keyId: 'usa#1', privateKey: usa.privateKey },
      { now: NOW },
    )
    return { status, headers: { ...headers, ...added }, body: bytes }
  }

  it('signs @status, content-digest and content-type with created and keyid', async () => {
    const reply = await signedReply()
    expect(reply.headers['signature-input']).toBe(
      'sig1=("@status" "content-digest" "content-type");created=1764277200;keyid="usa#1"',
    )
    await expect(verifyResponse(reply, { now: NOW, resolveKey: pinned })).resolves.toMatchObject({
      party: 'usa',
    })
  })

  it('tells a spoofed reply from a genuine one', async () => {
    const reply = await signedReply()
    const spoofed = [
      { ...reply, status: 201 },
      { ...reply, body: utf8('{"receipts":[1]}') },
      { ...reply, headers: { ...reply.headers, 'content-type': 'text/html' } },
      { ...reply, headers: { 'content-type': 'application/json' } },
    ]
    const codes = await Promise.all(
      spoofed.map((message) => codeOf(verifyResponse(message, { now: NOW, resolveKey: pinned }))),
    )
    expect(codes).toEqual([
      'HTTP_SIGNATURE_INVALID',
      'HTTP_SIGNATURE_INVALID',
      'HTTP_SIGNATURE_INVALID',
      'HTTP_SIGNATURE_MISSING',
    ])
    expect(await codeOf(verifyResponse(reply, { now: NOW + 301_000, resolveKey: pinned }))).toBe(
      'HTTP_SIGNATURE_EXPIRED',
    )
  })
})

/** The signature a request carries, as the bytes its header decodes to (hex), or the raw text. */
function signatureBytes(request: { headers: Record<string, unknown> }): string {
  const value = String(request.headers.signature)
  const match = /^sig1=:([A-Za-z0-9+/=]*):$/.exec(value)
  return match === null ? value : Buffer.from(match[1]!, 'base64').toString('hex')
}
