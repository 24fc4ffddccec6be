import type { FastifyServerOptions } from 'fastify'

/** Field names whose values never reach a log line, at any of the first four levels. */
const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'password_hash',
  'passwordHash',
  'secret',
  'totp_secret',
  'totpSecret',
  'token',
  'sessionToken',
  'ticket',
  'csrfToken',
  'csrf_token',
  'recoveryCodes',
  'privateKey',
  'authorization',
  'cookie',
]

/** pino `redact` paths: secrets by field name, plus credential headers in and out. */
const redactPaths: readonly string[] = [
  // pino has no "any depth" wildcard; four levels cover `req.headers.cookie` and an error's
  // `err.config.headers.authorization` alike.
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`]),
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
]

/**
 * A URL as logged: a stream ticket is blanked (single use, but still a credential for its 30
 * seconds), and so is a token someone put in a URL although the node refuses it there.
 */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|ticket)=)[^&#]*/gi, '$1[redacted]')
}

type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>

/**
 * Logger options with redaction added to what the caller asked for: `true` or an options
 * object gets the redaction paths and a request serializer that hides tokens in URLs.
 */
export function redactingLogger(
  logger: FastifyServerOptions['logger'],
): FastifyServerOptions['logger'] {
  if (logger === undefined || logger === false) return false
  const base: LoggerOptions = logger === true ? {} : logger
  return {
    ...base,
    redact: { paths: [...redactPaths], censor: '[redacted]' },
    serializers: {
      ...base.serializers,
      req: (request: { method: string; url: string; host?: string; ip?: string }) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
      }),
    },
  }
}
