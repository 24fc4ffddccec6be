import cookie from '@fastify/cookie'
import websocket from '@fastify/websocket'
import { installCryptoBackend } from '@parley/protocol'
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify'
import type { Kysely } from 'kysely'
import type { NodeConfig } from './config.ts'
import { accessPlugin, enforceAccess } from './features/access/access.plugin.ts'
import { accessContext } from './features/access/access.service.ts'
import { auditPlugin } from './features/audit/audit.plugin.ts'
import { AuditTail } from './features/audit/audit.service.ts'
import { channelsPlugin } from './features/channels/channels.plugin.ts'
import { composePlugin } from './features/compose/compose.plugin.ts'
import type { ComposeContext } from './features/compose/compose.service.ts'
import { releaseFloor } from './features/compose/release-floor.ts'
import { releaseGuard } from './features/compose/release-guard.ts'
import { directoryPlugin } from './features/directory/directory.plugin.ts'
import { escalationPlugin, webhookKeyPlugin } from './features/escalation/escalation.plugin.ts'
import { createEscalation, type Escalation } from './features/escalation/escalation.service.ts'
import { createDelivery, type Delivery, deliveryOptions } from './features/federation/delivery.ts'
import { federationPlugin } from './features/federation/federation.plugin.ts'
import { pinConfiguredPeers } from './features/federation/peers.service.ts'
import { healthPlugin } from './features/health/health.plugin.ts'
import { messagesPlugin } from './features/messages/messages.plugin.ts'
import { metricsPlugin } from './features/metrics/metrics.plugin.ts'
import { negotiationPlugin } from './features/negotiation/negotiation.plugin.ts'
import { nodePlugin } from './features/node/node.plugin.ts'
import type { NoticeAlerts } from './features/notices/notice-alerts.ts'
import { sectorTaxonomy } from './features/notices/notice-rules.ts'
import { noticesPlugin } from './features/notices/notices.plugin.ts'
import type { NoticeRuntime } from './features/notices/notices.projection.ts'
import { handleDeadlines } from './features/notices/notices.service.ts'
import { handlePings } from './features/notices/pings.service.ts'
import { officersPlugin } from './features/officers/officers.plugin.ts'
import { passwordHasher } from './features/officers/password.ts'
import { createNewsletter } from './features/portal/newsletter.service.ts'
import { portalPlugin } from './features/portal/portal.plugin.ts'
import { publicPortalPlugin } from './features/portal/public-portal.plugin.ts'
import { privacyPlugin, privacyPublicPlugin } from './features/privacy/privacy.plugin.ts'
import { createPrivacy } from './features/privacy/privacy.service.ts'
import { readMarkersPlugin } from './features/read-markers/read-markers.plugin.ts'
import { releasePlugin } from './features/release/release.plugin.ts'
import { holdForRelease } from './features/release/release.service.ts'
import { rostersPlugin } from './features/rosters/rosters.plugin.ts'
import { authSettings } from './features/sessions/auth-settings.ts'
import {
  flushTokenUse,
  officerAuth,
  type RequestOfficer,
} from './features/sessions/session-auth.ts'
import { sessionsPlugin } from './features/sessions/sessions.plugin.ts'
import type { AuthContext } from './features/sessions/sessions.service.ts'
import { stixPlugin } from './features/stix/stix.plugin.ts'
import { streamPlugin } from './features/stream/stream.plugin.ts'
import { tokensPlugin } from './features/tokens/tokens.plugin.ts'
import { transcriptPlugin } from './features/transcript/transcript.plugin.ts'
import { serveConsole } from './http/console.ts'
import { closeGracefully } from './http/graceful-close.ts'
import { hardenHttp } from './http/hardening.ts'
import { registerOpenApi } from './http/openapi.ts'
import { createHttpServer } from './http/server.ts'
import type { ProjectionRegistry } from './ledger/index.ts'
import { type Clock, systemClock } from './node/clock.ts'
import { createNodeContext } from './node/context.ts'
import type { Scheduler } from './node/scheduler.ts'
import { nodeCrypto } from './node-crypto.ts'
import { loadNodeIdentity, type NodeIdentity } from './node-identity.ts'
import { composeRules, readModels } from './read-models.ts'
import { type Database, openDatabase } from './store/database.ts'
import { type DatabaseLock, type KeepOptions, keepDatabase } from './store/database-lock.ts'
import { migrateToLatest } from './store/migrate.ts'
import type { DB } from './store/tables.ts'

