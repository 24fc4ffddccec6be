import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import cookie from '@fastify/cookie'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import websocket from '@fastify/websocket'
import { installCryptoBackend, isProtocolError } from '@parley/protocol'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify'
import type { Kysely } from 'kysely'
import type { NodeConfig } from './config.ts'
import { isServerError, ServerError } from './errors.ts'
import { accessPlugin, enforceAccess } from './features/access/access.plugin.ts'
import { accessContext } from './features/access/access.service.ts'
import { auditPlugin } from './features/audit/audit.plugin.ts'
import { channelsPlugin } from './features/channels/channels.plugin.ts'
import { EventHub } from './features/events/event-hub.ts'
import type { NodeContext } from './features/events/events.service.ts'
import { createDelivery, type Delivery } from './features/federation/delivery.ts'
import { federationPlugin } from './features/federation/federation.plugin.ts'
import { pinConfiguredPeers } from './features/federation/peers.service.ts'
import { backoffSchedule } from './features/federation/push-worker.ts'
import { healthPlugin } from './features/health/health.plugin.ts'
import { messagesPlugin } from './features/messages/messages.plugin.ts'
import { nodePlugin } from './features/node/node.plugin.ts'
import { officersPlugin } from './features/officers/officers.plugin.ts'
import { passwordHasher } from './features/officers/password.ts'
import { releasePlugin } from './features/release/release.plugin.ts'
import type { ReleaseContext } from './features/release/release.service.ts'
import { releaseGuard } from './features/release/release-guard.ts'
import { authSettings } from './features/sessions/auth-settings.ts'
import { redactingLogger } from './features/sessions/log-redaction.ts'
import { officerAuth, type RequestOfficer } from './features/sessions/session-auth.ts'
import { sessionsPlugin } from './features/sessions/sessions.plugin.ts'
import type { AuthContext } from './features/sessions/sessions.service.ts'
import { streamPlugin } from './features/stream/stream.plugin.ts'
import { hardenHttp } from './http-hardening.ts'
import { nodeCrypto } from './node-crypto.ts'
import { loadNodeIdentity, type NodeIdentity } from './node-identity.ts'
import { type Database, openDatabase } from './store/database.ts'
import { migrateToLatest } from './store/migrate.ts'
import type { DB } from './store/tables.ts'

/** Who may call a route; the one auth hook reads it from the route's config. */
export type RouteAuth = 'officer' | 'peer' | 'public'

/** The officer making an API call, resolved by the auth hook from the session cookie. */
export type Officer = RequestOfficer

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<DB>
    now(): number
    identity: NodeIdentity
  }
  interface FastifyContextConfig {
    auth?: RouteAuth
    /** Usable before the officer changed a reset password or enrolled a second factor. */
    accountSetup?: boolean
  }
  interface FastifyRequest {
    officer: Officer | null
  }
}

export interface BuildOptions {
  /** The clock; tests inject one so time-dependent rules run in milliseconds. */
  readonly now?: () => number
  /** An already open database (the app then leaves closing it to the caller). */
  readonly database?: Database
  readonly logger?: FastifyServerOptions['logger'] | FastifyBaseLogger
  /** Start the push workers and anti-entropy on ready (default true). */
  readonly federate?: boolean
  /** Anti-entropy period in ms (default: the config's `delivery`, else DESIGN §4.7's 60 s). */
  readonly antiEntropyEvery?: number
  /** Push backoff after n failures (default: the config's `delivery`, else 0.5 s doubling to 30 s). */
  readonly backoff?: (failures: number) => number
  /**
   * Slow-loris guard (default 30 s): a request must arrive whole within this many ms, its header
   * fields within at most 10 s of it; tests shorten it to watch a trickler being cut off.
   */
  readonly requestTimeout?: number
}

/** The node's Fastify app. */
export type ParleyApp = FastifyInstance

/**
 * Builds the node's Fastify app from its config: opens and migrates the database, loads the
 * hosted parties' keys, pins configured peers and registers every feature. Never listens;
 * closing the app stops delivery and then closes the database it opened.
 */
