import { type ApiClient, createApiClient } from '@parley/api'
import { totpCode } from './officers.ts'

// biome-ignore lint/suspicious/noExplicitAny: tests read replies field by field; their assertions are the check
export interface ApiReply<T = any> {
  readonly status: number
  readonly body: T
}

/**
 * An officer at their browser, over real HTTP to a listening node, through the typed client of
 * `@parley/api`: logs in with their password and authenticator app, and logs in again when the
 * session timed out (the next shift, hours of story time later). The client keeps the session
 * cookie, sends the CSRF token and the page's Origin.
 */
export class OfficerClient {
  readonly url: string
  readonly username: string
  /** The officer's id, known once logged in. */
  id = ''
  /** The officer API, typed from its route table. */
  readonly api: ApiClient
  readonly #password: string
  readonly #now: () => number
  #secret: string | undefined

  constructor(url: string, username: string, password: string, now: () => number) {
    this.url = url
    this.username = username
    this.#password = password
    this.#now = now
    this.api = createApiClient({ baseUrl: url, origin: url, onSessionEnded: () => this.login() })
  }

  /** Logs in: password, then the authenticator code when a factor is enrolled. */
  async login(): Promise<void> {
    let session = await this.api.login({
      body: { username: this.username, password: this.#password },
    })
    if (session.stage === 'second-factor') {
      if (this.#secret === undefined) throw new Error(`${this.username} has no authenticator`)
      const code = await totpCode(this.#secret, this.#now())
      session = await this.api.loginWithTotp({ body: { code } })
    }
    this.id = session.officer!.id
  }

  /** Enrols an authenticator app, as the node requires before anything else. */
  async enrolAuthenticator(): Promise<void> {
    const { secret } = await this.api.beginTotpEnrolment()
    await this.api.confirmTotpEnrolment({ body: { code: await totpCode(secret, this.#now()) } })
    this.#secret = secret
  }

  /**
   * Sends any request to the officer API (`/api/v1` + path), logging in again once if the
   * session ended, and returns the answer as it came: for requests the node must refuse.
   */
  // biome-ignore lint/suspicious/noExplicitAny: as for ApiReply
  async request<T = any>(method: string, path: string, body?: unknown): Promise<ApiReply<T>> {
    return (await this.api.send(method, path, body)) as ApiReply<T>
  }
}
