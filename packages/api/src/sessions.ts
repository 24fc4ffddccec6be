import { type Static, Type } from 'typebox'
import { OfficerSchema } from './officers.ts'
import { operation } from './operation.ts'

const SecondFactorSchema = Type.Union([
  Type.Literal('totp'),
  Type.Literal('passkey'),
  Type.Literal('recovery'),
])

/** A session as its own officer sees it (`GET /api/v1/auth/session`, and every login step). */
export const SessionSchema = Type.Object({
  stage: Type.Union([Type.Literal('second-factor'), Type.Literal('active')]),
  /** Send it back in `x-csrf-token` with every state-changing request. */
  csrfToken: Type.String(),
  /** The absolute end of the session (ms). */
  expiresAt: Type.Integer(),
  /** The officer, once logged in; null while the second factor is due. */
  officer: Type.Union([OfficerSchema, Type.Null()]),
  /** The factors that complete a pending login. */
  secondFactors: Type.Array(SecondFactorSchema),
  /** What the officer must do before the rest of the API answers. */
  setup: Type.Object({
    mustChangePassword: Type.Boolean(),
    mustEnrolSecondFactor: Type.Boolean(),
  }),
})
export type SessionView = Static<typeof SessionSchema>

const closed = { additionalProperties: false } as const
const tags = ['auth']
const Code = Type.String({ minLength: 1, maxLength: 64 })
const Password = Type.String({ minLength: 1, maxLength: 1024 })
/** Shown once, the first time a factor is enrolled; null afterwards. */
const RecoveryCodes = Type.Union([Type.Array(Type.String()), Type.Null()])
/** A WebAuthn response as `@simplewebauthn/browser` produces it; the node's library checks the rest. */
const WebAuthnResponse = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1024 }),
    rawId: Type.String({ minLength: 1, maxLength: 1024 }),
    type: Type.Literal('public-key'),
    response: Type.Object({}, { additionalProperties: true }),
    clientExtensionResults: Type.Object({}, { additionalProperties: true }),
    authenticatorAttachment: Type.Optional(Type.String()),
  },
  closed,
)
/** WebAuthn options for `@simplewebauthn/browser`, as the W3C's JSON forms define them. */
const WebAuthnOptions = Type.Object(
  { challenge: Type.String() },
  { additionalProperties: true, description: 'PublicKeyCredential{Creation,Request}OptionsJSON' },
)
/** A pending login's second step: its cookie and CSRF token, then the factor's own checks. */
const secondStep = [
  'AUTH_REQUIRED',
  'SESSION_EXPIRED',
  'CSRF_INVALID',
  'FACTOR_NOT_ENROLLED',
  'ACCOUNT_LOCKED',
  'ADDRESS_LOCKED',
] as const

