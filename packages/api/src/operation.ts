import type { TSchema } from 'typebox'

/** Where the officer API lives on a node; every {@link Operation} path is below it. */
export const API_PREFIX = '/api/v1'

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

/** Who may call an operation: an officer (session cookie or their API token), or anyone. */
export type OperationAuth = 'officer' | 'public'

/** One operation of the officer API: what it takes, what it answers, and how it refuses. */
export interface Operation {
  readonly method: Method
  /** Below {@link API_PREFIX}, with `:name` parameters as Fastify writes them. */
  readonly path: string
  readonly tags: readonly string[]
  readonly summary?: string
  readonly description?: string
  readonly auth: OperationAuth
  /** Usable before the officer changed a reset password or enrolled a second factor. */
  readonly accountSetup?: boolean
  /** A WebSocket: the client has no method for it, OpenAPI documents its handshake. */
  readonly websocket?: boolean
  readonly params?: TSchema
  readonly querystring?: TSchema
  readonly body?: TSchema
  /** The success answers by status; `null` for one without a body (204). */
  readonly responses: Readonly<Record<number, TSchema | null>>
  /**
   * The codes this operation's own rules refuse with; {@link errorCodes} adds those every
   * operation of its kind can answer (schema, session, CSRF, database).
   */
  readonly errors: readonly string[]
}

/** Declares an operation, keeping its schemas' exact types for the client. */
export function operation<const O extends Operation>(op: O): O {
  return op
}

/** What the node's input layer refuses before any route runs, on every state-changing route. */
const INPUT_LAYER_CODES = [
  'MEDIA_TYPE_UNSUPPORTED',
  'UTF8_INVALID',
  'JSON_DUPLICATE_NAME',
  'STRING_HAS_NUL',
  'JSON_VALUE_INVALID',
] as const

/** What an API token presented in place of a session can be refused with. */
const TOKEN_CODES = [
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'TOKEN_OFFICER_DISABLED',
  'TOKEN_IN_URL',
] as const

/**
 * Every code an operation can answer with: its own, and those of its kind. Input is checked
 * against the schemas (and a body's size); an officer's session, CSRF token and account setup
 * are checked before any rule runs; every operation needs the database.
 */
export function errorCodes(op: Operation): string[] {
  const codes = new Set<string>()
  const changes = op.method !== 'GET'
  if (changes || op.params !== undefined || op.querystring !== undefined) {
    codes.add('REQUEST_INVALID')
  }
  if (changes) {
    codes.add('REQUEST_TOO_LARGE')
    // The input layer in front of every route: JSON only, and JSON read one way only.
    for (const code of INPUT_LAYER_CODES) codes.add(code)
  }
  if (op.auth === 'officer') {
    codes.add('AUTH_REQUIRED')
    codes.add('SESSION_EXPIRED')
    // An API token (Authorization: Bearer) can be any of these; never one in the URL.
    for (const code of TOKEN_CODES) codes.add(code)
    // A WebSocket handshake is a GET, but browsers send cookies with it from any page.
    if (changes || op.websocket === true) codes.add('CSRF_INVALID')
    if (op.accountSetup !== true) {
      codes.add('PASSWORD_CHANGE_REQUIRED')
      codes.add('SECOND_FACTOR_REQUIRED')
    }
  }
  for (const code of op.errors) codes.add(code)
  codes.add('DATABASE_UNAVAILABLE')
  return [...codes]
}
