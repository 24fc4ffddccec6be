import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { officerRoutes } from '../src/features/access/access.plugin.ts'
import { createToken } from '../src/features/tokens/tokens.service.ts'
import { type AuthTestApp, Browser, type Reply, START, startAuthApp } from './support/auth-app.ts'
import {
  grant,
  incidentNotice,
  type LoggedIn,
  loggedIn,
  message,
  openChannel,
  WORKING_GROUP_POLICY,
} from './support/compartments.ts'
import { PASSWORD } from './support/officers.ts'

// Who calls. `-in` officers are on the channel's access list (its compartment), `-out` ones
// are not; `other-party` is an admin of est, another party hosted on the same node, who is
// in none of usa's compartments.
const PRINCIPALS = [
  'anonymous',
  'viewer-in',
  'viewer-out',
  'drafter-in',
  'drafter-out',
  'releaser-in',
  'releaser-out',
  'admin-in',
  'admin-out',
  'other-party',
] as const
type Principal = (typeof PRINCIPALS)[number]

// What a cell expects: a status the handler answers once authorization let the call through,
// or a refusal (401 AUTH_REQUIRED, 403 FORBIDDEN_ROLE, 403 CHANNEL_FORBIDDEN, 404 for an
// item in a hidden compartment), or a status
// with its error code.
const AUTH = { status: 401, code: 'AUTH_REQUIRED' } as const
const ROLE = { status: 403, code: 'FORBIDDEN_ROLE' } as const
const CHAN = { status: 403, code: 'CHANNEL_FORBIDDEN' } as const
// A release item in a compartment the caller is outside of is answered as one that never was.
const GONE = { status: 404, code: 'RELEASE_NOT_FOUND' } as const
const NOTICE_GONE = { status: 404, code: 'NOTICE_NOT_FOUND' } as const
type Cell = number | { readonly status: number; readonly code: string }
const code = (status: number, code: string): Cell => ({ status, code })
/** An event id no node holds: a draft or red line that is not there. */
const NO_EVENT = '0'.repeat(64)
const OTHER = code(403, 'PARTY_FORBIDDEN')
const NOTICE = code(404, 'STIX_NOTICE_NOT_FOUND')
const PUBLISH_GREEN = code(422, 'PUBLICATION_NOT_CLEAR')
const NO_PUB = code(404, 'PUBLICATION_NOT_FOUND')

/** The state a row's requests use; `channel` is the compartment the `-in` officers are in. */
interface Fixture {
  readonly channel: string
  readonly release: string
  readonly message: string
  readonly target: LoggedIn
  readonly target2: LoggedIn
  readonly officers: Readonly<Record<Exclude<Principal, 'anonymous'>, LoggedIn>>
  readonly admin: LoggedIn
  readonly estDrafter: LoggedIn
  /** A fresh API token of `target2`'s, issued at the CLI; its id. */
  readonly token: () => Promise<string>
}

interface Call {
  readonly url: string
  readonly body?: unknown
  /** Use a fresh session of the principal: the call ends or changes its session. */
  readonly fresh?: boolean
  /** Runs in that session before the call. */
  readonly before?: (browser: Browser) => Promise<unknown>
}

interface Row {
  readonly call: (f: Fixture) => Promise<Call> | Call
  readonly cells: readonly Cell[]
}

const everyOfficer = (cell: Cell) => [AUTH, ...Array<Cell>(9).fill(cell)]
const adminsOnly = (admin: Cell, otherParty: Cell = admin) => [
  AUTH,
  ...Array<Cell>(6).fill(ROLE),
  admin,
  admin,
  otherParty,
]
let serial = 0
const unique = (prefix: string) => `${prefix}-${++serial}`

