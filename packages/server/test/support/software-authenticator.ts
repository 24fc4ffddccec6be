import { concatBytes, sha256, toBase64Url, utf8 } from '@parley/protocol'
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'

/**
 * A WebAuthn authenticator in software, for tests: real key pairs from WebCrypto (P-256 or
 * Ed25519), real CBOR attestation objects (format `none`) and real signed assertions, as a
 * browser with a platform authenticator would produce them.
 */
export class SoftwareAuthenticator {
  readonly credentialId = crypto.getRandomValues(new Uint8Array(16))
  counter = 0
  private keys: CryptoKeyPair | undefined
  readonly algorithm: 'ES256' | 'Ed25519'

  constructor(algorithm: 'ES256' | 'Ed25519' = 'ES256') {
    this.algorithm = algorithm
  }

  get id(): string {
    return toBase64Url(this.credentialId)
  }

  /** `navigator.credentials.create()` answered: a new credential bound to `rpId`. */
  async register(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
  ): Promise<RegistrationResponseJSON> {
    this.keys =
      this.algorithm === 'ES256'
        ? await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
            'sign',
            'verify',
          ])
        : ((await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
            'sign',
            'verify',
          ])) as CryptoKeyPair)
    const clientData = clientDataJson('webauthn.create', options.challenge, origin)
    const attested = concatBytes(
      new Uint8Array(16), // AAGUID: none
      uint16(this.credentialId.length),
      this.credentialId,
      await this.coseKey(),
    )
    // Flags: user present (0x01), user verified (0x04), attested credential data (0x40).
    const authData = await authenticatorData(options.rp.id!, 0x45, this.counter, attested)
    const attestationObject = cbor(
      new Map<unknown, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    )
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: toBase64Url(clientData),
        attestationObject: toBase64Url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    }
  }

  /** `navigator.credentials.get()` answered: an assertion signed with the credential's key. */
  async authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    origin: string,
    rpId = options.rpId!,
  ): Promise<AuthenticationResponseJSON> {
    if (this.keys === undefined) throw new Error('register first')
    this.counter += 1
    const clientData = clientDataJson('webauthn.get', options.challenge, origin)
    const authData = await authenticatorData(rpId, 0x05, this.counter)
    const signed = concatBytes(authData, await sha256(clientData))
    const signature =
      this.algorithm === 'ES256'
        ? derSignature(
            new Uint8Array(
              await crypto.subtle.sign(
                { name: 'ECDSA', hash: 'SHA-256' },
                this.keys.privateKey,
                signed as Uint8Array<ArrayBuffer>,
              ),
            ),
          )
        : new Uint8Array(
            await crypto.subtle.sign(
              'Ed25519',
              this.keys.privateKey,
              signed as Uint8Array<ArrayBuffer>,
            ),
          )
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: toBase64Url(clientData),
        authenticatorData: toBase64Url(authData),
        signature: toBase64Url(signature),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    }
  }

  private async coseKey(): Promise<Uint8Array> {
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', this.keys!.publicKey))
    if (this.algorithm === 'Ed25519') {
      // kty OKP (1), alg EdDSA (-8), crv Ed25519 (6), x
      return cbor(
        new Map<unknown, unknown>([
          [1, 1],
          [3, -8],
          [-1, 6],
          [-2, raw],
        ]),
      )
    }
    // kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y from the uncompressed point 04||x||y
    return cbor(
      new Map<unknown, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, raw.slice(1, 33)],
        [-3, raw.slice(33, 65)],
      ]),
    )
  }
}

function clientDataJson(type: string, challenge: string, origin: string): Uint8Array {
  return utf8(JSON.stringify({ type, challenge, origin, crossOrigin: false }))
}

async function authenticatorData(
  rpId: string,
  flags: number,
  counter: number,
  attested: Uint8Array = new Uint8Array(0),
): Promise<Uint8Array> {
  const count = new Uint8Array(4)
  new DataView(count.buffer).setUint32(0, counter)
  return concatBytes(await sha256(utf8(rpId)), new Uint8Array([flags]), count, attested)
}

function uint16(n: number): Uint8Array {
  return new Uint8Array([n >> 8, n & 0xff])
}

/** WebAuthn wants ECDSA signatures DER-encoded; WebCrypto gives r||s. */
function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0
    while (start < bytes.length - 1 && bytes[start] === 0) start++
    const trimmed = bytes.slice(start)
    const body = trimmed[0]! & 0x80 ? concatBytes(new Uint8Array([0]), trimmed) : trimmed
    return concatBytes(new Uint8Array([0x02, body.length]), body)
  }
  const seq = concatBytes(integer(raw.slice(0, 32)), integer(raw.slice(32)))
  return concatBytes(new Uint8Array([0x30, seq.length]), seq)
}

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys. */
function cbor(value: unknown): Uint8Array {
  const head = (major: number, n: number): Uint8Array => {
    if (n < 24) return new Uint8Array([(major << 5) | n])
    if (n < 0x100) return new Uint8Array([(major << 5) | 24, n])
    if (n < 0x10000) return new Uint8Array([(major << 5) | 25, n >> 8, n & 0xff])
    const out = new Uint8Array(5)
    out[0] = (major << 5) | 26
    new DataView(out.buffer).setUint32(1, n)
    return out
  }
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === 'string') {
    const bytes = utf8(value)
    return concatBytes(head(3, bytes.length), bytes)
  }
  if (value instanceof Uint8Array) return concatBytes(head(2, value.length), value)
  if (value instanceof Map) {
    const parts = [head(5, value.size)]
    for (const [k, v] of value) parts.push(cbor(k), cbor(v))
    return concatBytes(...parts)
  }
  throw new Error(`cbor: unsupported ${typeof value}`)
}
