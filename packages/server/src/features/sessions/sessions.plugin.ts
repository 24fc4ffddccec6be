import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ServerError } from '../../errors.ts'
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  regenerateRecoveryCodes,
} from '../officers/second-factors.ts'
import {
  assertCsrf,
  assertSameOrigin,
  clearSessionCookie,
  relyingParty,
  SESSION_COOKIE,
  setSessionCookie,
} from './session-auth.ts'
import { type SessionWithOfficer, sessionWithOfficer } from './sessions.repository.ts'
import {
  type AuthContext,
  type Client,
  changeOwnPassword,
  completeLogin,
  type IssuedSession,
  login,
  loginRefused,
  logout,
  passkeyLoginOptions,
  passkeyRegistrationOptions,
  registerPasskey,
  reissue,
  resolveSession,
  type SecondFactorProof,
  SessionSchema,
  sessionView,
} from './sessions.service.ts'

const Code = Type.String({ minLength: 1, maxLength: 64 })
const Password = Type.String({ minLength: 1, maxLength: 1024 })
/** Shown once, the first time a factor is enrolled; null afterwards. */
const recoveryCodes = Type.Union([Type.Array(Type.String()), Type.Null()])
/** A WebAuthn response as `@simplewebauthn/browser` produces it; the library checks the rest. */
const WebAuthnResponse = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1024 }),
    rawId: Type.String({ minLength: 1, maxLength: 1024 }),
    type: Type.Literal('public-key'),
    response: Type.Object({}, { additionalProperties: true }),
    clientExtensionResults: Type.Object({}, { additionalProperties: true }),
    authenticatorAttachment: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)
const tags = ['auth']
const security = [{ session: [] }]

/**
 * Officer authentication (`/api/v1/auth/…`): login with password and second factor, logout,
 * the session, password change, and enrolment of TOTP, passkeys and recovery codes.
 */
