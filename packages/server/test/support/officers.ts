import { generate } from 'otplib'
import { createOfficer, type Role } from '../../src/features/officers/officers.service.ts'
import { type AuthTestApp, Browser } from './auth-app.ts'

export const PASSWORD = 'a long enough passphrase'

const operator = { officer: null, party: null, via: 'cli' } as const

/** Creates an officer with {@link PASSWORD}, as the operator's CLI would. */
export async function addOfficer(
  t: AuthTestApp,
  username: string,
  roles: Role[] = ['drafter'],
  party = 'usa',
) {
  return (
    await createOfficer(t.ctx, operator, {
      party,
      username,
      displayName: username,
      roles,
      password: PASSWORD,
    })
  ).officer
}

/** The authenticator app's code at `at` (ms). */
export function totpCode(secret: string, at: number): Promise<string> {
  return generate({ secret, epoch: Math.floor(at / 1000) })
}

/**
 * An officer who logged in and enrolled an authenticator app, with the browser they did it in
 * (logged in) and the app's secret.
 */
export async function enrolledOfficer(
  t: AuthTestApp,
  username: string,
  options: { roles?: Role[]; party?: string; ip?: string } = {},
) {
  const officer = await addOfficer(t, username, options.roles, options.party)
  const browser = new Browser(t.app, options.ip === undefined ? {} : { ip: options.ip })
  await browser.login(username, PASSWORD)
  const { body } = await browser.request('POST', '/auth/totp')
  const confirmed = await browser.request('POST', '/auth/totp/confirm', {
    code: await totpCode(body.secret, t.clock.now),
  })
  if (confirmed.status !== 200)
    throw new Error(`enrolment failed: ${JSON.stringify(confirmed.body)}`)
  return {
    officer,
    browser,
    secret: body.secret as string,
    recoveryCodes: confirmed.body.recoveryCodes as string[],
  }
}

/** Moves the clock to the next TOTP step, so the next code is not a replay of the last. */
export function nextStep(t: AuthTestApp): void {
  t.clock.advance(30_000)
}