/** Officer authentication: login with password and second factor, and the officer's own account. */
export const sessionOperations = {
  login: operation({
    method: 'POST',
    path: '/auth/login',
    tags,
    summary: 'Log in with username and password; a second factor follows when enrolled',
    auth: 'public',
    body: Type.Object(
      { username: Type.String({ minLength: 1, maxLength: 64 }), password: Password },
      closed,
    ),
    responses: { 200: SessionSchema },
    errors: ['CSRF_INVALID', 'LOGIN_FAILED', 'ACCOUNT_LOCKED', 'ADDRESS_LOCKED'],
  }),
  loginWithTotp: operation({
    method: 'POST',
    path: '/auth/login/totp',
    tags,
    summary: 'Complete a login with an authenticator app code',
    auth: 'public',
    body: Type.Object({ code: Code }, closed),
    responses: { 200: SessionSchema },
    errors: [...secondStep, 'TOTP_INVALID', 'TOTP_REPLAYED'],
  }),
  loginWithRecoveryCode: operation({
    method: 'POST',
    path: '/auth/login/recovery',
    tags,
    summary: 'Complete a login with a single-use recovery code',
    auth: 'public',
    body: Type.Object({ code: Code }, closed),
    responses: { 200: SessionSchema },
    errors: [...secondStep, 'RECOVERY_CODE_INVALID'],
  }),
  passkeyLoginOptions: operation({
    method: 'POST',
    path: '/auth/login/passkey/options',
    tags,
    summary: 'WebAuthn options to complete a login with a passkey',
    auth: 'public',
    responses: { 200: WebAuthnOptions },
    errors: secondStep,
  }),
  loginWithPasskey: operation({
    method: 'POST',
    path: '/auth/login/passkey',
    tags,
    summary: 'Complete a login with a passkey assertion',
    auth: 'public',
    body: Type.Object({ response: WebAuthnResponse }, closed),
    responses: { 200: SessionSchema },
    errors: [...secondStep, 'PASSKEY_INVALID', 'PASSKEY_CHALLENGE_MISSING'],
  }),
  getSession: operation({
    method: 'GET',
    path: '/auth/session',
    tags,
    auth: 'officer',
    accountSetup: true,
    responses: { 200: SessionSchema },
    errors: [],
  }),
  logout: operation({
    method: 'POST',
    path: '/auth/logout',
    tags,
    summary: 'End this session',
    auth: 'officer',
    accountSetup: true,
    responses: { 204: null },
    errors: [],
  }),
  changePassword: operation({
    method: 'POST',
    path: '/auth/password',
    tags,
    summary: 'Change the password; ends the officer’s other sessions and renews this one',
    auth: 'officer',
    accountSetup: true,
    body: Type.Object({ current: Password, next: Password }, closed),
    responses: { 200: SessionSchema },
    errors: ['PASSWORD_INCORRECT', 'PASSWORD_TOO_WEAK'],
  }),
  beginTotpEnrolment: operation({
    method: 'POST',
    path: '/auth/totp',
    tags,
    summary: 'Start enrolling an authenticator app: a secret and its otpauth:// URI for a QR code',
    auth: 'officer',
    accountSetup: true,
    responses: { 200: Type.Object({ secret: Type.String(), uri: Type.String() }) },
    errors: [],
  }),
  confirmTotpEnrolment: operation({
    method: 'POST',
    path: '/auth/totp/confirm',
    tags,
    summary: 'Confirm the authenticator app with a code; returns recovery codes the first time',
    auth: 'officer',
    accountSetup: true,
    body: Type.Object({ code: Code }, closed),
    responses: { 200: Type.Object({ recoveryCodes: RecoveryCodes, session: SessionSchema }) },
    errors: ['FACTOR_NOT_ENROLLED', 'TOTP_INVALID', 'TOTP_REPLAYED'],
  }),
  passkeyRegistrationOptions: operation({
    method: 'POST',
    path: '/auth/passkeys/options',
    tags,
    summary: 'WebAuthn options to register a passkey',
    auth: 'officer',
    accountSetup: true,
    responses: { 200: WebAuthnOptions },
    errors: [],
  }),
  registerPasskey: operation({
    method: 'POST',
    path: '/auth/passkeys',
    tags,
    summary: 'Register a passkey; returns recovery codes the first time',
    auth: 'officer',
    accountSetup: true,
    body: Type.Object(
      {
        response: WebAuthnResponse,
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      },
      closed,
    ),
    responses: {
      200: Type.Object({
        recoveryCodes: RecoveryCodes,
        passkey: Type.Object({ id: Type.String(), name: Type.String() }),
        session: SessionSchema,
      }),
    },
    errors: ['PASSKEY_INVALID', 'PASSKEY_CHALLENGE_MISSING'],
  }),
  regenerateRecoveryCodes: operation({
    method: 'POST',
    path: '/auth/recovery-codes',
    tags,
    summary: 'Replace the recovery codes with ten new ones (shown once)',
    auth: 'officer',
    accountSetup: true,
    responses: { 200: Type.Object({ recoveryCodes: Type.Array(Type.String()) }) },
    errors: ['FACTOR_NOT_ENROLLED'],
  }),
}
