import { formatMessage } from '@parley/protocol'
import type { Static, TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { type ApiError, type ApiErrorBody, ApiErrorSchema } from './api-error.ts'
import { apiErrors } from './errors.ts'
import { API_PREFIX, type Operation } from './operation.ts'
import { PAGE_DEFAULT_LIMIT, type PageCursors } from './page.ts'
import { type Operations, operations } from './routes.ts'

/** An answer of the node as it came: its status and its parsed body. */
export interface ApiReply {
  readonly status: number
  readonly body: unknown
}

/** A refusal of the node (any status from 400), carrying its API error. */
export class ApiRequestError extends Error {
  readonly status: number
  readonly body: ApiError

  constructor(status: number, body: ApiError) {
    super(`${status} ${body.error.code}: ${body.error.message}`)
    this.name = 'ApiRequestError'
    this.status = status
    this.body = body
  }

  get code(): string {
    return this.body.error.code
  }

  get details(): ApiErrorBody['details'] {
    return this.body.error.details
  }
}

/** Whether `error` is a refusal of the node, with that code when one is given. */
export function isApiRequestError(error: unknown, code?: string): error is ApiRequestError {
  return error instanceof ApiRequestError && (code === undefined || error.code === code)
}

type Part<O, Key extends string, As extends string> = O extends {
  readonly [K in Key]: infer S extends TSchema
}
  ? { readonly [K in As]: Static<S> }
  : unknown

// Every query parameter of the API is optional, so the query itself may be left out.
type QueryPart<O> = O extends { readonly querystring: infer S extends TSchema }
  ? { readonly query?: Static<S> }
  : unknown

/** What an operation takes: `params`, `query` and `body`, each as its schema says. */
export type InputOf<O extends Operation> = Part<O, 'params', 'params'> &
  QueryPart<O> &
  Part<O, 'body', 'body'>

/** What an operation answers when it succeeds: the body of any of its success statuses. */
export type ResultOf<O extends Operation> = {
  [S in keyof O['responses']]: O['responses'][S] extends TSchema
    ? Static<O['responses'][S]>
    : undefined
}[keyof O['responses']]

type Call<O extends Operation> = (
  ...input: unknown extends InputOf<O>
    ? []
    : // biome-ignore lint/complexity/noBannedTypes: `{}` extends exactly the inputs whose every part is optional
      {} extends InputOf<O>
      ? [input?: InputOf<O>]
      : [input: InputOf<O>]
) => Promise<ResultOf<O>>

/** The operations that answer a page (`@parley/api`'s `pageOf`): a list and its cursors. */
export type PagedOperationName = {
  [K in keyof Operations]: Operations[K] extends { readonly websocket: true }
    ? never
    : ResultOf<Operations[K]> extends { cursors: PageCursors }
      ? K
      : never
}[keyof Operations]

/** The item of a paged operation's list. */
export type PageItemOf<K extends PagedOperationName> = {
  [P in keyof ResultOf<Operations[K]>]: P extends 'cursors'
    ? never
    : ResultOf<Operations[K]>[P] extends readonly (infer I)[]
      ? I
      : never
}[keyof ResultOf<Operations[K]>]

export interface PagesOptions {
  /**
   * `forward` (the default): from the oldest item to the newest, following `cursors.after`;
   * `backward`: from the newest to the oldest, following `cursors.before`.
   */
  readonly direction?: 'forward' | 'backward'
  /** Items per request (1 to 500; the node's default when left out). */
  readonly limit?: number
}

/** One method per operation of the route table (the WebSocket stream has none). */
export type ApiMethods = {
  [K in keyof Operations as Operations[K] extends { readonly websocket: true } ? never : K]: Call<
    Operations[K]
  >
}

/** The officer API of one node, typed from its route table. */
export interface ApiClient extends ApiMethods {
  /**
   * Sends any request to `/api/v1` + path and returns the answer as it came, refusals too:
   * for what the table does not describe, such as a request the node must refuse.
   */
  send(method: string, path: string, body?: unknown): Promise<ApiReply>
  /**
   * Every item of a paged list, one page per request, in order (oldest first unless
   * `direction: 'backward'`). Cursors in `input.query` are the client's to set: leave them out.
   *
   * @example
   * for await (const view of api.pages('getTimeline', { params: { channel } })) show(view)
   */
  pages<K extends PagedOperationName>(
    name: K,
    input?: Omit<InputOf<Operations[K]>, 'query'> & {
      readonly query?: Omit<
        NonNullable<QueryOf<Operations[K]>>,
        'before' | 'after' | 'from' | 'limit'
      >
    },
    options?: PagesOptions,
  ): AsyncGenerator<PageItemOf<K>>
}

type QueryOf<O> = O extends { readonly querystring: infer S extends TSchema } ? Static<S> : never

export interface ApiClientOptions {
  /** The node's address, e.g. `https://node.example`; the client adds `/api/v1`. */
  readonly baseUrl: string
  /** The fetch to call: the platform's by default, or an adapter (over `app.inject`, say). */
  readonly fetch?: typeof fetch
  /**
   * The Origin to send: a browser sends its page's itself; another client acting as a page of
   * the node (the demo, tests) names the node's address.
   */
  readonly origin?: string
  /** An API token (`parley_pat_…`, bound to one officer), sent as a bearer token instead of a session. */
  readonly token?: string
  /** Called once when a call finds its session ended (timed out, gone); the call is sent again. */
  readonly onSessionEnded?: () => Promise<void>
}

const ENDED = new Set(['SESSION_EXPIRED', 'AUTH_REQUIRED'])

/**
 * Makes a client for the officer API of the node at `baseUrl`, one method per operation. It
 * keeps the session as a browser page does: the session cookie the node sets (where the
 * platform does not keep it itself) and the CSRF token it hands out at login or with the
 * session, sent back on every change. A refusal throws an {@link ApiRequestError}.
 *
 * @example
 * const api = createApiClient({ baseUrl: 'http://127.0.0.1:7400', origin: 'http://127.0.0.1:7400' })
 * await api.login({ body: { username: 'alice', password } })
 * const { channels } = await api.listChannels()
 */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const fetchFn = options.fetch ?? globalThis.fetch
  let cookie: string | undefined
  let csrf: string | undefined

  const exchange = async (method: string, path: string, body?: unknown) => {
    const response = await fetchFn(`${options.baseUrl}${API_PREFIX}${path}`, {
      method,
      headers: {
        ...(options.origin === undefined ? {} : { origin: options.origin }),
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...(cookie === undefined ? {} : { cookie: `parley_session=${cookie}` }),
        ...(csrf === undefined || method === 'GET' ? {} : { 'x-csrf-token': csrf }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    // Browsers keep the cookie themselves and never show it; elsewhere the client keeps it.
    for (const header of response.headers.getSetCookie?.() ?? []) {
      const token = /^parley_session=([^;]*)/.exec(header)?.[1]
      if (token !== undefined) cookie = token === '' ? undefined : token
    }
    const text = await response.text()
    let parsed: unknown
    let json = true
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = text
      json = false
    }
    const session = parsed as { csrfToken?: unknown; session?: { csrfToken?: unknown } } | null
    const token = session?.csrfToken ?? session?.session?.csrfToken
    if (typeof token === 'string') csrf = token
    return { status: response.status, body: parsed, json }
  }

  const ended = (reply: ApiReply) =>
    reply.status === 401 && isApiError(reply.body) && ENDED.has(reply.body.error.code)

  const withSession = async (officer: boolean, method: string, path: string, body?: unknown) => {
    const reply = await exchange(method, path, body)
    if (!officer || options.onSessionEnded === undefined || !ended(reply)) return reply
    await options.onSessionEnded()
    return exchange(method, path, body)
  }

  const call = async (
    op: Operation,
    input: Partial<Record<'params' | 'query' | 'body', unknown>>,
  ) => {
    const path = pathOf(op, input.params) + queryOf(input.query)
    const reply = await withSession(op.auth === 'officer', op.method, path, input.body)
    if (reply.status >= 400) {
      throw new ApiRequestError(
        reply.status,
        isApiError(reply.body) ? reply.body : invalid(reply.status, 'not an API error'),
      )
    }
    if (!reply.json) throw new ApiRequestError(reply.status, invalid(reply.status, 'not JSON'))
    return reply.body
  }

  const methods = Object.fromEntries(
    Object.entries(operations as Record<string, Operation>)
      .filter(([, op]) => op.websocket !== true)
      .map(([name, op]) => [name, (input = {}) => call(op, input)]),
  )
  async function* pages(
    name: string,
    input: { params?: unknown; query?: Record<string, unknown> } = {},
    { direction = 'forward', limit }: PagesOptions = {},
  ) {
    const op = (operations as Record<string, Operation>)[name]!
    let query: Record<string, unknown> = {
      ...input.query,
      ...(limit === undefined ? {} : { limit }),
      ...(direction === 'forward' ? { from: 'oldest' } : {}),
    }
    for (;;) {
      const page = (await call(op, { ...input, query })) as Record<string, unknown> & {
        cursors: PageCursors
      }
      const key = Object.keys(page).find((k) => k !== 'cursors' && Array.isArray(page[k]))
      const items = (key === undefined ? [] : page[key]) as unknown[]
      if (direction === 'forward') yield* items
      else yield* items.toReversed()
      const next = direction === 'forward' ? page.cursors.after : page.cursors.before
      // Forwards, a short page was the newest when it was read; `after` is there to poll with.
      if (
        next === null ||
        (direction === 'forward' && items.length < (limit ?? PAGE_DEFAULT_LIMIT))
      )
        return
      const { from: _from, ...rest } = query
      query = { ...rest, [direction === 'forward' ? 'after' : 'before']: next }
    }
  }

  return {
    ...methods,
    pages,
    send: async (method, path, body) => {
      const reply = await withSession(!path.startsWith('/auth/login'), method, path, body)
      return { status: reply.status, body: reply.body }
    },
  } as ApiClient
}

function isApiError(body: unknown): body is ApiError {
  return Value.Check(ApiErrorSchema, body)
}

function invalid(status: number, reason: string): ApiError {
  const details = { status, reason }
  return {
    error: {
      code: 'RESPONSE_INVALID',
      message: formatMessage(apiErrors.RESPONSE_INVALID.message, details),
      details,
    },
  }
}

function pathOf(op: Operation, params: unknown): string {
  const values = (params ?? {}) as Record<string, unknown>
  return op.path.replace(/:(\w+)/g, (_, name: string) =>
    encodeURIComponent(String(values[name] ?? '')),
  )
}

function queryOf(query: unknown): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (value !== undefined) search.set(name, String(value))
  }
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}