// The matrix: every officer route (method and URL as registered) × every principal, in the
// order of PRINCIPALS. A route registered without a row here fails the first test.
const MATRIX: Record<string, Row> = {
  //                                anon  v-in  v-out d-in  d-out r-in  r-out a-in  a-out other
  'GET /api/v1/node': { call: () => ({ url: '/node' }), cells: everyOfficer(200) },
  'POST /api/v1/peers': {
    call: () => ({ url: '/peers', body: { url: 'ftp://peer.example', fingerprint: 'ab' } }),
    cells: adminsOnly(code(400, 'FEDERATION_URL_INVALID')),
  },
  'DELETE /api/v1/peers/:party': {
    call: () => ({ url: '/peers/rus' }),
    cells: adminsOnly(code(404, 'NOT_FOUND')),
  },
  'GET /api/v1/alarms': { call: () => ({ url: '/alarms' }), cells: everyOfficer(200) },
  'GET /api/v1/channels': { call: () => ({ url: '/channels' }), cells: everyOfficer(200) },
  'POST /api/v1/channels': {
    call: () => ({ url: '/channels', body: { title: unique('new'), members: ['usa', 'est'] } }),
    cells: [AUTH, ROLE, ROLE, 201, 201, 201, 201, 201, 201, 201],
  },
  'GET /api/v1/channels/:channel': {
    call: (f) => ({ url: `/channels/${f.channel}` }),
    cells: [AUTH, 200, CHAN, 200, CHAN, 200, CHAN, 200, CHAN, CHAN],
  },
  'POST /api/v1/channels/:channel/join': {
    // A fresh invitation each time: est opens a channel with usa, usa's admin lets the -in in.
    call: async (f) => {
      const invitation = await openChannel(f.estDrafter, {
        title: unique('invitation'),
        members: ['est', 'usa'],
      })
      const o = f.officers
      await grant(f.admin, invitation, o['viewer-in'], o['drafter-in'], o['releaser-in'], f.admin)
      return { url: `/channels/${invitation}/join`, body: {} }
    },
    cells: [AUTH, ROLE, ROLE, 201, CHAN, 201, CHAN, 201, CHAN, CHAN],
  },
  'POST /api/v1/channels/:channel/messages': {
    call: (f) => ({ url: `/channels/${f.channel}/messages`, body: message('matrix') }),
    cells: [AUTH, ROLE, ROLE, 201, CHAN, 201, CHAN, 201, CHAN, CHAN],
  },
  'POST /api/v1/channels/:channel/messages/batch': {
    call: (f) => ({
      url: `/channels/${f.channel}/messages/batch`,
      body: { messages: [message('matrix batch')] },
    }),
    cells: [AUTH, ROLE, ROLE, 201, CHAN, 201, CHAN, 201, CHAN, CHAN],
  },
  'POST /api/v1/channels/:channel/translations': {
    call: (f) => ({
      url: `/channels/${f.channel}/translations`,
      body: { of: f.message, lang: 'ru', text: 'матрица' },
    }),
    cells: [AUTH, ROLE, ROLE, 201, CHAN, 201, CHAN, 201, CHAN, CHAN],
  },
  'GET /api/v1/channels/:channel/timeline': {
    call: (f) => ({ url: `/channels/${f.channel}/timeline` }),
    cells: [AUTH, 200, CHAN, 200, CHAN, 200, CHAN, 200, CHAN, CHAN],
  },
  'GET /api/v1/channels/:channel/redlines': {
    call: (f) => ({ url: `/channels/${f.channel}/redlines?since=0` }),
    cells: [AUTH, 200, CHAN, 200, CHAN, 200, CHAN, 200, CHAN, CHAN],
  },
  'GET /api/v1/channels/:channel/redlines/:redline': {
    call: (f) => ({ url: `/channels/${f.channel}/redlines/${NO_EVENT}` }),
    cells: [
      AUTH,
      code(404, 'NOT_FOUND'),
      CHAN,
      code(404, 'NOT_FOUND'),
      CHAN,
      code(404, 'NOT_FOUND'),
      CHAN,
      code(404, 'NOT_FOUND'),
      CHAN,
      CHAN,
    ],
  },
  'GET /api/v1/channels/:channel/drafts': {
    call: (f) => ({ url: `/channels/${f.channel}/drafts` }),
    cells: [AUTH, 200, CHAN, 200, CHAN, 200, CHAN, 200, CHAN, CHAN],
  },
  'GET /api/v1/channels/:channel/drafts/:draft': {
    call: (f) => ({ url: `/channels/${f.channel}/drafts/${NO_EVENT}` }),
    cells: [
      AUTH,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      CHAN,
    ],
  },
  'GET /api/v1/channels/:channel/drafts/:draft/paragraphs/:paragraph': {
    call: (f) => ({ url: `/channels/${f.channel}/drafts/${NO_EVENT}/paragraphs/p1` }),
    cells: [
      AUTH,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      CHAN,
    ],
  },
  'GET /api/v1/channels/:channel/drafts/:draft/agreement': {
    call: (f) => ({ url: `/channels/${f.channel}/drafts/${NO_EVENT}/agreement` }),
    cells: [
      AUTH,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      CHAN,
    ],
  },
  'GET /api/v1/channels/:channel/drafts/:draft/compliance': {
    call: (f) => ({ url: `/channels/${f.channel}/drafts/${NO_EVENT}/compliance` }),
    cells: [
      AUTH,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      code(404, 'DRAFT_NOT_FOUND'),
      CHAN,
      CHAN,
    ],
  },
  'GET /api/v1/channels/:channel/forwards': {
    call: (f) => ({ url: `/channels/${f.channel}/forwards` }),
    cells: [AUTH, 200, CHAN, 200, CHAN, 200, CHAN, 200, CHAN, CHAN],
  },
  'GET /api/v1/channels/:channel/transcript': {
    call: (f) => ({ url: `/channels/${f.channel}/transcript` }),
    cells: [AUTH, 200, CHAN, 200, CHAN, 200, CHAN, 200, CHAN, CHAN],
  },
  'PUT /api/v1/channels/:channel/read': {
    call: (f) => ({ url: `/channels/${f.channel}/read`, body: { upTo: f.message } }),
    cells: [AUTH, 200, CHAN, 200, CHAN, 200, CHAN, 200, CHAN, CHAN],
  },
  // A WebSocket: 101 is the upgrade; refusals are checked by status alone.
  'GET /api/v1/stream': {
    call: (f) => ({ url: `/stream?channel=${f.channel}` }),
    cells: [AUTH, 101, CHAN, 101, CHAN, 101, CHAN, 101, CHAN, CHAN],
  },
  'GET /api/v1/auth/session': { call: () => ({ url: '/auth/session' }), cells: everyOfficer(200) },
  'POST /api/v1/auth/logout': {
    call: () => ({ url: '/auth/logout', fresh: true }),
    cells: everyOfficer(204),
  },
  'POST /api/v1/auth/password': {
    call: () => ({
      url: '/auth/password',
      body: { current: PASSWORD, next: 'short' },
      fresh: true,
    }),
    cells: everyOfficer(code(400, 'PASSWORD_TOO_WEAK')),
  },
  'POST /api/v1/auth/totp': {
    call: () => ({ url: '/auth/totp', fresh: true }),
    cells: everyOfficer(200),
  },
  'POST /api/v1/auth/totp/confirm': {
    call: () => ({
      url: '/auth/totp/confirm',
      body: { code: 'not-a-code' },
      fresh: true,
      before: (browser) => browser.request('POST', '/auth/totp'),
    }),
    cells: everyOfficer(code(401, 'TOTP_INVALID')),
  },
  'POST /api/v1/auth/passkeys/options': {
    call: () => ({ url: '/auth/passkeys/options', fresh: true }),
    cells: everyOfficer(200),
  },
  'POST /api/v1/auth/passkeys': {
    call: () => ({
      url: '/auth/passkeys',
      fresh: true,
      body: {
        response: {
          id: 'AAAA',
          rawId: 'AAAA',
          type: 'public-key',
          response: {},
          clientExtensionResults: {},
        },
      },
    }),
    cells: everyOfficer(code(409, 'PASSKEY_CHALLENGE_MISSING')),
  },
  'POST /api/v1/auth/recovery-codes': {
    call: () => ({ url: '/auth/recovery-codes', fresh: true }),
    cells: everyOfficer(code(409, 'FACTOR_NOT_ENROLLED')),
  },
  'GET /api/v1/officers': { call: () => ({ url: '/officers' }), cells: adminsOnly(200) },
  'POST /api/v1/officers': {
    call: () => ({
      url: '/officers',
      body: { username: unique('new-officer'), displayName: 'New', roles: ['viewer'] },
    }),
    cells: adminsOnly(201),
  },
  // An admin of est does not even learn that usa's officer exists.
  'PUT /api/v1/officers/:officer/roles': {
    call: (f) => ({ url: `/officers/${f.target2.id}/roles`, body: { roles: ['viewer'] } }),
    cells: adminsOnly(200, code(404, 'OFFICER_NOT_FOUND')),
  },
  'POST /api/v1/officers/:officer/disable': {
    call: (f) => ({ url: `/officers/${f.target2.id}/disable` }),
    cells: adminsOnly(200, code(404, 'OFFICER_NOT_FOUND')),
  },
  'POST /api/v1/officers/:officer/enable': {
    call: (f) => ({ url: `/officers/${f.target2.id}/enable` }),
    cells: adminsOnly(200, code(404, 'OFFICER_NOT_FOUND')),
  },
  'POST /api/v1/officers/:officer/reset-password': {
    call: (f) => ({ url: `/officers/${f.target2.id}/reset-password`, body: {} }),
    cells: adminsOnly(200, code(404, 'OFFICER_NOT_FOUND')),
  },
  'POST /api/v1/officers/:officer/tokens': {
    call: (f) => ({
      url: `/officers/${f.target2.id}/tokens`,
      body: { scope: ['viewer'], expiresAt: START + 86_400_000 },
    }),
    cells: adminsOnly(201, code(404, 'OFFICER_NOT_FOUND')),
  },
  'GET /api/v1/officers/:officer/tokens': {
    call: (f) => ({ url: `/officers/${f.target2.id}/tokens` }),
    cells: adminsOnly(200, code(404, 'OFFICER_NOT_FOUND')),
  },
  // Another party's token is answered as one that never was.
  'POST /api/v1/tokens/:token/revoke': {
    call: async (f) => ({ url: `/tokens/${await f.token()}/revoke` }),
    cells: adminsOnly(200, code(404, 'TOKEN_NOT_FOUND')),
  },
  'POST /api/v1/stream/tickets': {
    call: () => ({ url: '/stream/tickets', fresh: true }),
    cells: everyOfficer(201),
  },
  'GET /api/v1/audit': { call: () => ({ url: '/audit' }), cells: adminsOnly(200) },
  // An admin manages the access lists of every channel of their party, on the list or not.
  'GET /api/v1/access': { call: () => ({ url: '/access' }), cells: adminsOnly(200) },
  'GET /api/v1/channels/:channel/access': {
    call: (f) => ({ url: `/channels/${f.channel}/access` }),
    cells: adminsOnly(200, CHAN),
  },
  'PUT /api/v1/channels/:channel/access/:officer': {
    call: (f) => ({ url: `/channels/${f.channel}/access/${f.target.id}` }),
    cells: adminsOnly(200, CHAN),
  },
  'DELETE /api/v1/channels/:channel/access/:officer': {
    call: (f) => ({ url: `/channels/${f.channel}/access/${f.target.id}` }),
    cells: adminsOnly(204, CHAN),
  },
  'POST /api/v1/channels/:channel/compose': {
    call: (f) => ({
      url: `/channels/${f.channel}/compose`,
      body: { type: 'notice.open', body: incidentNotice() },
    }),
    cells: [AUTH, ROLE, ROLE, 202, CHAN, 202, CHAN, 202, CHAN, CHAN],
  },
  'GET /api/v1/releases': {
    call: () => ({ url: '/releases' }),
    cells: [AUTH, ROLE, ROLE, 200, 200, 200, 200, 200, 200, 200],
  },
  'GET /api/v1/releases/:release': {
    call: (f) => ({ url: `/releases/${f.release}` }),
    cells: [AUTH, ROLE, ROLE, 200, GONE, 200, GONE, 200, GONE, GONE],
  },
  // A fresh item each time, composed by drafter-in (who may not approve: a drafter).
  'POST /api/v1/releases/:release/approve': {
    call: async (f) => ({ url: `/releases/${await freshItem(f)}/approve` }),
    cells: [AUTH, ROLE, ROLE, ROLE, ROLE, 200, GONE, 200, GONE, GONE],
  },
  'POST /api/v1/releases/:release/reject': {
    call: async (f) => ({ url: `/releases/${await freshItem(f)}/reject`, body: { reason: 'no' } }),
    cells: [AUTH, ROLE, ROLE, ROLE, ROLE, 200, GONE, 200, GONE, GONE],
  },
  'GET /api/v1/publications': {
    call: () => ({ url: '/publications' }),
    cells: [AUTH, ROLE, ROLE, ROLE, ROLE, 200, 200, 200, 200, 200],
  },
  // The matrix's message is TLP:GREEN: whoever may publish in the compartment is told so.
  'POST /api/v1/publications': {
    call: (f) => ({
      url: '/publications',
      body: { kind: 'statement', channel: f.channel, event: f.message },
    }),
    cells: [AUTH, ROLE, ROLE, ROLE, ROLE, PUBLISH_GREEN, CHAN, PUBLISH_GREEN, CHAN, CHAN],
  },
  // A fresh TLP:CLEAR statement published each time; outside its compartment it is none.
  'DELETE /api/v1/publications/:publication': {
    call: async (f) => ({ url: `/publications/${await freshPublication(f)}` }),
    cells: [AUTH, ROLE, ROLE, ROLE, ROLE, 200, NO_PUB, 200, NO_PUB, NO_PUB],
  },
  'GET /api/v1/notices': { call: () => ({ url: '/notices' }), cells: everyOfficer(200) },
  'GET /api/v1/notices/overdue': {
    call: () => ({ url: '/notices/overdue' }),
    cells: everyOfficer(200),
  },
  // A fresh ping (sent at once, whatever the floor) each time; outside its compartment a notice
  // is answered as one that never was.
  'GET /api/v1/notices/:notice': {
    call: async (f) => {
      const drafter = f.officers['drafter-in'].browser
      const ping = await drafter.request('POST', `/channels/${f.channel}/pings`, {})
      return { url: `/notices/${ping.body.event.id}` }
    },
    cells: [
      AUTH,
      200,
      NOTICE_GONE,
      200,
      NOTICE_GONE,
      200,
      NOTICE_GONE,
      200,
      NOTICE_GONE,
      NOTICE_GONE,
    ],
  },
  'POST /api/v1/channels/:channel/pings': {
    call: (f) => ({ url: `/channels/${f.channel}/pings`, body: {} }),
    cells: [AUTH, ROLE, ROLE, 201, CHAN, 201, CHAN, 201, CHAN, CHAN],
  },
  'POST /api/v1/channels/:channel/ping-schedules': {
    call: (f) => ({ url: `/channels/${f.channel}/ping-schedules`, body: { weekday: 1, hour: 10 } }),
    cells: [AUTH, ROLE, ROLE, 201, CHAN, 201, CHAN, 201, CHAN, CHAN],
  },
  'GET /api/v1/pings/stats': { call: () => ({ url: '/pings/stats' }), cells: everyOfficer(200) },
  'GET /api/v1/ping-schedules': {
    call: () => ({ url: '/ping-schedules' }),
    cells: everyOfficer(200),
  },
  'GET /api/v1/presets': { call: () => ({ url: '/presets' }), cells: everyOfficer(200) },
  // Rosters and ladders belong to one party: est's admin is refused usa's.
  'GET /api/v1/rosters/:party': {
    call: () => ({ url: '/rosters/usa' }),
    cells: [AUTH, ...Array<Cell>(8).fill(200), OTHER],
  },
  'PUT /api/v1/rosters/:party': {
    call: () => ({ url: '/rosters/usa', body: { shifts: [], overrides: [] } }),
    cells: adminsOnly(200, OTHER),
  },
  'GET /api/v1/rosters/:party/on-duty': {
    call: () => ({ url: '/rosters/usa/on-duty' }),
    cells: [AUTH, ...Array<Cell>(8).fill(200), OTHER],
  },
  'GET /api/v1/escalation/:party': {
    call: () => ({ url: '/escalation/usa' }),
    cells: adminsOnly(200, OTHER),
  },
  'PUT /api/v1/escalation/:party': {
    call: () => ({
      url: '/escalation/usa',
      body: { contacts: [], ladders: { routine: [], priority: [], flash: [] } },
    }),
    cells: adminsOnly(200, OTHER),
  },
  'GET /api/v1/escalation/:party/attempts': {
    call: () => ({ url: '/escalation/usa/attempts' }),
    cells: adminsOnly(200, OTHER),
  },
  'GET /api/v1/notices/:notice/escalation': {
    call: () => ({ url: `/notices/${'c'.repeat(64)}/escalation` }),
    cells: everyOfficer(200),
  },
  // The directory is for every officer to read; only a party's admins publish its entry.
  'GET /api/v1/directory': { call: () => ({ url: '/directory' }), cells: everyOfficer(200) },
  'GET /api/v1/directory/:party': {
    call: () => ({ url: '/directory/rus' }),
    cells: everyOfficer(code(404, 'NOT_FOUND')),
  },
  'PUT /api/v1/directory/:party': {
    call: () => ({
      url: '/directory/usa',
      body: {
        contacts: [
          {
            kind: 'technical',
            name: 'Duty desk',
            position: 'Duty officer',
            institution: 'CISA',
            email: 'central@usa.example',
            phone: '+1 202 555 0100',
            languages: ['en'],
            hours: '24/7',
            timeZone: 'America/New_York',
          },
        ],
      },
    }),
    cells: adminsOnly(200, OTHER),
  },
  // A message is no notice: those who see the channel learn that much, the others nothing.
  // Consent receipts and rights requests belong to the node's privacy party (usa, its first).
  'GET /api/v1/consent/receipts': {
    call: () => ({ url: '/consent/receipts' }),
    cells: adminsOnly(200, OTHER),
  },
  'GET /api/v1/privacy/requests': {
    call: () => ({ url: '/privacy/requests' }),
    cells: adminsOnly(200, OTHER),
  },
  'POST /api/v1/privacy/requests/:id/respond': {
    call: () => ({
      url: `/privacy/requests/pr_${'0'.repeat(32)}/respond`,
      body: { response: 'x' },
    }),
    cells: adminsOnly(code(404, 'PRIVACY_REQUEST_NOT_FOUND'), OTHER),
  },
  'POST /api/v1/privacy/requests/:id/close': {
    call: () => ({ url: `/privacy/requests/pr_${'0'.repeat(32)}/close` }),
    cells: adminsOnly(code(404, 'PRIVACY_REQUEST_NOT_FOUND'), OTHER),
  },
  'GET /api/v1/channels/:channel/notices/:notice/stix': {
    call: (f) => ({ url: `/channels/${f.channel}/notices/${f.message}/stix` }),
    cells: [AUTH, NOTICE, CHAN, NOTICE, CHAN, NOTICE, CHAN, NOTICE, CHAN, CHAN],
  },
}

