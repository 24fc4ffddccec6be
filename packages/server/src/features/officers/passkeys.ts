import { fromBase64Url, toBase64Url } from '@parley/protocol'
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  VerifiedAuthenticationResponse,
  VerifiedRegistrationResponse,
} from '@simplewebauthn/server'
import { ServerError } from '../../errors.ts'

/** Where a WebAuthn ceremony happens: the relying party id and the origins allowed to ask. */
export interface RelyingParty {
  readonly id: string
  readonly name: string
  readonly origins: readonly string[]
}

/** A stored passkey as the ceremonies need it. */
export interface StoredPasskey {
  readonly id: string
  readonly publicKey: string
  readonly counter: number
  readonly transports: readonly string[]
}

// COSE algorithm ids: EdDSA (Ed25519) and ES256 (P-256), what platform and roaming
// authenticators offer; RSA is left out on purpose.
const ALGORITHMS = [-8, -7]

// Loaded on the first ceremony: the WebAuthn library and its ASN.1/CBOR code are some 20 MiB
// of an idle node's memory, for what an officer does when logging in.
const webauthn = () => import('@simplewebauthn/server')

/** Options for `navigator.credentials.create()`: a passkey as second factor of an officer. */
export async function passkeyRegistrationOptions(
  rp: RelyingParty,
  officer: { readonly id: string; readonly username: string; readonly displayName: string },
  existing: readonly StoredPasskey[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { generateRegistrationOptions } = await webauthn()
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: officer.username,
    userDisplayName: officer.displayName,
    userID: new TextEncoder().encode(officer.id),
    attestationType: 'none',
    excludeCredentials: existing.map((passkey) => ({
      id: passkey.id,
      transports: [...passkey.transports],
    })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    supportedAlgorithmIDs: ALGORITHMS,
  })
}

/** Checks a registration response against the challenge issued; the passkey to store. */
export async function verifyPasskeyRegistration(
  rp: RelyingParty,
  response: RegistrationResponseJSON,
  challenge: string,
): Promise<StoredPasskey> {
  const { verifyRegistrationResponse } = await webauthn()
  let result: VerifiedRegistrationResponse
  try {
    result = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: [...rp.origins],
      expectedRPID: rp.id,
      // The password was checked already; the passkey is the possession factor.
      requireUserVerification: false,
      supportedAlgorithmIDs: ALGORITHMS,
    })
  } catch (error) {
    throw new ServerError('PASSKEY_INVALID', { reason: (error as Error).message })
  }
  if (!result.verified) throw new ServerError('PASSKEY_INVALID', { reason: 'not verified' })
  const { credential } = result.registrationInfo
  return {
    id: credential.id,
    publicKey: toBase64Url(credential.publicKey),
    counter: credential.counter,
    transports: credential.transports ?? response.response.transports ?? [],
  }
}

/** Options for `navigator.credentials.get()`, limited to the officer's passkeys. */
export async function passkeyAuthenticationOptions(
  rp: RelyingParty,
  passkeys: readonly StoredPasskey[],
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { generateAuthenticationOptions } = await webauthn()
  return generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: passkeys.map((passkey) => ({
      id: passkey.id,
      transports: [...passkey.transports],
    })),
    userVerification: 'preferred',
  })
}

/**
 * Checks an assertion by one of the officer's passkeys against the challenge issued and
 * returns the authenticator's new signature counter. A counter that did not grow (when the
 * authenticator keeps one) means a cloned key and fails.
 */
export async function verifyPasskeyAssertion(
  rp: RelyingParty,
  response: AuthenticationResponseJSON,
  challenge: string,
  passkey: StoredPasskey,
): Promise<number> {
  const { verifyAuthenticationResponse } = await webauthn()
  let result: VerifiedAuthenticationResponse
  try {
    result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: [...rp.origins],
      expectedRPID: rp.id,
      credential: {
        id: passkey.id,
        publicKey: new Uint8Array(fromBase64Url(passkey.publicKey)),
        counter: passkey.counter,
        transports: [...passkey.transports],
      },
      requireUserVerification: false,
    })
  } catch (error) {
    throw new ServerError('PASSKEY_INVALID', { reason: (error as Error).message })
  }
  if (!result.verified) throw new ServerError('PASSKEY_INVALID', { reason: 'not verified' })
  return result.authenticationInfo.newCounter
}
