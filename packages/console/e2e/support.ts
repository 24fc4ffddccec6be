import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { createOfficer, type Role } from '../../server/src/features/officers/officers.service.ts'
import { passwordHasher } from '../../server/src/features/officers/password.ts'
import { type StartOptions, startNodes, type TestNode } from '../../server/test/support/nodes.ts'
import { OfficerClient } from '../../server/test/support/officer-client.ts'
import { cheapPasswordHash } from '../../server/test/support/password-hash.ts'

/** Screenshots of every flow, for a person to look at (git-ignored). */
export const SHOTS = join(import.meta.dirname, '..', 'test-results')

/** Debian's Chromium, never a downloaded browser; one per test file. */
export async function launch(): Promise<Browser> {
  await mkdir(SHOTS, { recursive: true })
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  })
}

export const PASSWORD = 'a long enough passphrase'

export interface Officer {
  readonly username: string
  readonly password: string
  readonly client: OfficerClient
  readonly node: TestNode
}

/** Creates an officer on a node, as `parley officer add` does, and a client logged in as them. */
export async function officer(
  node: TestNode,
  username: string,
  roles: Role[],
  options: { mustChangePassword?: boolean } = {},
): Promise<Officer> {
  const party = [...node.app.identity.parties.keys()][0]!
  const generated = options.mustChangePassword === true
  const created = await createOfficer(
    {
      db: node.app.db,
      now: Date.now,
      parties: [party],
      passwords: passwordHasher(cheapPasswordHash),
    },
    { officer: null, party: null, via: 'cli' },
    {
      party,
      username,
      displayName: displayName(username),
      roles,
      // Without a password the node makes one that must be changed at the first sign-in.
      ...(generated ? {} : { password: PASSWORD }),
    },
  )
  const password = created.password ?? PASSWORD
  const client = new OfficerClient(node.url, username, password, Date.now)
  return { username, password, client, node }
}

function displayName(username: string): string {
  return `${username[0]!.toUpperCase()}${username.slice(1)}`
}

/** usa and rus on loopback, each pinning the other; passwords alone unless a factor is enrolled. */
export async function twoNodes(options: StartOptions = {}) {
  return startNodes(
    [
      { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
      { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
    ],
    {
      configure: (config) => ({
        ...config,
        auth: { ...config.auth, requireSecondFactor: false },
      }),
      ...options,
    },
  )
}

/** A fresh browser profile at a node's console, in a language. */
export async function page(browser: Browser, url: string, lang: 'en' | 'ru' = 'en') {
  const context: BrowserContext = await browser.newContext({
    baseURL: url,
    viewport: { width: 1280, height: 800 },
    locale: lang === 'ru' ? 'ru-RU' : 'en-US',
    timezoneId: 'Europe/Berlin',
  })
  const tab: Page = await context.newPage()
  const errors: string[] = []
  tab.on('pageerror', (error) => errors.push(String(error)))
  tab.on('console', (message) => {
    // A CSP refusal shows only here: the console must never cause one.
    if (message.type() === 'error' && /Content Security Policy/.test(message.text())) {
      errors.push(message.text())
    }
  })
  await context.addInitScript((chosen) => localStorage.setItem('parley.language', chosen), lang)
  return { context, tab, errors }
}

/** Signs in with a password (the node asks for no second factor). */
export async function signIn(
  tab: Page,
  username: string,
  password = PASSWORD,
  lang: 'en' | 'ru' = 'en',
) {
  await tab.goto('/')
  await tab.getByLabel(lang === 'ru' ? 'Имя пользователя' : 'Username').fill(username)
  await tab.getByLabel(lang === 'ru' ? 'Пароль' : 'Password', { exact: true }).fill(password)
  await tab.getByRole('button', { name: lang === 'ru' ? 'Войти' : 'Sign in', exact: true }).click()
}

/** A screenshot for people, and axe for the rules: no serious or critical violation. */
export async function look(tab: Page, name: string): Promise<void> {
  await tab.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false })
  const results = await new AxeBuilder({ page: tab })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'])
    .analyze()
  const grave = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(
    grave.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    name,
  ).toEqual([])
}

/** Who a two-node story needs: each person's node and roles. */
export type Cast<N extends string> = Readonly<Record<N, readonly ['usa' | 'rus', Role[]]>>

/**
 * Debian's Chromium, and usa and rus on loopback (a failed push retried every half second, so a
 * peer's return shows at once), with each person of the cast an officer there, logged in.
 */
export async function twoNodeStory<N extends string>(cast: Cast<N>) {
  const browser = await launch()
  const started = await twoNodes({ backoff: () => 500 })
  const [usa, rus] = started.nodes as [TestNode, TestNode]
  const people = {} as Record<N, Officer>
  for (const [name, [node, roles]] of Object.entries(cast) as [N, Cast<N>[N]][]) {
    people[name] = await officer(node === 'usa' ? usa : rus, name, roles)
    await people[name].client.login()
  }
  const close = async () => {
    await browser.close()
    await started.close()
  }
  return { browser, usa, rus, people, close }
}
