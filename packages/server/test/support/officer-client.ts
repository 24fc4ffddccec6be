import { BrowserSession, sessionEnded } from '../../../cli/src/demo/officer-session.ts'
import { totpCode } from './officers.ts'

// biome-ignore lint/suspicious/noExplicitAny: tests read replies field by field; their assertions are the check
export interface ApiReply<T = any> {
  readonly status: number
  readonly body: T
}

/**
 * An officer at their browser, over real HTTP to a listening node: logs in with their password
 * and authenticator app, keeps the session cookie, sends the CSRF token and the page's Origin,
 * and logs in again when the session timed out (the next shift, hours of story time later).
 */
export class OfficerClient {
  readonly url: string
  readonly username: string
  /** The officer's id, known once logged in. */
  id = ''
  readonly #password: string
  readonly #now: () => number
  #secret: string | undefined
  readonly #browser: BrowserSession

  constructor(url: string, username: string, password: string, now: () => number) {
    this.url = url
    this.username = username
    this.#password = password
    this.#now = now
    this.#browser = new BrowserSession(url)
  }

  /** Logs in: password, then the authenticator code when a factor is enrolled. */
  async login(): Promise<void> {
    const first = await this.#browser.send('POST', '/auth/login', {
      username: this.username,
      password: this.#password,
    })
    if (first.status !== 200) throw new Error(`${this.username}: ${JSON.stringify(first.body)}`)
    let session = first.body
    if (session.stage === 'second-factor') {
      if (this.#secret === undefined) throw new Error(`${this.username} has no authenticator`)
      const code = await totpCode(this.#secret, this.#now())
      const second = await this.#browser.send('POST', '/auth/login/totp', { code })
      if (second.status !== 200) throw new Error(`${this.username}: ${JSON.stringify(second.body)}`)
      session = second.body
    }
    this.id = session.officer.id
  }

  /** Enrols an authenticator app, as the node requires before anything else. */
  async enrolAuthenticator(): Promise<void> {
    const begun = await this.#browser.send('POST', '/auth/totp')
    if (begun.status !== 200) throw new Error(`${this.username}: ${JSON.stringify(begun.body)}`)
    const code = await totpCode(begun.body.secret, this.#now())
    const confirmed = await this.#browser.send('POST', '/auth/totp/confirm', { code })
    if (confirmed.status !== 200) {
      throw new Error(`${this.username}: ${JSON.stringify(confirmed.body)}`)
    }
    this.#secret = begun.body.secret
  }

  /** Calls the officer API (`/api/v1` + path), logging in again once if the session ended. */
  // biome-ignore lint/suspicious/noExplicitAny: as for ApiReply
  async request<T = any>(method: string, path: string, body?: unknown): Promise<ApiReply<T>> {
    const reply = await this.#browser.send(method, path, body)
    if (!sessionEnded(reply)) return reply
    await this.login()
    return this.#browser.send(method, path, body)
  }
}
