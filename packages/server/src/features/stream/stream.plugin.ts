import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { isServerError } from '../../errors.ts'
import { schemaOf } from '../../http/route-schema.ts'
import type { Timer } from '../../node/clock.ts'
import type { NodeContext } from '../../node/context.ts'
import { type AccessContext, channelVisibility } from '../access/access.service.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'
import { type AuthContext, resolveSessionHash } from '../sessions/sessions.service.ts'
import { tokenOfficer } from '../tokens/tokens.service.ts'

/** How often an open stream checks that its session (or API token) still holds. */
const SESSION_CHECK_MS = 5_000
/** The close code of a stream whose session ended (logout, revocation, timeout, new id). */
const SESSION_ENDED_CLOSE = 4401

/**
 * `GET /api/v1/stream` (WebSocket): every event this node commits from now on, local or
 * received, as `{ "type": "event", "id", "event", "sig" }`, optionally for one channel.
 * The console opens it with its session cookie (same origin); a script, which cannot set
 * headers on a WebSocket in a browser, with `?ticket=` from `POST /stream/tickets`, never with
 * its token in the URL. An officer receives only events of channels in their compartments,
 * checked event by event, so a revoked grant takes effect on an open stream too. A stream ends
 * (close code 4401) within 5 s of its session or token ending (logout, revocation, a disabled
 * officer, a timeout, an expiry, or a new session id after a privilege change; the console then
 * opens another), or at the next event, which it never receives.
 */
export const streamPlugin: FastifyPluginAsyncTypebox<{
  ctx: NodeContext
  access: AccessContext
  auth: AuthContext
}> = async (app, { ctx, access, auth }) => {
  app.get(
    api.stream.path,
    {
      websocket: true,
      config: { auth: 'officer', requires: { role: 'viewer', channel: 'query.channel' } },
      schema: schemaOf(api.stream),
    },
    (socket, request) => {
      const { channel } = request.query
      const visibility = channelVisibility(access, request.officer!)
      const officer = request.officer!
      // A session ended by logout or revocation between two checks must not see another event.
      const sessionHolds = async () => {
        try {
          await credentialHolds(auth, officer)
          return true
        } catch (error) {
          if (!isServerError(error)) throw error
          socket.close(SESSION_ENDED_CLOSE, error.code)
          return false
        }
      }
      // Checks are asynchronous; chaining them keeps the events in commit order.
      let sending = Promise.resolve()
      const unsubscribe = ctx.hub.subscribe(({ id, signed }) => {
        if (channel !== undefined && signed.event.channel !== channel) return
        sending = sending
          .then(async () => {
            if (!(await visibility.visible(signed.event.channel))) return
            if (socket.readyState !== socket.OPEN || !(await sessionHolds())) return
            socket.send(JSON.stringify({ type: 'event', id, event: signed.event, sig: signed.sig }))
          })
          .catch((error: unknown) => request.log.warn({ err: error }, 'live stream check failed'))
      })
      let check: Timer | undefined
      let ended = false
      // Every check on the node's clock, the next one set once this one is answered.
      const checkLater = () => {
        if (ended) return
        check = ctx.clock.setTimer(SESSION_CHECK_MS, () =>
          credentialHolds(auth, officer).then(
            () => checkLater(),
            (error: unknown) => {
              // The session is gone or expired; a database that fails to answer is not that.
              if (isServerError(error)) socket.close(SESSION_ENDED_CLOSE, error.code)
              else {
                request.log.warn({ err: error }, 'live stream session check failed')
                checkLater()
              }
            },
          ),
        )
      }
      checkLater()
      const end = () => {
        ended = true
        ctx.clock.clearTimer(check)
        unsubscribe()
        visibility.close()
      }
      socket.on('close', end)
      socket.on('error', end)
    },
  )
}

/** Throws the session's or the token's refusal once it no longer holds. */
async function credentialHolds(auth: AuthContext, officer: RequestOfficer): Promise<void> {
  if (officer.session !== null) await resolveSessionHash(auth, officer.session, 'active')
  else if (officer.token !== undefined) await tokenOfficer(auth, officer.token)
}