export async function build(config: NodeConfig, options: BuildOptions = {}): Promise<ParleyApp> {
  // A node verifies every event it receives: synchronous OpenSSL calls, not a promise and a
  // thread-pool hop each (the same functions; the Wycheproof vectors check both).
  installCryptoBackend(nodeCrypto)
  const now = options.now ?? Date.now
  const database =
    options.database ??
    (await openDatabase(
      config.databaseUrl === undefined ? { dataDir: config.dataDir } : { url: config.databaseUrl },
    ))
  const ownsDatabase = options.database === undefined
  try {
    await migrateToLatest(database.db)
    const identity = await loadNodeIdentity(config)
    await pinConfiguredPeers(database.db, identity, config.peers, now())
    return await assemble(config, options, database, identity, now, ownsDatabase)
  } catch (error) {
    if (ownsDatabase) await database.close()
    throw error
  }
}

async function assemble(
  config: NodeConfig,
  options: BuildOptions,
  database: Database,
  identity: NodeIdentity,
  now: () => number,
  ownsDatabase: boolean,
): Promise<ParleyApp> {
  const requestTimeout = options.requestTimeout ?? 30_000
  const app = Fastify({
    ...(isLoggerInstance(options.logger)
      ? { loggerInstance: options.logger }
      : { logger: redactingLogger(options.logger) }),
    // §4.6: a batch is at most 4 MiB; leave room for the JSON envelope around it.
    bodyLimit: 4 * 1024 * 1024 + 64 * 1024,
    return503OnClosing: true,
    // Slow-loris: a request must arrive whole within the timeout; Node only checks every
    // connectionsCheckingInterval (30 s by default), so check often enough to keep it tight.
    requestTimeout,
    http: {
      requestTimeout,
      headersTimeout: Math.min(requestTimeout, 10_000),
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(requestTimeout / 4))),
    },
    forceCloseConnections: 'idle',
    // Requests Node or the router refuse before any route runs get the API's error body too.
    clientErrorHandler: sendClientError,
    frameworkErrors: sendError,
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(TypeBoxValidatorCompiler)
  // Response schemas document the API; replies are built from exact objects, and a
  // schema-driven serializer over the event union would be slow for no gain.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  app.decorate('db', database.db)
  app.decorate('now', now)
  app.decorate('identity', identity)
  app.decorateRequest('officer', null)
  app.setErrorHandler(sendError)
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new ServerError('NOT_FOUND', { what: `${request.method} ${request.url}` }),
      request,
      reply,
    ),
  )

  // close() lets the requests in flight finish; nothing else may hold it. Node stops enforcing
  // its header and request timeouts once the server closes, so a request still arriving then
  // (a peer cut off mid-request by a partition, a slow-loris) would hold it forever: such a
  // request never reached a handler, and dropping its connection loses nothing. A keep-alive
  // connection whose request was in flight is not idle when close() begins, and would then stay
  // open for as long as its client keeps it (forever, behind a partition): it ends once its
  // answer is out.
  let closing = false
  const connections = new Set<Socket>()
  const requests = new Map<Socket, FastifyRequest['raw']>()
  app.server.on('connection', (socket: Socket) => {
    connections.add(socket)
    socket.once('close', () => {
      connections.delete(socket)
      requests.delete(socket)
    })
  })
  app.addHook('onRequest', async ({ raw }) => {
    requests.set(raw.socket, raw)
  })
  app.addHook('onResponse', async ({ raw }) => {
    if (requests.get(raw.socket) === raw) requests.delete(raw.socket)
    if (closing) raw.socket.end(() => raw.socket.destroy())
  })
  app.addHook('preClose', async () => {
    closing = true
    for (const socket of connections) {
      if (requests.get(socket)?.complete !== true) socket.destroy()
    }
  })
  // Answers sent meanwhile tell their clients not to send more on the connection.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })

  let delivery: Delivery | undefined
  const ctx: NodeContext = {
    db: database.db,
    identity,
    now,
    hub: new EventHub(),
    log: app.log,
    wake: (destinations) => delivery?.wake(destinations),
  }
  const timings = config.delivery ?? {}
  const backoff =
    options.backoff ??
    (timings.retryBaseMs === undefined && timings.retryCapMs === undefined
      ? undefined
      : backoffSchedule(timings.retryBaseMs ?? 500, timings.retryCapMs ?? 30_000))
  delivery = createDelivery(ctx, {
    antiEntropyEvery: options.antiEntropyEvery ?? timings.antiEntropyEveryMs ?? 60_000,
    ...(backoff === undefined ? {} : { backoff }),
  })

  await hardenHttp(app)
  await app.register(swagger, {
    openapi: {
      info: { title: 'Parley node API', version: '1' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'parley_session' },
          devToken: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  })
  await app.register(async (docs) => {
    // The documentation is public; every other route states who may call it.
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, auth: 'public' }
    })
    await docs.register(swaggerUi, { routePrefix: '/api/docs' })
  })
  await app.register(websocket)
  await app.register(cookie)
  const auth: AuthContext = {
    db: database.db,
    now,
    parties: [...identity.parties.keys()],
    passwords: passwordHasher(config.auth?.passwordHash),
    settings: authSettings(config.auth, config.devToken),
  }
  app.addHook('onRequest', officerAuth(auth))
  const access = accessContext(database.db, now)
  enforceAccess(app, access)
  const release: ReleaseContext = { node: ctx, guard: releaseGuard(config.release), access }

  await app.register(healthPlugin)
  await app.register(federationPlugin, { ctx, delivery })
  await app.register(
    async (api) => {
      await api.register(nodePlugin, { ctx, delivery: delivery!, access })
      await api.register(channelsPlugin, { ctx, release })
      await api.register(messagesPlugin, { ctx, release })
      await api.register(streamPlugin, { ctx, access, auth })
      await api.register(sessionsPlugin, { auth })
      await api.register(officersPlugin, { officers: auth })
      await api.register(auditPlugin, { db: database.db })
      await api.register(accessPlugin, { access, hosted: auth.parties })
      await api.register(releasePlugin, { release })
    },
    { prefix: '/api/v1' },
  )

  if (options.federate !== false) app.addHook('onReady', () => delivery!.start())
  // onClose runs after in-flight requests finished, so their commits are already durable.
  app.addHook('onClose', async () => {
    await delivery!.stop()
    if (ownsDatabase) await database.close()
  })
  return app as unknown as ParleyApp
}

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (a request that did not
 * arrive in time, header fields too large, bytes that are not HTTP) with the API's error body,
 * then closes the connection. As Node does, it writes nothing once a reply has begun.
 */
function sendClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const refusal =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new ServerError('REQUEST_TIMEOUT')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new ServerError('HEADERS_TOO_LARGE')
        : new ServerError('REQUEST_INVALID', { reason: 'not a well-formed HTTP request' })
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && inFlight?.headersSent !== true) {
    const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } })
    socket.write(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\nConnection: close\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}

function isLoggerInstance(logger: BuildOptions['logger']): logger is FastifyBaseLogger {
  return typeof logger === 'object' && logger !== null && 'child' in logger
}

/**
 * The one error handler: every failure leaves as `{ error: { code, message, details? } }`
 * with the status its registry gives; anything unexpected is a bare 500 INTERNAL, logged.
 */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const body = (code: string, message: string, details?: object) => ({
    error: { code, message, ...(details && Object.keys(details).length > 0 ? { details } : {}) },
  })
  if (isServerError(error) || isProtocolError(error)) {
    // Lock-outs say when to come back, in the header clients and proxies understand.
    if (typeof error.details.retryAfter === 'number')
      reply.header('retry-after', error.details.retryAfter)
    const details = isServerError(error) ? { ...error.details, ...error.lists } : error.details
    return reply.status(error.status).send(body(error.code, error.message, details))
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation !== undefined) {
    const first = fastifyError.validation[0]
    const reason = `${fastifyError.validationContext ?? 'request'}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`
    return reply
      .status(400)
      .send(body('REQUEST_INVALID', `Request does not match the schema: ${reason}`, { reason }))
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions?.bodyLimit ?? request.server.initialConfig.bodyLimit ?? 0
    const err = request.url.startsWith('/federation/')
      ? new ServerError('BATCH_TOO_LARGE', { reason: 'the body exceeds 4 MiB' })
      : new ServerError('REQUEST_TOO_LARGE', { limit })
    return reply.status(err.status).send(body(err.code, err.message))
  }
  const status = fastifyError.statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return reply.status(status).send(body('REQUEST_INVALID', fastifyError.message))
  }
  request.log.error({ err: error }, 'unexpected error')
  return reply.status(500).send(body('INTERNAL', 'Internal error'))
}
