import type { FastifyBaseLogger, FastifyInstance } from 'fastify'

// pino's, which Fastify's logger type leaves out.
type Logger = FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean }

/**
 * One log line per answered request: refusals (4xx) and 503s (the database is away: weather,
 * not a fault of the node) at `warn`, and every other failure (5xx) at `error`, always; every other request at `debug`, built only when that level is enabled, so a node
 * logging at `info` (the default) spends nothing on the requests that went well.
 */
export function logRequests(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode
    const log = request.log as Logger
    if (status < 400 && log.isLevelEnabled?.('debug') !== true) return
    const line = {
      req: request,
      res: { statusCode: status },
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
    }
    if (status >= 500 && status !== 503) log.error(line, 'request failed')
    else if (status >= 400) log.warn(line, 'request refused')
    else log.debug(line, 'request completed')
  })
}
