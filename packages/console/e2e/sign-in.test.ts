import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNodes, type TestNode } from '../../server/test/support/nodes.ts'
import { totpCode } from '../../server/test/support/officers.ts'
import { launch, look, officer, page, signIn } from './support.ts'

// One node that requires a second factor, as a ministry's would.
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

describe('signing in to the console', () => {
  it('a first sign-in changes the generated password, enrols an authenticator app, keeps the recovery codes; then password and code sign in', async () => {
    const dana = await officer(usa, 'dana', ['drafter'], { mustChangePassword: true })
    const { tab, context, errors } = await page(browser, at(usa))
    await signIn(tab, 'dana', dana.password)
    await tab.getByRole('heading', { name: 'Choose a new password' }).waitFor()
    await look(tab, 'sign-in-1-forced-password-change')
    await tab.getByLabel('Current password').fill(dana.password)
    await tab
      .getByLabel('New password (at least 12 characters)')
      .fill('correct horse battery staple')
    await tab.getByLabel('New password again').fill('correct horse battery staple')
    await tab.getByRole('button', { name: 'Change password' }).click()

    await tab.getByRole('heading', { name: 'Add a second factor' }).waitFor()
    await tab.getByRole('button', { name: 'Authenticator app' }).click()
    const secret = (await tab.getByLabel('Authenticator secret').inputValue()).trim()
    await look(tab, 'sign-in-2-enrol-totp')
    // The previous step's code: the sign-in below uses the current one, never a replay.
    await tab
      .getByLabel('Six-digit code from your authenticator app')
      .fill(await totpCode(secret, Date.now() - 30_000))
    await tab.getByRole('button', { name: 'Confirm' }).click()
    await tab.getByRole('heading', { name: 'Your recovery codes' }).waitFor()
    const codes = await tab.locator('.codes code').allTextContents()
    expect(codes).toHaveLength(10)
    await look(tab, 'sign-in-3-recovery-codes')
    await tab.getByRole('button', { name: /I have stored them/ }).click()
    await tab.getByRole('heading', { name: 'Inbox' }).waitFor()
    await tab.getByRole('button', { name: 'Sign out' }).click()

    await signIn(tab, 'dana', 'correct horse battery staple')
    await tab.getByRole('heading', { name: 'Confirm it is you' }).waitFor()
    await look(tab, 'sign-in-4-second-factor')
    await tab.getByLabel('Six-digit code from your authenticator app').fill('000000')
    await tab.getByRole('button', { name: 'Verify' }).click()
    await tab.getByRole('alert').filter({ hasText: 'That code is wrong' }).waitFor()
    await tab
      .getByLabel('Six-digit code from your authenticator app')
      .fill(await totpCode(secret, Date.now()))
    await tab.getByRole('button', { name: 'Verify' }).click()
    await tab.getByRole('heading', { name: 'Inbox' }).waitFor()
    await tab.getByRole('button', { name: 'Sign out' }).click()

    // A recovery code signs in once.
    await signIn(tab, 'dana', 'correct horse battery staple')
    await tab.getByRole('button', { name: 'Recovery code' }).click()
    await tab.getByLabel('One of your recovery codes').fill(codes[0]!)
    await tab.getByRole('button', { name: 'Verify' }).click()
    await tab.getByRole('heading', { name: 'Inbox' }).waitFor()
    expect(errors).toEqual([])
    await context.close()
  })

  it('a passkey registered and used with Chromium’s virtual authenticator', async () => {
    await officer(usa, 'erin', ['viewer'])
    const { tab, context, errors } = await page(browser, at(usa))
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
    await signIn(tab, 'erin')
    await tab.getByRole('heading', { name: 'Add a second factor' }).waitFor()
    await tab.getByRole('button', { name: 'Passkey' }).click()
    await tab.getByRole('heading', { name: 'Your recovery codes' }).waitFor()
    await tab.getByRole('button', { name: /I have stored them/ }).click()
    await tab.getByRole('heading', { name: 'Inbox' }).waitFor()
    await tab.getByRole('button', { name: 'Sign out' }).click()

    await signIn(tab, 'erin')
    await tab.getByRole('heading', { name: 'Confirm it is you' }).waitFor()
    await look(tab, 'sign-in-5-passkey')
    await tab.getByRole('button', { name: 'Use passkey' }).click()
    await tab.getByRole('heading', { name: 'Inbox' }).waitFor()
    await look(tab, 'sign-in-6-inbox-empty')
    expect(errors).toEqual([])
    await context.close()
  })

  it('too many wrong passwords lock the account, and the console says so plainly', async () => {
    await officer(usa, 'frank', ['viewer'])
    const { tab, context } = await page(browser, at(usa))
    for (let i = 0; i < 12; i++) {
      await signIn(tab, 'frank', `wrong password ${i}`)
      const alert = tab.getByRole('alert')
      await alert.waitFor()
      if ((await alert.textContent())?.includes('Locked out')) break
    }
    const alert = tab.getByRole('alert')
    expect(await alert.textContent()).toMatch(/Locked out\..*locked for \d+ min/)
    await look(tab, 'sign-in-7-locked')
    await context.close()
  })
})
