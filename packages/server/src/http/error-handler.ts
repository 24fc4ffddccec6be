import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { isProtocolError } from '@parley/protocol'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isServerError, ServerError } from '../errors.ts'
import { databaseUnavailable, isDatabaseUnavailable } from '../store/database-errors.ts'

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (a request that did not
 * arrive in time, header fields too large, bytes that are not HTTP) with the API's error body,
 * then closes the connection. As Node does, it writes nothing once a reply has begun.
 */
export function sendClientError(error: Error & { code?: string }, socket: Socket): void {
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

/**
 * The one error handler: every failure leaves as `{ error: { code, message, details? } }`
 * with the status its registry gives; a lost database is a 503 with Retry-After; anything
 * unexpected is a bare 500 INTERNAL, logged.
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
  if (isDatabaseUnavailable(error)) {
    // Weather, not a bug: the node answers again once its database is back.
    request.log.warn({ err: error }, 'database unavailable')
    return sendError(databaseUnavailable(), request, reply)
  }
  request.log.error({ err: error }, 'unexpected error')
  return reply.status(500).send(body('INTERNAL', 'Internal error'))
}
