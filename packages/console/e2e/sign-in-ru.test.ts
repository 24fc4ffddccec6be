import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNodes, type TestNode } from '../../server/test/support/nodes.ts'
import { ru as L } from '../src/i18n/ru.ts'
import { launch, look, officer, page, signIn } from './support.ts'

// The sign-in pages of sign-in.test.ts once more in the Russian UI, each checked by axe: one
// node that requires a second factor, a passkey on Chromium's virtual authenticator.
let browser: Browser
let usa: TestNode
let close: () => Promise<void>

beforeAll(async () => {
  browser = await launch()
  const started = await startNodes(
    [{ node: 'usa', parties: [{ id: 'usa', name: 'United States' }] }],
    {
      configure: (config) => ({ ...config, auth: { ...config.auth, requireSecondFactor: true } }),
    },
  )
  usa = started.nodes[0]!
  close = started.close
})

afterAll(async () => {
  await browser?.close()
  await close?.()
})

// WebAuthn refuses an IP address as the relying party: the browser opens the node as localhost.
const at = (node: TestNode) => node.url.replace('127.0.0.1', 'localhost')

describe('signing in to the console in Russian', () => {
  it('a generated password changed, a passkey enrolled and used, every page in Russian', async () => {
    const olga = await officer(usa, 'olga', ['drafter'], { mustChangePassword: true })
    const { tab, context, errors } = await page(browser, at(usa), 'ru')
    const cdp = await context.newCDPSession(tab)
    await cdp.send('WebAuthn.enable')
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    })
    await tab.goto('/')
    await tab.getByRole('heading', { name: L.signIn.title }).waitFor()
    await look(tab, 'sign-in-ru-1-sign-in')
    await signIn(tab, 'olga', olga.password, 'ru')
    await tab.getByRole('heading', { name: L.password.title }).waitFor()
    await look(tab, 'sign-in-ru-2-forced-password-change')
    await tab.getByLabel(L.password.current).fill(olga.password)
    await tab.getByLabel(L.password.next).fill('correct horse battery staple')
    await tab.getByLabel(L.password.again).fill('correct horse battery staple')
    await tab.getByRole('button', { name: L.password.submit }).click()

    await tab.getByRole('heading', { name: L.enrol.title }).waitFor()
    await look(tab, 'sign-in-ru-3-enrol')
    await tab.getByRole('button', { name: L.enrol.passkey, exact: true }).click()
    await tab.getByRole('heading', { name: L.enrol.codesTitle }).waitFor()
    expect(await tab.locator('.codes code').count()).toBe(10)
    await look(tab, 'sign-in-ru-4-recovery-codes')
    await tab.getByRole('button', { name: L.enrol.continue }).click()
    await tab.getByRole('heading', { name: L.inbox.title }).waitFor()
    await tab.getByRole('button', { name: L.shell.logout }).click()

    await signIn(tab, 'olga', 'correct horse battery staple', 'ru')
    await tab.getByRole('heading', { name: L.signIn.secondTitle }).waitFor()
    await look(tab, 'sign-in-ru-5-second-factor')
    await tab.getByRole('button', { name: L.signIn.passkeyUse }).click()
    await tab.getByRole('heading', { name: L.inbox.title }).waitFor()
    await look(tab, 'sign-in-ru-6-inbox')
    expect(errors).toEqual([])
    await context.close()
  })

  it('a wrong password, then a lock-out, told in Russian', async () => {
    await officer(usa, 'pavel', ['viewer'])
    const { tab, context } = await page(browser, at(usa), 'ru')
    await signIn(tab, 'pavel', 'wrong password 0', 'ru')
    await tab.getByRole('alert').filter({ hasText: L.error.LOGIN_FAILED }).waitFor()
    await look(tab, 'sign-in-ru-7-wrong-password')
    for (let i = 1; i < 12; i++) {
      await signIn(tab, 'pavel', `wrong password ${i}`, 'ru')
      const alert = tab.getByRole('alert')
      await alert.waitFor()
      if ((await alert.textContent())?.includes(L.signIn.lockedTitle)) break
    }
    expect(await tab.getByRole('alert').textContent()).toMatch(
      new RegExp(`${L.signIn.lockedTitle}.*\\d+ мин`),
    )
    await look(tab, 'sign-in-ru-8-locked')
    await context.close()
  })
})
