import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  checkSignedEvent,
  draftContentHash,
  type Event,
  eventId,
  type PartyKey,
  type SignedEvent,
  verifyReceipt,
  verifyTranscript,
} from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as story from '../../cli/src/demo/story.ts'
import { StoryClock } from '../../cli/src/demo/story-clock.ts'
import { createOfficer } from '../src/features/officers/officers.service.ts'
import { passwordHasher } from '../src/features/officers/password.ts'
import { exportTranscript, partyKeys, receiptsFor } from '../src/ledger/index.ts'
import { receiptId } from '../src/ledger/receipts.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'
import { OfficerClient } from './support/officer-client.ts'

// SCENARIO.md, "A day in the life", played end to end on four real nodes over HTTP on loopback:
// usa, rus, osce, and one node hosting the allies est and jpn. Every officer logs in through
// the session API with a password and an authenticator app. The nodes share a story clock that
// runs in real time and jumps to each scene, so "17 min after delivery" is what the nodes see.
// The words come from the demo's story (packages/cli/src/demo/story.ts): one story for both.

const { MINUTE, HOUR, DAY } = story
const PASSWORD = 'correct horse battery staple'
const CLI = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url))

interface EventView {
  id: string
  event: Event
  sig: string
  receivedAt: number
  delivery?: { node: string | null; state: string; receiptAt?: number; since?: number }[]
}

type Officers = Record<story.OfficerName, OfficerClient>

