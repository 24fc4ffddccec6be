/** A reply of the officer API: its status and parsed body. */
export interface ApiReply {
  readonly status: number
  // biome-ignore lint/suspicious/noExplicitAny: the seed reads replies field by field and checks statuses
  readonly body: any
}

const ENDED = new Set(['SESSION_EXPIRED', 'AUTH_REQUIRED'])

/** Whether a reply says the session ended (timed out or gone): time to log in again. */
export function sessionEnded(reply: ApiReply): boolean {
  return reply.status === 401 && ENDED.has(reply.body?.error?.code)
}

/**
 * The officer API as a browser page of the node calls it: the page's Origin, the session
 * cookie the node sets, and the CSRF token it hands out (at login, or with the session) sent
 * back on every change.
 */
export class BrowserSession {
  readonly url: string
  #cookie: string | undefined
  #csrf: string | undefined

  constructor(url: string) {
    this.url = url
  }

  /** Calls `/api/v1` + path once. */
  async send(method: string, path: string, body?: unknown): Promise<ApiReply> {
    const response = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: {
        origin: this.url,
        ...(this.#cookie === undefined ? {} : { cookie: `parley_session=${this.#cookie}` }),
        ...(this.#csrf === undefined || method === 'GET' ? {} : { 'x-csrf-token': this.#csrf }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    for (const cookie of response.headers.getSetCookie()) {
      const token = /^parley_session=([^;]*)/.exec(cookie)?.[1]
      if (token !== undefined) this.#cookie = token === '' ? undefined : token
    }
    const text = await response.text()
    const parsed = text === '' ? undefined : JSON.parse(text)
    const csrf = parsed?.csrfToken ?? parsed?.session?.csrfToken
    if (typeof csrf === 'string') this.#csrf = csrf
    return { status: response.status, body: parsed }
  }
}

/**
 * An officer using a demo node over HTTP, as the console would: a login on the first request
 * and again when the session timed out, the session cookie, and the CSRF token on every
 * change. Demo nodes do not require a second factor.
 */
export class OfficerSession {
  readonly url: string
  readonly username: string
  readonly id: string
  readonly #password: string
  readonly #browser: BrowserSession

  constructor(url: string, username: string, password: string, id: string) {
    this.url = url
    this.username = username
    this.#password = password
    this.id = id
    this.#browser = new BrowserSession(url)
  }

  async login(): Promise<void> {
    const reply = await this.#browser.send('POST', '/auth/login', {
      username: this.username,
      password: this.#password,
    })
    if (reply.status !== 200 || reply.body.stage !== 'active') {
      throw new Error(`${this.username} could not log in: ${describe(reply)}`)
    }
  }

  /** Calls `/api/v1` + path; logs in first, or again once the session ended. */
  async request(method: string, path: string, body?: unknown): Promise<ApiReply> {
    const reply = await this.#browser.send(method, path, body)
    if (!sessionEnded(reply)) return reply
    await this.login()
    return this.#browser.send(method, path, body)
  }

  /** Like {@link request}, but throws unless the node answers with `status`. */
  async expect(status: number, method: string, path: string, body?: unknown): Promise<ApiReply> {
    const reply = await this.request(method, path, body)
    if (reply.status !== status) {
      throw new Error(`${this.username}: ${method} ${path} answered ${describe(reply)}`)
    }
    return reply
  }
}

function describe(reply: ApiReply): string {
  const error = reply.body?.error
  return error === undefined
    ? String(reply.status)
    : `${reply.status} ${error.code}: ${error.message}`
}
