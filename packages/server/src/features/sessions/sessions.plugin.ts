import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ServerError } from '../../errors.ts'
import { schemaOf } from '../../http/route-schema.ts'
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
  sessionView,
} from './sessions.service.ts'

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
  /** The caller's own session; an API token has none. */
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
    api.login.path,
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
      schema: schemaOf(api.login),
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
    api.loginWithTotp.path,
    {
      config: { auth: 'public' },
      schema: schemaOf(api.loginWithTotp),
    },
    (request, reply) => secondStep(request, reply, { method: 'totp', code: request.body.code }),
  )

  app.post(
    api.loginWithRecoveryCode.path,
    {
      config: { auth: 'public' },
      schema: schemaOf(api.loginWithRecoveryCode),
    },
    (request, reply) => secondStep(request, reply, { method: 'recovery', code: request.body.code }),
  )

  app.post(
    api.passkeyLoginOptions.path,
    {
      config: { auth: 'public' },
      schema: schemaOf(api.passkeyLoginOptions),
    },
    async (request) => {
      const token = await pendingLogin(request)
      return passkeyLoginOptions(auth, relyingParty(request, auth.settings), token)
    },
  )

  app.post(
    api.loginWithPasskey.path,
    {
      config: { auth: 'public' },
      schema: schemaOf(api.loginWithPasskey),
    },
    (request, reply) =>
      secondStep(request, reply, {
        method: 'passkey',
        response: request.body.response as unknown as AuthenticationResponseJSON,
        rp: relyingParty(request, auth.settings),
      }),
  )

  app.get(
    api.getSession.path,
    { config: officerRoute, schema: schemaOf(api.getSession) },
    async (request) => sessionView(auth, await ownSession(request)),
  )

  app.post(
    api.logout.path,
    { config: officerRoute, schema: schemaOf(api.logout) },
    async (request, reply) => {
      await logout(auth, await ownSession(request))
      clearSessionCookie(request, reply, auth.settings)
      return reply.status(204).send()
    },
  )

  app.post(
    api.changePassword.path,
    {
      config: officerRoute,
      schema: schemaOf(api.changePassword),
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
    api.beginTotpEnrolment.path,
    {
      config: officerRoute,
      schema: schemaOf(api.beginTotpEnrolment),
    },
    async (request) => beginTotpEnrolment(auth, (await ownSession(request)).officer),
  )

  app.post(
    api.confirmTotpEnrolment.path,
    {
      config: officerRoute,
      schema: schemaOf(api.confirmTotpEnrolment),
    },
    async (request, reply) => {
      const session = await ownSession(request)
      const { recoveryCodes } = await confirmTotpEnrolment(auth, session.officer, request.body.code)
      return { recoveryCodes, session: issue(request, reply, await reissue(auth, session)) }
    },
  )

  app.post(
    api.passkeyRegistrationOptions.path,
    {
      config: officerRoute,
      schema: schemaOf(api.passkeyRegistrationOptions),
    },
    async (request) =>
      passkeyRegistrationOptions(
        auth,
        relyingParty(request, auth.settings),
        await ownSession(request),
      ),
  )

  app.post(
    api.registerPasskey.path,
    {
      config: officerRoute,
      schema: schemaOf(api.registerPasskey),
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
    api.regenerateRecoveryCodes.path,
    {
      config: officerRoute,
      schema: schemaOf(api.regenerateRecoveryCodes),
    },
    async (request) => ({
      recoveryCodes: await regenerateRecoveryCodes(auth, (await ownSession(request)).officer),
    }),
  )
}
