import type { BodyOf } from '@parley/protocol'
import type { Role } from '../../src/features/officers/officers.service.ts'
import { type AuthTestApp, Browser } from './auth-app.ts'
import { addOfficer, PASSWORD } from './officers.ts'

/** An officer logged in through the API, as their browser. */
export interface LoggedIn {
  readonly id: string
  readonly username: string
  readonly party: string
  readonly browser: Browser
}

/**
 * Creates an officer and logs them in. The app must not require a second factor (these tests
 * are about what an officer may do once logged in, not about logging in).
 */
export async function loggedIn(
  t: AuthTestApp,
  username: string,
  roles: Role[],
  party = 'usa',
): Promise<LoggedIn> {
  const officer = await addOfficer(t, username, roles, party)
  const browser = new Browser(t.app)
  const login = await browser.login(username, PASSWORD)
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`)
  return { id: officer.id, username, party, browser }
}

/**
 * The scenario's working group policy: the node's release floor (notices, red lines, adoption,
 * compliance reports, forwards) and draft text need release.
 */
export const WORKING_GROUP_POLICY: BodyOf<'channel.create'>['policy'] & object = {
  languages: ['en', 'ru'],
  ackWithin: { routine: 24 * 3_600_000, priority: 3_600_000, flash: 15 * 60_000 },
  respondWithin: 72 * 3_600_000,
  release: {
    twoPersonRule: [
      'notice.open',
      'notice.reply',
      'notice.close',
      'redline.declare',
      'redline.revise',
      'redline.withdraw',
      'draft.create',
      'draft.propose',
      'draft.adopt',
      'compliance.report',
      'forward',
    ],
    flashExempt: false,
  },
}

/** Opens a channel as `by` (who lands on its access list) and returns its id. */
export async function openChannel(
  by: LoggedIn,
  body: { title: string; members: string[]; observers?: string[]; policy?: object },
): Promise<string> {
  const reply = await by.browser.request('POST', '/channels', body)
  if (reply.status !== 201) throw new Error(`channel not opened: ${JSON.stringify(reply.body)}`)
  return reply.body.channel.id as string
}

/** An admin puts officers on a channel's access list. */
export async function grant(admin: LoggedIn, channel: string, ...officers: LoggedIn[]) {
  for (const officer of officers) {
    const reply = await admin.browser.request('PUT', `/channels/${channel}/access/${officer.id}`)
    if (reply.status !== 200) throw new Error(`grant failed: ${JSON.stringify(reply.body)}`)
  }
}

/** A routine message body. */
export function message(text: string, extra: object = {}) {
  return { text, lang: 'en', urgency: 'routine', tlp: 'green', ...extra }
}

/** Scenario step 1's incident notice (TLP:AMBER indicators). */
export function incidentNotice(extra: object = {}) {
  return {
    kind: 'clarification',
    subject: 'Scanning of election infrastructure',
    lang: 'en',
    urgency: 'priority',
    tlp: 'amber',
    severity: 3,
    sectors: ['government-facilities', 'election-infrastructure'],
    observedActivity: {
      description: 'Scanning from addresses announced by an autonomous system in Russia',
      from: Date.UTC(2025, 5, 1, 1, 40),
      until: Date.UTC(2025, 5, 1, 2, 10),
    },
    requestedAction: 'Identify and stop the activity, or clarify its nature',
    indicators: [{ type: 'asn', value: 'AS64500', tlp: 'amber' }],
    ...extra,
  }
}