/** Who may call a route; the one auth hook reads it from the route's config. */
export type RouteAuth = 'officer' | 'peer' | 'public'

/** The officer making an API call, resolved by the auth hook from a session or an API token. */
export type Officer = RequestOfficer

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<DB>
    now(): number
    clock: Clock
    /** Durable timed work: features register job handlers here at `build()`. */
    scheduler: Scheduler
    identity: NodeIdentity
    /** The escalation ladder: the notices projection begins and ends it (features/escalation). */
    escalation: Escalation
  }
  interface FastifyContextConfig {
    auth?: RouteAuth
    /** Usable before the officer changed a reset password or enrolled a second factor. */
    accountSetup?: boolean
    /** The route's local commit writes a token call's `token.use` entry (`TokenUse`). */
    tokenUseCommits?: boolean
  }
  interface FastifyRequest {
    officer: Officer | null
  }
}

export interface BuildOptions {
  /**
   * The node's one clock (time and timers); tests inject a `ManualClock` so that deadlines,
   * signature windows and sessions run in milliseconds. Wins over `now`.
   */
  readonly clock?: Clock
  /** Only the time, with real timers: shorthand for `clock: systemClock(now)`. */
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
  /** The read models (default: every feature's, `readModels()`); tests add their own. */
  readonly readModels?: ProjectionRegistry
  /** Where notice deadlines escalate (default: the escalation ladder; tests may record). */
  readonly noticeAlerts?: NoticeAlerts
  /** The web console's build to serve at `/` (default: packages/console/dist), or false. */
  readonly consoleDir?: string | false
  /** The consent manager's build for the portal (default: packages/consent/dist), or false. */
  readonly consentDir?: string | false
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
  const clock = options.clock ?? systemClock(options.now)
  const now = clock.now
  const database =
    options.database ??
    (await openDatabase(
      config.databaseUrl === undefined ? { dataDir: config.dataDir } : { url: config.databaseUrl },
    ))
  const ownsDatabase = options.database === undefined
  let lock: DatabaseLock | undefined
  // What the lock's keeper reports goes to the app's log once there is an app.
  const watch: LockWatch = { warn: () => {}, onTaken: () => {} }
  try {
    await migrateToLatest(database.db)
    const identity = await loadNodeIdentity(config)
    lock = await keepDatabase(database, [...identity.parties.keys()], {
      warn: (details, message) => watch.warn(details, message),
      onTaken: (error) => watch.onTaken(error),
    })
    await pinConfiguredPeers(database.db, identity, config.peers, now())
    return await assemble(config, options, { database, ownsDatabase, lock, watch }, identity, clock)
  } catch (error) {
    await lock?.release()
    if (ownsDatabase) await database.close()
    throw error
  }
}

/** The node's database: whether the app closes it, and the lock that says the node runs on it. */
interface Store {
  readonly database: Database
  readonly ownsDatabase: boolean
  readonly lock: DatabaseLock
  readonly watch: LockWatch
}

type LockWatch = { -readonly [K in 'warn' | 'onTaken']: KeepOptions[K] }

