import cookie from '@fastify/cookie'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import websocket from '@fastify/websocket'
import { isProtocolError } from '@parley/protocol'
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
import { auditPlugin } from './features/audit/audit.plugin.ts'
import { channelsPlugin } from './features/channels/channels.plugin.ts'
import { EventHub } from './features/events/event-hub.ts'
import type { NodeContext } from './features/events/events.service.ts'
import { createDelivery, type Delivery } from './features/federation/delivery.ts'
import { federationPlugin } from './features/federation/federation.plugin.ts'
import { pinConfiguredPeers } from './features/federation/peers.service.ts'
import { healthPlugin } from './features/health/health.plugin.ts'
import { messagesPlugin } from './features/messages/messages.plugin.ts'
import { nodePlugin } from './features/node/node.plugin.ts'
import { officersPlugin } from './features/officers/officers.plugin.ts'
import type { Role } from './features/officers/officers.service.ts'
import { authSettings } from './features/sessions/auth-settings.ts'
import { redactingLogger } from './features/sessions/log-redaction.ts'
import { officerAuth, type RequestOfficer } from './features/sessions/session-auth.ts'
import { sessionsPlugin } from './features/sessions/sessions.plugin.ts'
import type { AuthContext } from './features/sessions/sessions.service.ts'
import { streamPlugin } from './features/stream/stream.plugin.ts'
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
    /** The role an officer route needs (403 `FORBIDDEN_ROLE` without it). */
    role?: Role
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
  /** Anti-entropy period in ms (DESIGN §4.7: 60 s). */
  readonly antiEntropyEvery?: number
  /** Push backoff after n failures (default 0.5 s doubling, capped at 30 s). */
  readonly backoff?: (failures: number) => number
}

/** The node's Fastify app. */
export type ParleyApp = FastifyInstance

/**
 * Builds the node's Fastify app from its config: opens and migrates the database, loads the
 * hosted parties' keys, pins configured peers and registers every feature. Never listens;
 * closing the app stops delivery and then closes the database it opened.
 */
export async function build(config: NodeConfig, options: BuildOptions = {}): Promise<ParleyApp> {
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
  const app = Fastify({
    ...(isLoggerInstance(options.logger)
      ? { loggerInstance: options.logger }
      : { logger: redactingLogger(options.logger) }),
    // §4.6: a batch is at most 4 MiB; leave room for the JSON envelope around it.
    bodyLimit: 4 * 1024 * 1024 + 64 * 1024,
    return503OnClosing: true,
    // Slow-loris: a request must arrive whole within 30 s.
    requestTimeout: 30_000,
    forceCloseConnections: 'idle',
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

  // A keep-alive connection that finishes its request after close() began would hold the
  // server open until its idle timeout; telling the client to close it lets shutdown end.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
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
  delivery = createDelivery(ctx, {
    antiEntropyEvery: options.antiEntropyEvery ?? 60_000,
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
  })

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
    settings: authSettings(config.auth, config.devToken),
  }
  app.addHook('onRequest', officerAuth(auth))

  await app.register(healthPlugin)
  await app.register(federationPlugin, { ctx, delivery })
  await app.register(
    async (api) => {
      await api.register(nodePlugin, { ctx, delivery: delivery! })
      await api.register(channelsPlugin, { ctx })
      await api.register(messagesPlugin, { ctx })
      await api.register(streamPlugin, { ctx })
      await api.register(sessionsPlugin, { auth })
      await api.register(officersPlugin, { officers: auth })
      await api.register(auditPlugin, { db: database.db })
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
    return reply.status(error.status).send(body(error.code, error.message, error.details))
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
    const err = new ServerError('BATCH_TOO_LARGE', { reason: 'the body exceeds 4 MiB' })
    return reply.status(err.status).send(body(err.code, err.message))
  }
  const status = fastifyError.statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return reply.status(status).send(body('REQUEST_INVALID', fastifyError.message))
  }
  request.log.error({ err: error }, 'unexpected error')
  return reply.status(500).send(body('INTERNAL', 'Internal error'))
}