/** A TLP:CLEAR statement in the compartment, published by its admin: its publication's id. */
async function freshPublication(f: Fixture): Promise<string> {
  const posted = await f.officers['drafter-in'].browser.request(
    'POST',
    `/channels/${f.channel}/messages`,
    message(unique('public statement'), { tlp: 'clear' }),
  )
  const published = await f.officers['admin-in'].browser.request('POST', '/publications', {
    kind: 'statement',
    channel: f.channel,
    event: posted.body.event.id,
  })
  if (published.status !== 201) throw new Error(`publish failed: ${JSON.stringify(published.body)}`)
  return published.body.id
}

async function freshItem(f: Fixture): Promise<string> {
  const reply = await f.officers['drafter-in'].browser.request(
    'POST',
    `/channels/${f.channel}/compose`,
    { type: 'notice.open', body: incidentNotice() },
  )
  return reply.body.release.id
}

describe('authorization matrix', () => {
  let t: AuthTestApp
  let f: Fixture

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    const officers = {
      'viewer-in': await loggedIn(t, 'viewer-in', ['viewer']),
      'viewer-out': await loggedIn(t, 'viewer-out', ['viewer']),
      'drafter-in': await loggedIn(t, 'drafter-in', ['drafter']),
      'drafter-out': await loggedIn(t, 'drafter-out', ['drafter']),
      'releaser-in': await loggedIn(t, 'releaser-in', ['releaser']),
      'releaser-out': await loggedIn(t, 'releaser-out', ['releaser']),
      'admin-in': await loggedIn(t, 'admin-in', ['admin']),
      'admin-out': await loggedIn(t, 'admin-out', ['admin']),
      'other-party': await loggedIn(t, 'other-party', ['admin'], 'est'),
    }
    const admin = officers['admin-in']
    const channel = await openChannel(officers['drafter-in'], {
      title: 'Compartment',
      members: ['usa', 'rus'],
      policy: WORKING_GROUP_POLICY,
    })
    await grant(admin, channel, officers['viewer-in'], officers['releaser-in'], admin)
    const drafter = officers['drafter-in'].browser
    const posted = await drafter.request('POST', `/channels/${channel}/messages`, message('x'))
    const partial = {
      channel,
      message: posted.body.event.id as string,
      target: await loggedIn(t, 'target', ['viewer']),
      target2: await loggedIn(t, 'target2', ['viewer']),
      officers,
      admin,
      estDrafter: await loggedIn(t, 'est-drafter', ['drafter'], 'est'),
      release: '',
      token: async () => {
        const operator = { officer: null, party: null, via: 'cli' } as const
        const issued = await createToken(t.ctx, operator, 'target2', {
          scope: ['viewer'],
          expiresAt: t.clock.now + 86_400_000,
        })
        return issued.token.id
      },
    }
    f = { ...partial, release: await freshItem(partial) }
  }, 120_000)
  afterAll(() => t.close())

  it('has a row for every officer route and none for a route that does not exist', async () => {
    await t.app.ready()
    const registered = officerRoutes(t.app).map((route) => `${route.method} ${route.url}`)
    expect(registered.filter((route) => !(route in MATRIX))).toEqual([])
    expect(Object.keys(MATRIX).filter((route) => !registered.includes(route))).toEqual([])
  })

  it('has one cell per principal in every row', () => {
    for (const [route, row] of Object.entries(MATRIX)) {
      expect(row.cells.length, route).toBe(PRINCIPALS.length)
    }
  })

  it.each(Object.keys(MATRIX))('%s', async (route) => {
    const row = MATRIX[route]!
    const [method] = route.split(' ') as ['GET' | 'POST' | 'PUT' | 'DELETE']
    const websocket = officerRoutes(t.app).find((r) => `${r.method} ${r.url}` === route)?.websocket
    const outcomes: string[] = []
    const expected: string[] = []
    for (const [i, principal] of PRINCIPALS.entries()) {
      const call = await row.call(f)
      const browser = await browserOf(principal, call.fresh === true)
      await call.before?.(browser)
      const { status, code } = websocket
        ? await openStream(browser, call.url)
        : await send(browser, method, call)
      const cell = row.cells[i]!
      const want = typeof cell === 'number' ? { status: cell, code: undefined } : cell
      expected.push(`${principal}: ${want.status}${want.code === undefined ? '' : ` ${want.code}`}`)
      // A WebSocket refusal carries no body to read the code from.
      const shown = want.code === undefined || websocket ? '' : ` ${code}`
      outcomes.push(`${principal}: ${status}${shown}`)
    }
    expect(outcomes).toEqual(
      websocket ? expected.map((line) => line.replace(/ [A-Z_]+$/, '')) : expected,
    )
  })

  async function browserOf(principal: Principal, fresh: boolean): Promise<Browser> {
    if (principal === 'anonymous') return new Browser(t.app)
    const officer = f.officers[principal]
    if (!fresh) return officer.browser
    const browser = new Browser(t.app)
    const login = await browser.login(officer.username, PASSWORD)
    if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`)
    return browser
  }

  async function send(browser: Browser, method: 'GET' | 'POST' | 'PUT' | 'DELETE', call: Call) {
    const reply: Reply = await browser.request(method, call.url, call.body)
    return { status: reply.status, code: reply.body?.error?.code as string | undefined }
  }

  async function openStream(browser: Browser, url: string) {
    const headers = {
      host: 'localhost',
      origin: 'http://localhost',
      ...(browser.cookie === undefined ? {} : { cookie: `parley_session=${browser.cookie}` }),
    }
    try {
      const socket = await t.app.injectWS(`/api/v1${url}`, { headers })
      socket.terminate()
      return { status: 101, code: undefined }
    } catch (error) {
      const status = /Unexpected server response: (\d+)/.exec(String(error))?.[1]
      return { status: Number(status ?? 0), code: undefined }
    }
  }
})