async function assemble(
  config: NodeConfig,
  options: BuildOptions,
  { database, ownsDatabase, lock, watch }: Store,
  identity: NodeIdentity,
  clock: Clock,
): Promise<ParleyApp> {
  const now = clock.now
  const app = createHttpServer({
    logger: options.logger,
    requestTimeout: options.requestTimeout ?? 30_000,
  })
  app.decorate('db', database.db)
  app.decorate('now', now)
  app.decorate('clock', clock)
  app.decorate('identity', identity)
  app.decorateRequest('officer', null)

  closeGracefully(app)
  watch.warn = (details, message) => app.log.warn(details, message)
  // Another node for one of our parties, or `parley reindex`, started while our database
  // connection was gone: it writes now, so this node stops rather than sign beside it.
  watch.onTaken = (error) => {
    app.log.fatal(
      { code: error.code, details: error.details },
      'database lock taken by another process: stopping',
    )
    void app.close()
  }

  let delivery: Delivery | undefined
  const escalation = createEscalation(config.smtp === undefined ? {} : { smtp: config.smtp })
  // The notices projection begins and ends each hosted party's escalation ladder.
  const notices: NoticeRuntime = {
    alerts: options.noticeAlerts ?? escalation,
    scheduler: undefined,
  }
  const ctx = createNodeContext({
    db: database.db,
    identity,
    now,
    clock,
    log: app.log,
    wake: (destinations) => delivery?.wake(destinations),
    projections: options.readModels ?? readModels(notices),
  })
  notices.scheduler = ctx.scheduler
  handleDeadlines(ctx, notices.alerts)
  app.decorate('scheduler', ctx.scheduler)
  escalation.attach(ctx)
  app.decorate('escalation', escalation)
  // Rights requests escalate on the same ladder as notices.
  const privacy = createPrivacy(ctx, {
    config: config.privacy,
    smtp: config.smtp,
    alerts: escalation,
  })
  delivery = createDelivery(ctx, deliveryOptions(config.delivery, options))

  // onClose runs after in-flight requests finished, so their commits are already durable.
  // Hooks run in reverse order of registration: this one, added before any plugin, runs last,
  // once the plugins' own (the federation's saving of its nonces) are done with the database.
  app.addHook('onClose', async () => {
    await ctx.scheduler.stop()
    escalation.close()
    await delivery!.stop()
    await ctx.verifier.close()
    await lock.release()
    if (ownsDatabase) await database.close()
  })

  await hardenHttp(app)
  await registerOpenApi(app)
  await app.register(websocket)
  await app.register(cookie)
  const auth: AuthContext = {
    db: database.db,
    now,
    parties: [...identity.parties.keys()],
    passwords: passwordHasher(config.auth?.passwordHash),
    settings: authSettings(config.auth),
    auditTail: new AuditTail(),
  }
  app.addHook('onRequest', officerAuth(auth))
  app.addHook('onSend', flushTokenUse)
  const access = accessContext(database.db, now)
  enforceAccess(app, access)
  const compose: ComposeContext = {
    node: ctx,
    guard: releaseGuard(config.release),
    floor: releaseFloor(config.release),
    access,
    hold: (item) => holdForRelease(ctx, item),
    rules: composeRules({ sectors: config.sectors }),
  }
  handlePings(compose)

  await app.register(healthPlugin)
  await app.register(metricsPlugin, { ctx, tokens: auth })
  await app.register(federationPlugin, { ctx, delivery })
  await app.register(webhookKeyPlugin, { escalation })
  await app.register(privacyPublicPlugin, { privacy })
  await app.register(
    async (api) => {
      await api.register(nodePlugin, { ctx, delivery: delivery!, access })
      await api.register(channelsPlugin, { ctx, compose })
      await api.register(composePlugin, { compose })
      await api.register(messagesPlugin, { ctx, compose })
      await api.register(negotiationPlugin, { ctx })
      await api.register(streamPlugin, { ctx, access, auth })
      await api.register(sessionsPlugin, { auth })
      await api.register(officersPlugin, { officers: auth })
      await api.register(auditPlugin, { db: database.db })
      await api.register(accessPlugin, { access, hosted: auth.parties })
      await api.register(releasePlugin, { compose })
      await api.register(tokensPlugin, { tokens: auth })
      await api.register(noticesPlugin, { ctx, compose })
      await api.register(transcriptPlugin, { ctx })
      await api.register(readMarkersPlugin, { ctx })
      await api.register(rostersPlugin, { ctx })
      await api.register(escalationPlugin, { ctx, access })
      await api.register(directoryPlugin, { compose })
      await api.register(stixPlugin, { ctx })
      await api.register(portalPlugin, { ctx, access })
      await api.register(privacyPlugin, { privacy })
    },
    { prefix: '/api/v1' },
  )
  const newsletter = createNewsletter({
    db: database.db,
    now,
    base: config.federationUrl,
    ...(config.smtp === undefined ? {} : { smtp: config.smtp }),
  })
  app.addHook('onClose', () => newsletter.close())
  await app.register(publicPortalPlugin, {
    ctx,
    newsletter,
    sectors: sectorTaxonomy(config.sectors),
    base: config.federationUrl,
    ...(options.consentDir === undefined ? {} : { consentDir: options.consentDir }),
  })
  if (options.consoleDir !== false) await serveConsole(app, options.consoleDir)

  // What fell due while the node was down runs now, once.
  app.addHook('onReady', () => ctx.scheduler.start())
  if (options.federate !== false) app.addHook('onReady', () => delivery!.start())
  return app as unknown as ParleyApp
}
