import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build } from '../src/app.ts'
import { type AuthTestApp, Browser, startAuthApp } from './support/auth-app.ts'
import {
  grant,
  incidentNotice,
  type LoggedIn,
  loggedIn,
  message,
  openChannel,
  WORKING_GROUP_POLICY,
} from './support/compartments.ts'

// Issue 15, paths 3 and 10, from the side of a drafter who wants an item out without a second
// officer: by opening a channel with a weak policy, or by writing a marking so that the guard
// does not read it.

describe('a drafter against the release floor', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let ben: LoggedIn

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    alice = await loggedIn(t, 'alice', ['drafter'])
    ben = await loggedIn(t, 'ben', ['releaser'])
  })
  afterAll(() => t.close())

  const channelIds = async () =>
    (await alice.browser.request('GET', '/channels')).body.channels.map(
      (channel: { id: string }) => channel.id,
    )
  const policy = (release: { twoPersonRule: string[]; flashExempt: boolean }) => ({
    ...WORKING_GROUP_POLICY,
    release,
  })
  const compose = (channel: string, type: string, body: object) =>
    alice.browser.request('POST', `/channels/${channel}/compose`, { type, body })

  it('path 3: cannot open a channel whose two-person rule is empty or leaves a floor type out', async () => {
    const before = await channelIds()
    for (const release of [
      { twoPersonRule: [], flashExempt: false },
      { twoPersonRule: ['notice.open', 'notice.reply'], flashExempt: false },
      { twoPersonRule: [...WORKING_GROUP_POLICY.release.twoPersonRule], flashExempt: true },
    ]) {
      const reply = await alice.browser.request('POST', '/channels', {
        title: 'Quiet channel',
        members: ['usa', 'rus'],
        policy: policy(release),
      })
      expect([reply.status, reply.body.error.code]).toEqual([422, 'RELEASE_POLICY_BELOW_FLOOR'])
    }
    expect(await channelIds()).toEqual(before)
  })

  it('path 3: a channel without a release policy holds notices for a releaser all the same', async () => {
    const quiet = await openChannel(alice, { title: 'No policy', members: ['usa', 'rus'] })
    await grant(await loggedIn(t, 'carla', ['admin']), quiet, ben)
    const notice = await compose(quiet, 'notice.open', incidentNotice())
    expect(notice.status).toBe(202)
    const flash = await compose(quiet, 'notice.open', incidentNotice({ urgency: 'flash' }))
    expect(flash.status).toBe(202)
    const post = await compose(quiet, 'message.post', message('Routine words'))
    expect(post.status).toBe(201)
    const approved = await ben.browser.request(
      'POST',
      `/releases/${notice.body.release.id}/approve`,
    )
    expect(approved.status).toBe(200)
    expect(approved.body.event.event).toMatchObject({ type: 'notice.open', officer: alice.id })
  })

  it('may tighten the floor: a channel that also holds messages holds them', async () => {
    const tight = await openChannel(alice, {
      title: 'Tight',
      members: ['usa', 'rus'],
      policy: policy({
        twoPersonRule: [...WORKING_GROUP_POLICY.release.twoPersonRule, 'message.post'],
        flashExempt: false,
      }),
    })
    expect((await compose(tight, 'message.post', message('Held'))).status).toBe(202)
  })

  it('path 3: a channel opened under a lower floor follows the floor once it is raised', async () => {
    // A node of its own, run first under a floor that holds only forwards, then restarted on
    // the same database with the default floor (one process writes for a party at a time).
    const lowFloor = await startAuthApp({
      auth: { requireSecondFactor: false },
      release: { twoPersonRule: ['forward'] },
    })
    let raised: Awaited<ReturnType<typeof build>> | undefined
    try {
      const drafter = await loggedIn(lowFloor, 'alice', ['drafter'])
      const opened = await drafter.browser.request('POST', '/channels', {
        title: 'Opened under a low floor',
        members: ['usa', 'rus'],
        policy: policy({ twoPersonRule: ['forward'], flashExempt: false }),
      })
      expect(opened.status).toBe(201)
      const channel = opened.body.channel.id
      const before = await drafter.browser.request('POST', `/channels/${channel}/compose`, {
        type: 'notice.open',
        body: incidentNotice(),
      })
      expect(before.status).toBe(201)
      await lowFloor.app.close()
      // The node restarts with the default floor: the same channel now holds notices.
      const { release: _low, ...defaults } = lowFloor.config
      raised = await build(defaults, {
        database: lowFloor.database,
        now: () => lowFloor.clock.now,
        federate: false,
        logger: false,
      })
      const again = Object.assign(new Browser(raised), {
        cookie: drafter.browser.cookie,
        csrf: drafter.browser.csrf,
      })
      const after = await again.request('POST', `/channels/${channel}/compose`, {
        type: 'notice.open',
        body: incidentNotice(),
      })
      expect(after.status).toBe(202)
      expect(after.body.release).toMatchObject({ channel, type: 'notice.open', status: 'pending' })
    } finally {
      await raised?.close()
      await lowFloor.close()
    }
  })
})

describe('a drafter against the release guard (path 10)', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let desk: string

  beforeAll(async () => {
    t = await startAuthApp({ auth: { requireSecondFactor: false } })
    alice = await loggedIn(t, 'alice', ['drafter'])
    desk = await openChannel(alice, { title: 'Duty desk', members: ['usa', 'rus'] })
  })
  afterAll(() => t.close())

  // Each disguise, the text it hides in, and the span the drafter wrote that the error names.
  const disguises = [
    ['fullwidth', 'Banner: ＴＯＰ ＳＥＣＲＥＴ.', 'ＴＯＰ ＳＥＣＲＥＴ'],
    [
      'fullwidth slashes',
      'Per ＳＥＣＲＥＴ／／ＮＯＦＯＲＮ reporting',
      'ＳＥＣＲＥＴ／／ＮＯＦＯＲＮ',
    ],
    ['no-break space', 'Marked TOP\u00a0SECRET here', 'TOP\u00a0SECRET'],
    ['mathematical bold', 'Header 𝐓𝐎𝐏 𝐒𝐄𝐂𝐑𝐄𝐓 end', '𝐓𝐎𝐏 𝐒𝐄𝐂𝐑𝐄𝐓'],
    ['Cyrillic look-alikes', 'Гриф: ТОР SЕСRЕТ', 'ТОР SЕСRЕТ'],
    ['zero-width space', 'A TOP SEC\u200bRET paragraph', 'TOP SEC\u200bRET'],
    ['lower case', 'this is top secret material', 'top secret'],
  ] as const

  for (const [name, text, span] of disguises) {
    it(`blocks a marking in ${name}, pointing at what was written`, async () => {
      const reply = await alice.browser.request('POST', `/channels/${desk}/messages`, message(text))
      expect([reply.status, reply.body.error.code]).toEqual([422, 'RELEASE_GUARD_BLOCKED'])
      const [first] = reply.body.error.details.matches
      expect(first).toMatchObject({ path: '/text', offset: text.indexOf(span), text: span })
    })
  }

  it('lets Russian prose through, look-alike letters and all', async () => {
    const reply = await alice.browser.request(
      'POST',
      `/channels/${desk}/messages`,
      message('Это не секрет: тор и сор, топ-менеджер сообщил о сканировании.', { lang: 'ru' }),
    )
    expect(reply.status).toBe(201)
  })
})
