import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions, LogController } from 'fastify'
import { ServerError } from '../errors.ts'
import { sendClientError, sendError } from './error-handler.ts'
import { redactingLogger } from './log-redaction.ts'
import { logRequests } from './request-log.ts'
import { validatorCompiler } from './route-schema.ts'

export interface HttpServerOptions {
  readonly logger?: FastifyServerOptions['logger'] | FastifyBaseLogger
  /** Slow-loris guard: a request must arrive whole within this many ms. */
  readonly requestTimeout: number
}

/**
 * The node's Fastify instance: body limit, timeouts, TypeBox validation, and the one error
 * body for every refusal, whether a route, the router or Node's HTTP parser refuses.
 */
export function createHttpServer({ logger, requestTimeout }: HttpServerOptions) {
  const app = Fastify({
    ...(isLoggerInstance(logger)
      ? { loggerInstance: logger }
      : { logger: redactingLogger(logger) }),
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
    // Fastify logs every request twice at info; `logRequests` logs once, and only what is read.
    logController: new LogController({ disableRequestLogging: true }),
    // Requests Node or the router refuse before any route runs get the API's error body too.
    clientErrorHandler: sendClientError,
    frameworkErrors: sendError,
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  // Response schemas document the API; replies are built from exact objects, and a
  // schema-driven serializer over the event union would be slow for no gain.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  app.setErrorHandler(sendError)
  logRequests(app)
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new ServerError('NOT_FOUND', { what: `${request.method} ${request.url}` }),
      request,
      reply,
    ),
  )

  return app
}

function isLoggerInstance(logger: HttpServerOptions['logger']): logger is FastifyBaseLogger {
  return typeof logger === 'object' && logger !== null && 'child' in logger
}
