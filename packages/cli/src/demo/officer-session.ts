import { type ApiClient, createApiClient } from '@parley/api'

/**
 * An officer using a demo node over HTTP, as the console would, through the typed client of
 * `@parley/api`: a login on the first request and again when the session timed out; the client
 * keeps the session cookie and sends the CSRF token on every change. Demo nodes do not require
 * a second factor.
 */
export class OfficerSession {
  readonly url: string
  readonly username: string
  readonly id: string
  /** The officer API, typed from its route table. */
  readonly api: ApiClient
  readonly #password: string

  constructor(url: string, username: string, password: string, id: string) {
    this.url = url
    this.username = username
    this.#password = password
    this.id = id
    this.api = createApiClient({ baseUrl: url, origin: url, onSessionEnded: () => this.login() })
  }

  async login(): Promise<void> {
    const session = await this.api.login({
      body: { username: this.username, password: this.#password },
    })
    if (session.stage !== 'active') {
      throw new Error(`${this.username} could not log in: a second factor is due`)
    }
  }
}