export const sessionsPlugin: FastifyPluginAsyncTypebox<{ auth: AuthContext }> = async (
  app,
  { auth },
) => {
  const client = (request: FastifyRequest): Client => ({
    ip: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  })
  const issue = (request: FastifyRequest, reply: FastifyReply, issued: IssuedSession) => {
    setSessionCookie(
      request,
      reply,
      auth.settings,
      issued.token,
      issued.session.expiresAt,
      auth.now(),
    )
    return issued.session
  }
  /** The caller's own session; the automation credential has none. */
  const ownSession = async (request: FastifyRequest): Promise<SessionWithOfficer> => {
    const idHash = request.officer?.session
    const session = idHash == null ? undefined : await sessionWithOfficer(auth.db, idHash)
    if (session === undefined) throw new ServerError('AUTH_REQUIRED')
    return session
  }
  /** A login waiting for its second factor: these routes are public, so check here. */
  const pendingLogin = async (request: FastifyRequest) => {
    const token = request.cookies[SESSION_COOKIE]
    const pending = await resolveSession(auth, token, 'second-factor')
    assertCsrf(request, auth.settings, pending.csrf_token)
    return token
  }
  const secondStep = async (
    request: FastifyRequest,
    reply: FastifyReply,
    proof: SecondFactorProof,
  ) => {
    const token = await pendingLogin(request)
    return issue(request, reply, await completeLogin(auth, client(request), token, proof))
  }
  // Any officer manages their own account; every officer holds at least the viewer role.
  const officerRoute = {
    auth: 'officer',
    accountSetup: true,
    requires: { role: 'viewer' },
  } as const

  app.post(
    '/auth/login',
    {
      config: { auth: 'public' },
      // The input layer and the schema refuse before the handler runs; such an attempt still
      // counts towards the lock-out and is audited (the app's error handler then answers it).
      errorHandler: async (error, request) => {
        const status =
          (error as { status?: unknown; statusCode?: unknown }).status ?? error.statusCode
        if (status !== 400 && status !== 415) throw error
        await loginRefused(auth, client(request), request.refusedBody ?? request.body, error)
      },
      schema: {
        tags,
        summary: 'Log in with username and password; a second factor follows when enrolled',
        body: Type.Object(
          { username: Type.String({ minLength: 1, maxLength: 64 }), password: Password },
          { additionalProperties: false },
        ),
        response: { 200: SessionSchema },
      },
    },
    async (request, reply) => {
      // A login form posted from another site would log the victim into the attacker's account.
      assertSameOrigin(request, auth.settings)
      const issued = await login(
        auth,
        client(request),
        request.body,
        request.cookies[SESSION_COOKIE],
      )
      return issue(request, reply, issued)
    },
  )

  app.post(
    '/auth/login/totp',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'Complete a login with an authenticator app code',
        body: Type.Object({ code: Code }, { additionalProperties: false }),
        response: { 200: SessionSchema },
      },
    },
    (request, reply) => secondStep(request, reply, { method: 'totp', code: request.body.code }),
  )

  app.post(
    '/auth/login/recovery',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'Complete a login with a single-use recovery code',
        body: Type.Object({ code: Code }, { additionalProperties: false }),
        response: { 200: SessionSchema },
      },
    },
    (request, reply) => secondStep(request, reply, { method: 'recovery', code: request.body.code }),
  )

  app.post(
    '/auth/login/passkey/options',
    {
      config: { auth: 'public' },
      schema: { tags, summary: 'WebAuthn options to complete a login with a passkey' },
    },
    async (request) => {
      const token = await pendingLogin(request)
      return passkeyLoginOptions(auth, relyingParty(request, auth.settings), token)
    },
  )

  app.post(
    '/auth/login/passkey',
    {
      config: { auth: 'public' },
      schema: {
        tags,
        summary: 'Complete a login with a passkey assertion',
        body: Type.Object({ response: WebAuthnResponse }, { additionalProperties: false }),
        response: { 200: SessionSchema },
      },
    },
    (request, reply) =>
      secondStep(request, reply, {
        method: 'passkey',
        response: request.body.response as unknown as AuthenticationResponseJSON,
        rp: relyingParty(request, auth.settings),
      }),
  )

  app.get(
    '/auth/session',
    { config: officerRoute, schema: { tags, security, response: { 200: SessionSchema } } },
    async (request) => sessionView(auth, await ownSession(request)),
  )

  app.post(
    '/auth/logout',
    { config: officerRoute, schema: { tags, security, summary: 'End this session' } },
    async (request, reply) => {
      await logout(auth, await ownSession(request))
      clearSessionCookie(request, reply, auth.settings)
      return reply.status(204).send()
    },
  )

  app.post(
    '/auth/password',
    {
      config: officerRoute,
      schema: {
        tags,
        security,
        summary: 'Change the password; ends the officer’s other sessions and renews this one',
        body: Type.Object({ current: Password, next: Password }, { additionalProperties: false }),
        response: { 200: SessionSchema },
      },
    },
    async (request, reply) => {
      const { current, next } = request.body
      return issue(
        request,
        reply,
        await changeOwnPassword(auth, await ownSession(request), current, next),
      )
    },
  )

  app.post(
    '/auth/totp',
    {
      config: officerRoute,
      schema: {
        tags,
        security,
        summary:
          'Start enrolling an authenticator app: a secret and its otpauth:// URI for a QR code',
        response: { 200: Type.Object({ secret: Type.String(), uri: Type.String() }) },
      },
    },
    async (request) => beginTotpEnrolment(auth, (await ownSession(request)).officer),
  )

  app.post(
    '/auth/totp/confirm',
    {
      config: officerRoute,
      schema: {
        tags,
        security,
        summary: 'Confirm the authenticator app with a code; returns recovery codes the first time',
        body: Type.Object({ code: Code }, { additionalProperties: false }),
        response: { 200: Type.Object({ recoveryCodes, session: SessionSchema }) },
      },
    },
    async (request, reply) => {
      const session = await ownSession(request)
      const { recoveryCodes } = await confirmTotpEnrolment(auth, session.officer, request.body.code)
      return { recoveryCodes, session: issue(request, reply, await reissue(auth, session)) }
    },
  )

  app.post(
    '/auth/passkeys/options',
    {
      config: officerRoute,
      schema: { tags, security, summary: 'WebAuthn options to register a passkey' },
    },
    async (request) =>
      passkeyRegistrationOptions(
        auth,
        relyingParty(request, auth.settings),
        await ownSession(request),
      ),
  )

  app.post(
    '/auth/passkeys',
    {
      config: officerRoute,
      schema: {
        tags,
        security,
        summary: 'Register a passkey; returns recovery codes the first time',
        body: Type.Object(
          {
            response: WebAuthnResponse,
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            recoveryCodes,
            passkey: Type.Object({ id: Type.String(), name: Type.String() }),
            session: SessionSchema,
          }),
        },
      },
    },
    async (request, reply) => {
      const session = await ownSession(request)
      const registered = await registerPasskey(
        auth,
        relyingParty(request, auth.settings),
        session,
        request.body.response as unknown as RegistrationResponseJSON,
        request.body.name ?? 'passkey',
      )
      return { ...registered, session: issue(request, reply, await reissue(auth, session)) }
    },
  )

  app.post(
    '/auth/recovery-codes',
    {
      config: officerRoute,
      schema: {
        tags,
        security,
        summary: 'Replace the recovery codes with ten new ones (shown once)',
        response: { 200: Type.Object({ recoveryCodes: Type.Array(Type.String()) }) },
      },
    },
    async (request) => ({
      recoveryCodes: await regenerateRecoveryCodes(auth, (await ownSession(request)).officer),
    }),
  )
}
