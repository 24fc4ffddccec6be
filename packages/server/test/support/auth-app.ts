import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyServerOptions } from 'fastify'
import { build, type ParleyApp } from '../../src/app.ts'
import { loadConfig, type NodeConfig } from '../../src/config.ts'
import type { ReleaseConfig } from '../../src/features/compose/release-guard.ts'
import { type PasswordHashConfig, passwordHasher } from '../../src/features/officers/password.ts'
import type { AuthConfig } from '../../src/features/sessions/auth-settings.ts'
import { authSettings } from '../../src/features/sessions/auth-settings.ts'
import type { AuthContext } from '../../src/features/sessions/sessions.service.ts'
import { initNodeDirectory } from '../../src/node-identity.ts'
import type { Database } from '../../src/store/database.ts'
import { testDatabase } from './database.ts'
import { cheapPasswordHash } from './password-hash.ts'

/** A test clock: time moves only when the test says so. */
export interface TestClock {
  now: number
  advance(ms: number): void
}

/** A node app (never listening) for auth tests, on a fresh test database, with a test clock. */
export interface AuthTestApp {
  readonly app: ParleyApp
  readonly config: NodeConfig
  readonly database: Database
  readonly clock: TestClock
  /** The service context the app uses, for arranging officers directly. */
  readonly ctx: AuthContext
  close(): Promise<void>
}

export interface AuthAppOptions {
  readonly auth?: AuthConfig
  readonly logger?: FastifyServerOptions['logger']
  /** `auth.passwordHash`: by default {@link cheapPasswordHash}; `{}` is the production cost. */
  readonly passwordHash?: PasswordHashConfig
  /** The release floor and guard; by default the node's defaults. */
  readonly release?: ReleaseConfig
}

export const START = Date.UTC(2025, 5, 1, 9, 0, 0)

/** Builds a node hosting `usa` and `est`, with its clock at {@link START}. */
export async function startAuthApp(options: AuthAppOptions = {}): Promise<AuthTestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-auth-'))
  await initNodeDirectory({
    dir,
    node: 'usa',
    parties: [
      { id: 'usa', name: 'United States' },
      { id: 'est', name: 'Estonia' },
    ],
    now: 0,
  })
  const loaded = loadConfig(join(dir, 'parley.json'), {})
  const config: NodeConfig = {
    ...loaded,
    auth: { passwordHash: options.passwordHash ?? cheapPasswordHash, ...options.auth },
    ...(options.release === undefined ? {} : { release: options.release }),
  }
  const database = await testDatabase()
  const clock: TestClock = {
    now: START,
    advance(ms) {
      clock.now += ms
    },
  }
  const now = () => clock.now
  const app = await build(config, {
    database,
    now,
    federate: false,
    logger: options.logger ?? false,
  })
  const ctx: AuthContext = {
    db: database.db,
    now,
    parties: ['usa', 'est'],
    passwords: passwordHasher(config.auth?.passwordHash),
    settings: authSettings(config.auth),
  }
  return {
    app,
    config,
    database,
    clock,
    ctx,
    async close() {
      await app.close()
      await database.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

// biome-ignore lint/suspicious/noExplicitAny: tests read replies field by field; their assertions are the check
export interface Reply<T = any> {
  readonly status: number
  readonly body: T
  readonly headers: Record<string, string | string[] | number | undefined>
  /** The session cookie this reply set: a token, '' when it cleared it, undefined when neither. */
  readonly sessionCookie: string | undefined
  readonly setCookie: string | undefined
}

/**
 * A browser as far as the officer API can tell: it keeps the session cookie, sends the CSRF
 * token it was given, and sends its page's Origin.
 */
export class Browser {
  cookie: string | undefined
  csrf: string | undefined
  readonly app: ParleyApp
  readonly origin: string
  readonly ip: string

  constructor(app: ParleyApp, options: { origin?: string; ip?: string } = {}) {
    this.app = app
    this.origin = options.origin ?? 'http://localhost'
    this.ip = options.ip ?? '127.0.0.1'
  }

  // biome-ignore lint/suspicious/noExplicitAny: as for Reply
  async request<T = any>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const response = await this.app.inject({
      method,
      url: `/api/v1${url}`,
      remoteAddress: this.ip,
      headers: {
        host: 'localhost',
        origin: this.origin,
        ...(this.cookie === undefined ? {} : { cookie: `parley_session=${this.cookie}` }),
        ...(this.csrf === undefined || method === 'GET' ? {} : { 'x-csrf-token': this.csrf }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    })
    const raw = response.headers['set-cookie']
    const setCookie = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).find((c) =>
      c.startsWith('parley_session='),
    )
    const sessionCookie =
      setCookie === undefined ? undefined : /^parley_session=([^;]*)/.exec(setCookie)![1]
    if (sessionCookie !== undefined) this.cookie = sessionCookie === '' ? undefined : sessionCookie
    const parsed = response.body === '' ? undefined : JSON.parse(response.body)
    const csrf = parsed?.csrfToken ?? parsed?.session?.csrfToken
    if (typeof csrf === 'string') this.csrf = csrf
    return {
      status: response.statusCode,
      body: parsed as T,
      headers: response.headers,
      sessionCookie,
      setCookie,
    }
  }

  login(username: string, password: string) {
    return this.request('POST', '/auth/login', { username, password })
  }
}