describe('a day in the life of the US–Russia working group', () => {
  // The working group was set up weeks before the day the story tells.
  const clock = new StoryClock(Date.UTC(2025, 4, 12, 9, 0))
  const times = story.sceneTimes(Date.UTC(2025, 5, 2))
  let nodes: Record<story.StoryNodeName, TestNode>
  let close: () => Promise<void>
  let officers: Officers
  let wg: string
  let allies: string
  // Facts later steps build on.
  let notice: EventView
  let receivedAt: number
  const draft: Record<string, EventView> = {}

  const timeline = async (who: OfficerClient, channel: string): Promise<EventView[]> => {
    const reply = await who.request<{ events: EventView[] }>('GET', `/channels/${channel}/timeline`)
    expect(reply.status).toBe(200)
    return reply.body.events
  }
  /** Waits until the officer's node shows the event, and returns it as that node shows it. */
  const seen = (who: OfficerClient, channel: string, id: string, what = id) =>
    eventually(
      async () => (await timeline(who, channel)).find((view) => view.id === id),
      20_000,
      `${what} on ${who.username}'s node`,
    )
  const compose = (who: OfficerClient, channel: string, type: string, body: unknown) =>
    who.request('POST', `/channels/${channel}/compose`, { type, body })
  /** A drafter composes an item the policy holds, and a releaser of the same party approves it. */
  const released = async (
    drafter: OfficerClient,
    releaser: OfficerClient,
    channel: string,
    type: string,
    body: unknown,
  ): Promise<EventView> => {
    const queued = await compose(drafter, channel, type, body)
    expect(queued.status, JSON.stringify(queued.body)).toBe(202)
    expect(queued.body.release).toMatchObject({ status: 'pending', type, drafter: drafter.id })
    const approved = await releaser.request('POST', `/releases/${queued.body.release.id}/approve`)
    expect(approved.status, JSON.stringify(approved.body)).toBe(200)
    expect(approved.body.release).toMatchObject({ status: 'released', decidedBy: releaser.id })
    expect(approved.body.event.event).toMatchObject({ type, officer: drafter.id, body })
    return approved.body.event
  }
  const grant = async (admin: OfficerClient, channel: string, ...who: OfficerClient[]) => {
    for (const officer of who) {
      const reply = await admin.request('PUT', `/channels/${channel}/access/${officer.id}`)
      expect(reply.status, JSON.stringify(reply.body)).toBe(200)
    }
  }
  /** An admin learns of a channel their party was invited to (it lists every channel of theirs). */
  const invitation = (admin: OfficerClient, channel: string) =>
    eventually(
      async () => {
        const reply = await admin.request('GET', '/access')
        return reply.body.channels.some((row: { channel: string }) => row.channel === channel)
      },
      20_000,
      `the invitation to ${channel} at ${admin.username}'s node`,
    )
  const keysAt = async (node: TestNode, ...parties: string[]) => {
    const pinned = new Map<string, readonly PartyKey[]>()
    for (const party of parties) pinned.set(party, await partyKeys(node.database.db, party))
    return (party: string) => pinned.get(party) ?? []
  }
  const signed = (view: EventView): SignedEvent => ({ event: view.event, sig: view.sig })

  beforeAll(async () => {
    const started = await startNodes(story.STORY_NODES, { now: clock.now, backoff: () => 100 })
    close = started.close
    nodes = Object.fromEntries(started.nodes.map((node) => [node.name, node])) as typeof nodes
    // The operators create their officers (`parley officer add`); each officer then logs in and
    // enrols an authenticator app, as the node requires before anything else.
    const entries = await Promise.all(
      Object.entries(story.OFFICERS).map(async ([name, spec]) => {
        const node = nodes[spec.node]
        await createOfficer(
          {
            db: node.database.db,
            now: clock.now,
            parties: node.config.parties.map((party) => party.id),
            passwords: passwordHasher(node.config.auth?.passwordHash),
          },
          { officer: null, party: null, via: 'cli' },
          { ...spec, roles: [...spec.roles], password: PASSWORD },
        )
        const client = new OfficerClient(node.url, spec.username, PASSWORD, clock.now)
        await client.login()
        await client.enrolAuthenticator()
        return [name, client] as const
      }),
    )
    officers = Object.fromEntries(entries) as Officers
    const { alice, ben, carla, irina, pavel, oleg, sofia, lukas, kadri, haruto } = officers

    const opened = await alice.request('POST', '/channels', story.workingGroup())
    expect(opened.status, JSON.stringify(opened.body)).toBe(201)
    wg = opened.body.channel.id
    await grant(carla, wg, ben)
    await invitation(oleg, wg)
    await grant(oleg, wg, irina, pavel)
    expect((await irina.request('POST', `/channels/${wg}/join`, {})).status).toBe(201)
    // osce observes; its rapporteur joins so that it may propose text.
    await invitation(lukas, wg)
    await grant(lukas, wg, sofia, lukas)
    expect((await sofia.request('POST', `/channels/${wg}/join`, {})).status).toBe(201)

    const alliesOpened = await alice.request('POST', '/channels', story.alliesChannel())
    expect(alliesOpened.status).toBe(201)
    allies = alliesOpened.body.channel.id
    await grant(carla, allies, ben)
    for (const ally of [kadri, haruto]) {
      await invitation(ally, allies)
      await grant(ally, allies, ally)
      expect((await ally.request('POST', `/channels/${allies}/join`, {})).status).toBe(201)
    }
    // Every participant's join has reached usa before the day begins.
    await eventually(
      async () => {
        const joins = (await timeline(alice, wg)).filter((v) => v.event.type === 'channel.join')
        const allyJoins = (await timeline(alice, allies)).filter(
          (v) => v.event.type === 'channel.join',
        )
        return joins.length === 2 && allyJoins.length === 2
      },
      20_000,
      'every join at usa',
    )
  })
  afterAll(() => close?.())

  it('1. Alice’s notice waits for Ben, reaches rus, and rus’s signed receipt comes back', async () => {
    const { alice, ben, irina, dan } = officers
    clock.jumpTo(times.notice)
    const body = story.incidentNotice(times)
    const queued = await compose(alice, wg, 'notice.open', body)
    expect(queued.status).toBe(202)
    expect((await timeline(alice, wg)).map((view) => view.event.type)).not.toContain('notice.open')

    const approved = await ben.request('POST', `/releases/${queued.body.release.id}/approve`)
    expect(approved.status).toBe(200)
    notice = approved.body.event
    expect(notice.event).toMatchObject({
      author: 'usa',
      type: 'notice.open',
      officer: alice.id,
      body: {
        kind: 'clarification',
        severity: 3,
        sectors: ['government-facilities', 'election-infrastructure'],
        observedActivity: { from: times.scanFrom, until: times.scanUntil },
        requestedAction: 'Identify and stop the activity, or clarify its nature.',
      },
    })
    // usa's node signed and keeps the notice as composed, its TLP:AMBER indicators included.
    expect(notice.event.body).toEqual(body)

    // The receipt: signed by rus with a key usa pinned, stored on usa, milliseconds after signing.
    const toRus = await eventually(
      async () => {
        const view = (await timeline(alice, wg)).find((v) => v.id === notice.id)
        const state = view?.delivery?.find((d) => d.node === 'rus')
        return state?.state === 'delivered' && state
      },
      20_000,
      'the notice delivered to rus',
    )
    const receipts = (await receiptsFor(nodes.usa.database.db, notice.id)).filter(
      (r) => r.receipt.by === 'rus',
    )
    expect(receipts).toHaveLength(1)
    const receipt = receipts[0]!
    const keys = await keysAt(nodes.usa, 'rus')
    expect(await verifyReceipt(receipt, keys)).toMatchObject({ ok: true })
    const forged = { ...receipt, receipt: { ...receipt.receipt, receivedAt: times.notice + DAY } }
    expect(await verifyReceipt(forged, keys)).toMatchObject({ ok: false, code: 'RECEIPT_INVALID' })
    expect(receipt.receipt.events).toContain(notice.id)
    receivedAt = receipt.receipt.receivedAt
    expect(toRus.receiptAt).toBe(receivedAt)
    expect(receivedAt - notice.event.time).toBeGreaterThanOrEqual(0)
    expect(receivedAt - notice.event.time).toBeLessThan(5_000)

    // rus has the notice with every template field; Dan, outside the compartment, sees nothing.
    expect((await seen(irina, wg, notice.id, 'the notice')).event.body).toEqual(body)
    const hidden = await dan.request('GET', `/channels/${wg}/timeline`)
    expect(hidden.status).toBe(403)
    expect(hidden.body.error.code).toBe('CHANNEL_FORBIDDEN')
    expect((await dan.request('GET', '/channels')).body.channels).toEqual([])
  })

  /** A notice as `who`'s node shows it, and its recipient rus there. */
  const noticeAt = async (who: OfficerClient, id: string) => {
    const reply = await who.request('GET', `/notices/${id}`)
    expect(reply.status, JSON.stringify(reply.body)).toBe(200)
    const rus = reply.body.recipients.find((r: { party: string }) => r.party === 'rus')
    const deadline = (name: string) => rus.deadlines.find((d: { name: string }) => d.name === name)
    return { view: reply.body, rus, deadline }
  }

  it('1b. rus’s signed receipt starts the 24 h clock: usa shows the acknowledge-by time', async () => {
    const { alice } = officers
    const { view, rus, deadline } = await noticeAt(alice, notice.id)
    expect(view).toMatchObject({ kind: 'clarification', opener: 'usa', closedAt: null })
    // The clock starts at the time rus signed in its receipt, not when usa stored the receipt.
    expect(rus).toMatchObject({ state: 'delivered', deliveredAt: receivedAt, acknowledgedAt: null })
    const [receipt] = (await receiptsFor(nodes.usa.database.db, notice.id)).filter(
      (r) => r.receipt.by === 'rus',
    )
    expect(rus.receipt).toBe(await receiptId(receipt!.receipt))
    // The working group's signed policy acknowledges a routine notice within 24 h.
    expect(deadline('acknowledge')).toMatchObject({
      within: DAY,
      dueAt: receivedAt + DAY,
      status: 'pending',
    })
    const listed = await alice.request('GET', `/notices?channel=${wg}&state=delivered&party=rus`)
    expect(listed.body.notices.map((n: { id: string }) => n.id)).toEqual([notice.id])
  })

  it('2. Irina acknowledges, and usa holds rus’s signed acknowledgment of the notice', async () => {
    const { alice, irina } = officers
    clock.jumpTo(receivedAt + times.ackAfter)
    const ack = await compose(irina, wg, 'notice.ack', { notice: notice.id })
    // An acknowledgment is not held for release: it must beat the deadline.
    expect(ack.status).toBe(201)

    const atUsa = await seen(alice, wg, ack.body.event.id, 'the acknowledgment')
    expect(atUsa.event).toMatchObject({
      type: 'notice.ack',
      author: 'rus',
      officer: irina.id,
      body: { notice: notice.id },
    })
    // rus's node stamps the acknowledgment after usa's notice reached it, never before.
    expect(atUsa.event.time).toBeGreaterThan(receivedAt)
    const checked = await checkSignedEvent(signed(atUsa), await keysAt(nodes.usa, 'rus'))
    expect(checked.id).toBe(atUsa.id)
    // The opener cannot acknowledge its own notice.
    const own = await compose(alice, wg, 'notice.ack', { notice: notice.id })
    expect(own.status).toBe(403)
    expect(own.body.error.code).toBe('NOTICE_OWN_ACK')
  })

  it('2b. usa shows “acknowledged by rus, 17 min after delivery”, within the 24 h', async () => {
    const { alice, irina } = officers
    const { rus, deadline } = await noticeAt(alice, notice.id)
    expect(rus).toMatchObject({ state: 'acknowledged', acknowledgedBy: irina.id })
    // The story clock runs in real time between its jumps: 17 min, and the moments composing took.
    expect(rus.acknowledgedAt - rus.deliveredAt).toBeGreaterThanOrEqual(17 * MINUTE)
    expect(rus.acknowledgedAt - rus.deliveredAt).toBeLessThan(17 * MINUTE + 5_000)
    expect(deadline('acknowledge')).toMatchObject({
      metAt: rus.acknowledgedAt,
      status: 'met',
      met: true,
    })
  })

  it('3. rus answers in Russian, Alice adds a translation, and the final reply reaches usa', async () => {
    const { alice, irina, pavel } = officers
    clock.jumpTo(times.interimReply)
    const interim = await released(irina, pavel, wg, 'notice.reply', story.interimReply(notice.id))
    await seen(alice, wg, interim.id, 'the interim reply')

    clock.jumpTo(times.translation)
    const translated = await alice.request(
      'POST',
      `/channels/${wg}/translations`,
      story.interimTranslation(interim.id),
    )
    expect(translated.status).toBe(201)
    const atRus = await seen(irina, wg, translated.body.event.id, 'the translation')
    expect(atRus.event).toMatchObject({
      type: 'message.translate',
      author: 'usa',
      body: { of: interim.id, lang: 'en' },
    })

    clock.jumpTo(times.finalReply)
    const final = await released(irina, pavel, wg, 'notice.reply', story.finalReply(notice.id))
    const atUsa = await seen(alice, wg, final.id, 'the final reply')
    expect(atUsa.event).toMatchObject({
      author: 'rus',
      body: { notice: notice.id, lang: 'ru', final: true },
    })
    // In the working group's order: notice, acknowledgment, reply, translation, final reply.
    const thread = (await timeline(alice, wg))
      .filter(
        (view) => view.id === notice.id || JSON.stringify(view.event.body).includes(notice.id),
      )
      .map((view) => view.event.type)
    expect(thread).toEqual(['notice.open', 'notice.ack', 'notice.reply', 'notice.reply'])
  })

  it('3b. usa shows the final reply within the 72 h the policy gives', async () => {
    const { alice } = officers
    const { rus, deadline } = await noticeAt(alice, notice.id)
    expect(rus.state).toBe('replied')
    expect(rus.finalAt).toBeGreaterThan(rus.repliedAt)
    expect(deadline('respond')).toMatchObject({
      within: 72 * HOUR,
      dueAt: receivedAt + 72 * HOUR,
      metAt: rus.finalAt,
      status: 'met',
    })
    const history = (await alice.request('GET', `/notices/${notice.id}`)).body.history
    expect(history.map((h: { what: string; party: string }) => `${h.what} ${h.party}`)).toEqual([
      'opened usa',
      'delivered rus',
      'acknowledged rus',
      'replied rus',
      'replied rus',
    ])
  })

  it('4. the release guard blocks a reply with a SECRET//NOFORN paragraph and shows where it is', async () => {
    const { alice, ben } = officers
    clock.jumpTo(times.pastedSecret)
    const before = (await timeline(alice, wg)).length
    const body = story.replyWithPastedSecret(notice.id)
    const blocked = await compose(alice, wg, 'notice.reply', body)
    expect(blocked.status).toBe(422)
    expect(blocked.body.error).toMatchObject({
      code: 'RELEASE_GUARD_BLOCKED',
      details: { path: '/text' },
    })
    expect(blocked.body.error.details.matches).toContainEqual({
      path: '/text',
      offset: body.text.indexOf(story.PASTED_MARKING),
      text: story.PASTED_MARKING,
      rule: '\\bSECRET//NOFORN\\b',
      kind: 'marking',
    })
    // Nothing waits for Ben, and nothing left usa.
    const queue = await ben.request('GET', `/releases?channel=${wg}&status=pending`)
    expect(queue.body.releases).toEqual([])
    expect((await timeline(alice, wg)).length).toBe(before)
  })

  it('5. red-line text: rus drafts, usa and the rapporteur propose, both accept and adopt one hash', async () => {
    const { alice, ben, irina, pavel, sofia, lukas } = officers
    clock.jumpTo(times.redLines)
    const redLine = await released(irina, pavel, wg, 'redline.declare', story.redLine())
    expect(redLine.event.body).toMatchObject({ sectors: ['financial-services', 'energy'] })
    draft.create = await released(irina, pavel, wg, 'draft.create', story.draftText())
    const id = draft.create.id
    await seen(alice, wg, id, 'the draft')

    clock.jumpTo(times.usaAlternative)
    draft.usa = await released(alice, ben, wg, 'draft.propose', story.usaAlternative(id))
    await seen(sofia, wg, draft.usa.id, 'usa’s alternative')

    clock.jumpTo(times.compromise)
    draft.osce = await released(sofia, lukas, wg, 'draft.propose', story.compromise(id))
    expect(draft.osce.event.author).toBe('osce')
    // The rapporteur proposes, but neither accepts nor adopts: its own node refuses both
    // before anything is signed or queued for Lukas.
    const accept = await compose(sofia, wg, 'draft.accept', story.acceptance(id))
    expect(accept.status).toBe(403)
    expect(accept.body.error.code).toBe('RAPPORTEUR_CANNOT_DECIDE')
    const contentHash = await draftContentHash(story.adoptedText())
    const adopt = await compose(sofia, wg, 'draft.adopt', { draft: id, contentHash })
    expect(adopt.status).toBe(403)
    expect(adopt.body.error.code).toBe('RAPPORTEUR_CANNOT_DECIDE')

    // Both parties see p1 in brackets: three wordings, one from each.
    await seen(alice, wg, draft.osce.id, 'the compromise')
    await seen(irina, wg, draft.osce.id, 'the compromise')
    const wordings = (await timeline(alice, wg))
      .filter((view) => view.id === id || JSON.stringify(view.event.body).includes(id))
      .flatMap((view) =>
        'paragraphs' in view.event.body
          ? (view.event.body.paragraphs ?? [])
              .filter((p) => p.id === 'p1')
              .flatMap((p) => p.alternatives)
          : [],
      )
      .map((alternative) => [alternative.id, alternative.proposedBy])
    expect(wordings).toEqual([
      ['p1.a', 'rus'],
      ['p1.b', 'usa'],
      ['p1.c', 'osce'],
    ])

    clock.jumpTo(times.accept)
    for (const [who, name] of [
      [alice, 'acceptUsa'],
      [irina, 'acceptRus'],
    ] as const) {
      const accepted = await compose(who, wg, 'draft.accept', story.acceptance(id))
      expect(accepted.status).toBe(201)
      draft[name] = accepted.body.event
    }

    // A member adopts the text as its own node holds it: usa waits for rus's acceptance.
    await seen(alice, wg, draft.acceptRus!.id, 'rus’s acceptance')
    await seen(irina, wg, draft.acceptUsa!.id, 'usa’s acceptance')
    clock.jumpTo(times.adopt)
    draft.adoptUsa = await released(alice, ben, wg, 'draft.adopt', { draft: id, contentHash })
    draft.adoptRus = await released(irina, pavel, wg, 'draft.adopt', { draft: id, contentHash })
    // Adopted: on every node, every member adopted the same hash, and osce adopted nothing.
    for (const who of [alice, irina, sofia]) {
      const adoptions = await eventually(
        async () => {
          const found = (await timeline(who, wg)).filter((v) => v.event.type === 'draft.adopt')
          return found.length === 2 && found
        },
        20_000,
        `both adoptions on ${who.username}'s node`,
      )
      expect(adoptions.map((view) => [view.event.author, view.event.body])).toEqual([
        ['usa', { draft: id, contentHash }],
        ['rus', { draft: id, contentHash }],
      ])
    }
  })

  it('6. usa forwards the agreement and the acknowledgment without the indicators; est verifies rus’s signatures', async () => {
    const { alice, ben, kadri } = officers
    clock.jumpTo(times.forward)
    const wgEvents = await timeline(alice, wg)
    const ack = wgEvents.find((view) => view.event.type === 'notice.ack')!
    // A forward carries original signed events unchanged, so nothing can be cut out of one: the
    // notice itself (with its TLP:AMBER indicators) stays behind, and rus's signed acknowledgment
    // of it goes, with usa's own words about the notice in the note.
    const chosen = [
      ack,
      draft.create!,
      draft.usa!,
      draft.osce!,
      draft.acceptUsa!,
      draft.acceptRus!,
      draft.adoptUsa!,
      draft.adoptRus!,
    ]
    const minutes = Math.round((ack.event.time - receivedAt) / MINUTE)
    const forward = await released(alice, ben, allies, 'forward', {
      from: wg,
      items: chosen.map(signed),
      note: story.forwardNote(notice.id, minutes),
    })

    // est, on the allies' node, holds the forward and checks each item against the keys it
    // pinned for its author, not against usa's word.
    const atEst = await seen(kadri, allies, forward.id, 'the forward')
    if (atEst.event.type !== 'forward') throw new Error('not a forward')
    const items = atEst.event.body.items
    // The notice itself, with its TLP:AMBER indicators, stayed behind: est holds none of it.
    expect(await Promise.all(items.map((item) => eventId(item.event)))).not.toContain(notice.id)
    const held = JSON.stringify(atEst.event)
    const indicators = notice.event.type === 'notice.open' ? notice.event.body.indicators : []
    expect(indicators?.length).toBe(3)
    for (const { value } of indicators ?? []) expect(held).not.toContain(value)
    expect(items.map((item) => item.event.author)).toEqual([
      'rus',
      'rus',
      'usa',
      'osce',
      'usa',
      'rus',
      'usa',
      'rus',
    ])
    const pinned = await keysAt(nodes.allies, 'rus', 'usa', 'osce')
    const verified: Event[] = []
    for (const [i, item] of items.entries()) {
      const checked = await checkSignedEvent(item, pinned)
      expect(checked.id).toBe(chosen[i]!.id)
      verified.push(checked.event)
    }
    const rusOnly = (party: string) => (party === 'rus' ? pinned('rus') : [])
    await expect(checkSignedEvent(items[0], rusOnly)).resolves.toMatchObject({ id: ack.id })
    const altered = structuredClone(items[7]!)
    ;(altered.event.body as { contentHash: string }).contentHash = '0'.repeat(64)
    await expect(checkSignedEvent(altered, rusOnly)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    })

    // est rebuilds the adopted text from the forwarded wordings and finds the hash both signed.
    const wording = new Map<string, string>()
    for (const event of verified) {
      if (event.type === 'draft.create' || event.type === 'draft.propose') {
        for (const paragraph of event.body.paragraphs ?? []) {
          for (const alternative of paragraph.alternatives) {
            wording.set(alternative.id, alternative.text)
          }
        }
      }
    }
    const accepted = verified.find((event) => event.type === 'draft.accept')
    if (accepted?.type !== 'draft.accept') throw new Error('no acceptance was forwarded')
    const rebuilt = await draftContentHash(
      accepted.body.choices.map(({ paragraph, alternative }) => ({
        paragraph,
        text: wording.get(alternative)!,
      })),
    )
    const adopted = verified.flatMap((event) =>
      event.type === 'draft.adopt' ? [[event.author, event.body.contentHash]] : [],
    )
    expect(adopted).toEqual([
      ['usa', rebuilt],
      ['rus', rebuilt],
    ])
  })

  it('7. rus’s node goes away: usa keeps sending, shows rus unreachable since 09:12, and rus catches up in order', async () => {
    const { alice, carla, irina } = officers
    clock.jumpTo(times.rusOffline)
    await nodes.rus.stop()
    const down = clock.now()
    const sent: string[] = []
    for (const text of story.WHILE_RUS_IS_AWAY) {
      const reply = await alice.request('POST', `/channels/${wg}/messages`, {
        text,
        lang: 'en',
        urgency: 'routine',
        tlp: 'green',
      })
      expect(reply.status).toBe(201)
      sent.push(reply.body.event.id)
    }
    const failing = await eventually(
      async () => {
        const { body } = await carla.request('GET', '/node')
        const rus = body.peers.find((peer: { node: string }) => peer.node === 'rus')
        return rus?.failingSince != null && rus
      },
      20_000,
      'rus reported unreachable',
    )
    expect(failing.failingSince).toBeGreaterThanOrEqual(down)
    expect(failing.failingSince).toBeLessThan(down + MINUTE)
    const last = (await timeline(alice, wg)).find((view) => view.id === sent.at(-1))!
    expect(last.delivery?.find((d) => d.node === 'rus')).toMatchObject({
      state: 'failed-retrying',
      since: failing.failingSince,
    })
    expect(last.delivery?.find((d) => d.node === 'osce')?.state).toBe('delivered')

    clock.jumpTo(times.rusBack)
    await nodes.rus.start()
    const order = await eventually(
      async () => {
        const [atUsa, atRus] = await Promise.all([timeline(alice, wg), timeline(irina, wg)])
        const ids = (views: EventView[]) => views.map((view) => view.id)
        return JSON.stringify(ids(atUsa)) === JSON.stringify(ids(atRus)) && ids(atRus)
      },
      20_000,
      'rus holding what usa holds',
    )
    expect(order.slice(-3)).toEqual(sent)
    await eventually(
      async () => {
        const own = (await timeline(alice, wg)).filter((view) => view.event.author === 'usa')
        return own.every((view) => view.delivery?.every((d) => d.state === 'delivered'))
      },
      20_000,
      'every usa event delivered',
    )
    const { body } = await carla.request('GET', '/node')
    expect(body.peers.find((peer: { node: string }) => peer.node === 'rus').failingSince).toBeNull()
  })

  it('7b. the Monday 10:00 ping test: Irina answers usa’s ping in 4 min, and usa’s statistics show it', async () => {
    const { alice, irina } = officers
    clock.jumpTo(times.ping)
    expect(new Date(times.ping).getUTCDay()).toBe(1)
    const ping = await alice.request('POST', `/channels/${wg}/pings`, {})
    // A ping carries no words of the officer's: it goes at once, without a releaser.
    expect(ping.status, JSON.stringify(ping.body)).toBe(201)
    const id = ping.body.event.id as string
    const delivered = await eventually(
      async () => ((await noticeAt(alice, id)).rus.deliveredAt as number | null) ?? undefined,
      20_000,
      'rus’s receipt of the ping',
    )
    await seen(irina, wg, id, 'the ping')
    clock.jumpTo(delivered + times.pingAnswerAfter)
    expect((await compose(irina, wg, 'notice.ack', { notice: id })).status).toBe(201)
    const stats = await eventually(
      async () => {
        const reply = await alice.request('GET', `/pings/stats?channel=${wg}`)
        const rus = reply.body.parties.find((p: { party: string }) => p.party === 'rus')
        return rus?.answered === 1 && rus
      },
      20_000,
      'the answer in usa’s ping statistics',
    )
    expect(stats).toMatchObject({ pings: 1, answered: 1, responseRate: 1 })
    // The story clock runs on in real time after its jump: 4 min, and the moment composing took.
    expect(stats.medianMs).toBeGreaterThanOrEqual(times.pingAnswerAfter)
    expect(stats.medianMs).toBeLessThan(times.pingAnswerAfter + 5_000)
    expect(stats.p90Ms).toBe(stats.medianMs)
    expect(stats.lastAnsweredAt).toBe(delivered + stats.medianMs)
    // And every Monday at 10:00 UTC from now on.
    const weekly = await alice.request('POST', `/channels/${wg}/ping-schedules`, {
      weekday: 1,
      hour: 10,
    })
    expect(weekly.status).toBe(201)
    expect(weekly.body.nextAt).toBe(times.ping + 7 * DAY)
  })

  it('8. six months later, the exported transcript verifies: signatures, chains, no forks, every receipt', async () => {
    clock.jumpTo(times.rusBack + 182 * DAY)
    const dir = await mkdtemp(join(tmpdir(), 'parley-scenario-'))
    try {
      for (const [exporter, others] of [
        ['usa', ['rus', 'osce']],
        ['rus', ['usa', 'osce']],
      ] as const) {
        let text = ''
        for await (const line of exportTranscript(
          nodes[exporter].database.db,
          wg,
          exporter,
          clock.now(),
        )) {
          text += line
        }
        const report = await verifyTranscript(text.split('\n'))
        expect(report).toMatchObject({ ok: true, failures: [], failureCount: 0, equivocations: 0 })
        expect(Object.keys(report.parties).sort()).toEqual(['osce', 'rus', 'usa'])

        // Every event the exporter signed carries a receipt from each other participant's node.
        const lines = text
          .trim()
          .split('\n')
          .slice(1)
          .map((line) => JSON.parse(line))
        const own = lines
          .filter((line) => line.kind === 'event' && line.event.author === exporter)
          .map((line) => line.event)
        const receipted = (by: string) =>
          new Set(
            lines
              .filter((line) => line.kind === 'receipt' && line.receipt.by === by)
              .flatMap((line) => line.receipt.events),
          )
        const reader = exporter === 'usa' ? officers.alice : officers.irina
        const held = (await timeline(reader, wg)).filter((view) => view.event.author === exporter)
        expect(own.map((event) => event.seq)).toEqual(held.map((view) => view.event.seq))
        for (const party of others) {
          const ids = receipted(party)
          const missing = held.map((view) => view.id).filter((id) => !ids.has(id))
          expect(missing, `${exporter}'s events without a receipt by ${party}`).toEqual([])
        }

        // The auditor's own tool agrees.
        const file = join(dir, `${exporter}.parley`)
        await writeFile(file, text)
        const { stdout } = await promisify(execFile)(process.execPath, [
          CLI,
          'verify',
          '--json',
          '--workers',
          '1',
          file,
        ])
        expect(JSON.parse(stdout)).toMatchObject({ ok: true, failures: [], equivocations: 0 })
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
