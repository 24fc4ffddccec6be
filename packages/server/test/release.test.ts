import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listAudit } from '../src/features/audit/audit.service.ts'
import { type AuthTestApp, startAuthApp } from './support/auth-app.ts'
import {
  grant,
  incidentNotice,
  type LoggedIn,
  loggedIn,
  message,
  openChannel,
  WORKING_GROUP_POLICY,
} from './support/compartments.ts'

describe('release control', () => {
  let t: AuthTestApp
  let alice: LoggedIn
  let ben: LoggedIn
  let carla: LoggedIn
  let pavel: LoggedIn
  let workingGroup: string
  let desk: string

  beforeAll(async () => {
    // A floor that lets flash items out at once, so that a channel may exempt them too.
    t = await startAuthApp({ auth: { requireSecondFactor: false }, release: { flashExempt: true } })
    alice = await loggedIn(t, 'alice', ['drafter'])
    ben = await loggedIn(t, 'ben', ['releaser'])
    carla = await loggedIn(t, 'carla', ['admin'])
    // A second releaser, to race Ben.
    pavel = await loggedIn(t, 'pavel', ['releaser'])
    workingGroup = await openChannel(alice, {
      title: 'US–Russia ICT Security Working Group',
      members: ['usa', 'rus'],
      observers: ['osce'],
      policy: {
        ...WORKING_GROUP_POLICY,
        release: {
          ...WORKING_GROUP_POLICY.release,
          twoPersonRule: [...WORKING_GROUP_POLICY.release.twoPersonRule, 'message.post'],
          flashExempt: true,
        },
      },
    })
    desk = await openChannel(alice, { title: 'Duty desk', members: ['usa', 'rus'] })
    await grant(carla, workingGroup, ben, carla, pavel)
    await grant(carla, desk, ben)
  })
  afterAll(() => t.close())

  const compose = (who: LoggedIn, channel: string, type: string, body: object) =>
    who.browser.request('POST', `/channels/${channel}/compose`, { type, body })
  const timelineTypes = async (channel: string) =>
    (await alice.browser.request('GET', `/channels/${channel}/timeline`)).body.events.map(
      (view: { event: { type: string } }) => view.event.type,
    )

  describe('two-person rule', () => {
    it('holds Alice’s notice until Ben releases it, then signs it with Alice as its officer', async () => {
      const queued = await compose(alice, workingGroup, 'notice.open', incidentNotice())
      expect(queued.status).toBe(202)
      expect(queued.body.release).toMatchObject({
        channel: workingGroup,
        party: 'usa',
        type: 'notice.open',
        drafter: alice.id,
        status: 'pending',
        decidedBy: null,
        event: null,
      })
      expect(queued.body.release.body).toEqual(incidentNotice())
      expect(await timelineTypes(workingGroup)).not.toContain('notice.open')

      const id = queued.body.release.id
      const approved = await ben.browser.request('POST', `/releases/${id}/approve`)
      expect(approved.status).toBe(200)
      expect(approved.body.event.event).toMatchObject({
        type: 'notice.open',
        author: 'usa',
        officer: alice.id,
        body: incidentNotice(),
      })
      expect(approved.body.release).toMatchObject({
        status: 'released',
        decidedBy: ben.id,
        event: approved.body.event.id,
      })
      expect(await timelineTypes(workingGroup)).toContain('notice.open')

      const audit = (await listAudit(t.database.db, { limit: 500 })).filter(
        (entry) => entry.details.release === id,
      )
      expect(audit.map((entry) => [entry.action, entry.officer])).toEqual([
        ['release.submit', alice.id],
        ['release.approve', ben.id],
        ['release.release', ben.id],
      ])
      expect(audit[2]!.details.event).toBe(approved.body.event.id)
    })

    it('never lets the officer who composed an item approve it, whatever their roles', async () => {
      for (const drafter of [ben, carla]) {
        const queued = await compose(drafter, workingGroup, 'redline.declare', redLine())
        expect(queued.status).toBe(202)
        const own = await drafter.browser.request(
          'POST',
          `/releases/${queued.body.release.id}/approve`,
        )
        expect(own.status).toBe(403)
        expect(own.body.error.code).toBe('RELEASE_OWN_DRAFT')
        const other = drafter === ben ? carla : ben
        const approved = await other.browser.request(
          'POST',
          `/releases/${queued.body.release.id}/approve`,
        )
        expect(approved.status).toBe(200)
        expect(approved.body.event.event.officer).toBe(drafter.id)
      }
    })

    it('refuses approval to a drafter', async () => {
      const queued = await compose(ben, workingGroup, 'redline.declare', redLine())
      const reply = await alice.browser.request(
        'POST',
        `/releases/${queued.body.release.id}/approve`,
      )
      expect(reply.status).toBe(403)
      expect(reply.body.error).toMatchObject({
        code: 'FORBIDDEN_ROLE',
        message: 'This needs the releaser role',
      })
    })

    it('rejects with a reason the drafter can read, and audits it; a rejected item stays unsent', async () => {
      const queued = await compose(alice, workingGroup, 'redline.declare', redLine())
      const id = queued.body.release.id
      const noReason = await ben.browser.request('POST', `/releases/${id}/reject`, {})
      expect(noReason.status).toBe(400)
      const rejected = await ben.browser.request('POST', `/releases/${id}/reject`, {
        reason: 'Not before the plenary',
      })
      expect(rejected.status).toBe(200)
      expect(rejected.body).toMatchObject({
        status: 'rejected',
        decidedBy: ben.id,
        reason: 'Not before the plenary',
        event: null,
      })
      const seen = await alice.browser.request('GET', `/releases/${id}`)
      expect(seen.body.reason).toBe('Not before the plenary')
      const late = await carla.browser.request('POST', `/releases/${id}/approve`)
      expect(late.status).toBe(409)
      expect(late.body.error.code).toBe('RELEASE_NOT_PENDING')
      const entry = (await listAudit(t.database.db, { limit: 500 })).find(
        (row) => row.action === 'release.reject' && row.details.release === id,
      )
      expect(entry).toMatchObject({
        officer: ben.id,
        details: { reason: 'Not before the plenary' },
      })
    })

    it('releases an item once when two releasers approve it at the same moment', async () => {
      const queued = await compose(alice, workingGroup, 'draft.create', draft())
      const id = queued.body.release.id
      const before = (await timelineTypes(workingGroup)).length
      const replies = await Promise.all([
        ben.browser.request('POST', `/releases/${id}/approve`),
        pavel.browser.request('POST', `/releases/${id}/approve`),
      ])
      expect(replies.map((reply) => reply.status).sort()).toEqual([200, 409])
      expect((await timelineTypes(workingGroup)).length).toBe(before + 1)
    })

    it('holds routine messages where the policy says so, and lets flash ones through when exempt', async () => {
      const routine = await alice.browser.request(
        'POST',
        `/channels/${workingGroup}/messages`,
        message('Agenda for Thursday'),
      )
      expect(routine.status).toBe(202)
      expect(routine.body.release.type).toBe('message.post')
      const flash = await alice.browser.request(
        'POST',
        `/channels/${workingGroup}/messages`,
        message('Hotline test now', { urgency: 'flash' }),
      )
      expect(flash.status).toBe(201)
      expect(flash.body.event.event.officer).toBe(alice.id)
    })

    it('holds what the node’s floor holds in a channel without a policy, and signs the rest at once', async () => {
      const notice = await compose(alice, desk, 'notice.open', incidentNotice())
      expect(notice.status).toBe(202)
      expect(notice.body.release).toMatchObject({ type: 'notice.open', drafter: alice.id })
      const post = await compose(alice, desk, 'message.post', message('Routine'))
      expect(post.status).toBe(201)
      expect(post.body.event.event).toMatchObject({ type: 'message.post', officer: alice.id })
    })

    it('refuses a body the protocol schema refuses, and types that have their own routes', async () => {
      const bad = await compose(alice, desk, 'notice.open', { ...incidentNotice(), severity: 9 })
      expect(bad.status).toBe(400)
      expect(bad.body.error.code).toBe('REQUEST_INVALID')
      expect(bad.body.error.message).toContain('/body/severity')
      const extra = await compose(alice, desk, 'message.post', message('x', { colour: 'red' }))
      expect(extra.body.error.message).toContain('unknown field "colour"')
      const genesis = await compose(alice, desk, 'channel.create', { title: 'x' })
      expect(genesis.status).toBe(400)
    })

    it('pages the queue by cursor in the order items were composed, each page what the whole list holds there', async () => {
      const ids: string[] = []
      for (let i = 0; i < 5; i++) {
        const queued = await compose(alice, workingGroup, 'message.post', {
          text: `Held ${i}`,
          lang: 'en',
          urgency: 'routine',
          tlp: 'green',
        })
        expect(queued.status).toBe(202)
        ids.push(queued.body.release.id)
      }
      const list = (query: string) =>
        ben.browser.request('GET', `/releases?channel=${workingGroup}&status=pending&${query}`)
      const whole = await list('limit=500&from=oldest')
      expect(whole.status).toBe(200)
      const all: { id: string; createdAt: number }[] = whole.body.releases
      for (const id of ids) expect(all.map((r) => r.id)).toContain(id)
      const order = [...all].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      expect(all.map((r) => r.id)).toEqual(order.map((r) => r.id))
      // From the newest page back to the first, two at a time.
      const walked: string[] = []
      let page = await list('limit=2')
      walked.unshift(...page.body.releases.map((r: { id: string }) => r.id))
      expect(page.body.releases).toHaveLength(Math.min(2, all.length))
      while (page.body.cursors.before !== null) {
        page = await list(`limit=2&before=${page.body.cursors.before}`)
        walked.unshift(...page.body.releases.map((r: { id: string }) => r.id))
      }
      expect(walked).toEqual(all.map((r) => r.id))
      // And forward again from the first page.
      const first = await list('limit=2&from=oldest')
      const next = await list(`limit=2&after=${first.body.cursors.after}`)
      expect(next.body.releases.map((r: { id: string }) => r.id)).toEqual(walked.slice(2, 4))
      const conflict = await list(
        `before=${first.body.cursors.after}&after=${first.body.cursors.after}`,
      )
      expect(conflict.status).toBe(400)
      expect(conflict.body.error.code).toBe('PAGE_CURSORS_CONFLICT')
      const timeline = await alice.browser.request(
        'GET',
        `/channels/${workingGroup}/timeline?limit=1`,
      )
      const foreign = await list(`after=${timeline.body.cursors.after}`)
      expect(foreign.status).toBe(400)
      expect(foreign.body.error.code).toBe('PAGE_CURSOR_INVALID')
      for (const id of ids) {
        const rejected = await ben.browser.request('POST', `/releases/${id}/reject`, {
          reason: 'paged',
        })
        expect(rejected.status).toBe(200)
      }
    })
  })

  describe('release guard', () => {
    const paste =
      'Our assessment follows.\n//SECRET//NOFORN\nThe activity originates from SECRET//NOFORN sources.'

    it('blocks the SECRET//NOFORN paste, shows every match and where it is, and queues nothing', async () => {
      const before = (await alice.browser.request('GET', '/releases?limit=500')).body.releases
        .length
      const reply = await compose(alice, workingGroup, 'notice.reply', {
        notice: 'a'.repeat(64),
        text: paste,
        lang: 'en',
        tlp: 'amber',
      })
      expect(reply.status).toBe(422)
      expect(reply.body.error.code).toBe('RELEASE_GUARD_BLOCKED')
      const first = paste.indexOf('SECRET//NOFORN')
      const second = paste.indexOf('SECRET//NOFORN', first + 1)
      expect(reply.body.error.details.count).toBe(4)
      expect(reply.body.error.details.matches).toEqual([
        {
          path: '/text',
          offset: first,
          text: 'SECRET//NOFORN',
          rule: '\\bSECRET//NOFORN\\b',
          kind: 'marking',
        },
        {
          path: '/text',
          offset: second,
          text: 'SECRET//NOFORN',
          rule: '\\bSECRET//NOFORN\\b',
          kind: 'marking',
        },
        { path: '/text', offset: first + 8, text: 'NOFORN', rule: '\\bNOFORN\\b', kind: 'marking' },
        {
          path: '/text',
          offset: second + 8,
          text: 'NOFORN',
          rule: '\\bNOFORN\\b',
          kind: 'marking',
        },
      ])
      expect(reply.body.error.message).toBe(
        'The release guard blocks this item: 4 match(es), the first \\bSECRET//NOFORN\\b at /text',
      )
      expect((await alice.browser.request('GET', '/releases?limit=500')).body.releases.length).toBe(
        before,
      )
    })

    it('scans every string of the body, nested ones included, and every route that composes', async () => {
      const reply = await compose(alice, desk, 'notice.open', {
        ...incidentNotice(),
        summary: 'TOP SECRET summary',
        indicators: [{ type: 'domain', value: 'nofornish.example NOFORN', tlp: 'green' }],
      })
      expect(reply.status).toBe(422)
      expect(
        reply.body.error.details.matches.map((m: { path: string; offset: number }) => [
          m.path,
          m.offset,
        ]),
      ).toEqual([
        // In the order of the body's fields: the template puts indicators before the summary.
        ['/indicators/0/value', 18],
        ['/summary', 0],
      ])
      const post = await alice.browser.request(
        'POST',
        `/channels/${desk}/messages`,
        message('Passing on NOFORN material'),
      )
      expect(post.status).toBe(422)
      const opened = await alice.browser.request('POST', '/channels', {
        title: 'TOP SECRET liaison',
        members: ['usa', 'rus'],
      })
      expect(opened.status).toBe(422)
      expect(opened.body.error.details.matches[0].path).toBe('/title')
    })

    it('checks again on approval, so nothing blocked slips through the queue', async () => {
      // A forward is checked at composition too; here the compartment of its source is.
      const source = await openChannel(ben, { title: 'Ben’s', members: ['usa', 'rus'] })
      const posted = await ben.browser.request(
        'POST',
        `/channels/${source}/messages`,
        message('From Ben'),
      )
      const forward = await compose(ben, workingGroup, 'forward', {
        from: source,
        items: [{ event: posted.body.event.event, sig: posted.body.event.sig }],
      })
      expect(forward.status).toBe(202)
      const approve = await carla.browser.request(
        'POST',
        `/releases/${forward.body.release.id}/approve`,
      )
      expect(approve.status).toBe(403)
      expect(approve.body.error.code).toBe('CHANNEL_FORBIDDEN')
    })

    it('never forwards TLP:RED, and says which item carries it', async () => {
      const red = await alice.browser.request(
        'POST',
        `/channels/${desk}/messages`,
        message('Eyes of the desk only', { tlp: 'red' }),
      )
      expect(red.status).toBe(201)
      const green = await alice.browser.request(
        'POST',
        `/channels/${desk}/messages`,
        message('Shareable'),
      )
      const reply = await compose(alice, workingGroup, 'forward', {
        from: desk,
        items: [
          { event: green.body.event.event, sig: green.body.event.sig },
          { event: red.body.event.event, sig: red.body.event.sig },
        ],
      })
      expect(reply.status).toBe(422)
      expect(reply.body.error.details.matches).toEqual([
        {
          path: '/items/1/event/body/tlp',
          offset: 0,
          text: 'red',
          rule: 'tlp:red-never-forwarded',
          kind: 'tlp',
        },
      ])
    })

    it('lets TLP:AMBER+STRICT indicators reach the channel: only a forward would take them out', async () => {
      const strict = await compose(alice, desk, 'notice.open', {
        ...incidentNotice(),
        indicators: [
          { type: 'asn', value: 'AS64500', tlp: 'amber' },
          { type: 'ipv4', value: '192.0.2.7', tlp: 'amber+strict' },
        ],
      })
      // Held by the floor, not blocked by the guard.
      expect(strict.status).toBe(202)
    })
  })
})

function redLine() {
  return {
    sectors: ['financial-services', 'energy'],
    title: 'Attacks on the financial sector and energy grids',
    text: 'Neither party will conduct or knowingly support activity that damages these systems.',
    threshold: 'Any disruptive activity',
    tlp: 'green',
    lang: 'en',
  }
}

function draft() {
  return {
    title: 'Joint statement',
    lang: 'en',
    paragraphs: [{ id: 'p1', alternatives: [{ id: 'p1.a', text: 'The parties agree.' }] }],
  }
}
