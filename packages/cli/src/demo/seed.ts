import type { ComposableType, CompositionInput, EventView, ReleaseView } from '@parley/api'
import { type BodyOf, draftContentHash } from '@parley/protocol'
import { createOfficer, type ParleyApp, passwordHasher } from '@parley/server'
import { flashNotice, flashTime, playRusLadder, setUpRusDesk } from './missed-flash.ts'
import { OfficerSession } from './officer-session.ts'
import { publishOnPortal } from './portal.ts'
import * as story from './story.ts'
import type { StoryClock } from './story-clock.ts'

/** A demo node as the seed needs it: its officer API and its app (for creating officers). */
export interface SeedNode {
  readonly url: string
  readonly app: ParleyApp
}

/** What the first run seeded, kept in the demo directory so later runs can print it again. */
export interface SeedRecord {
  readonly seededAt: number
  /** Midnight (UTC) of the day the story took place. */
  readonly storyDay: number
  readonly channels: { readonly workingGroup: string; readonly allies: string }
  /** Initial passwords, printed on every start; officers may change them. */
  readonly passwords: Readonly<Record<story.OfficerName, string>>
  readonly notice: string
  readonly ackMinutes: number
  /**
   * usa's automation officer (drafter and viewer, on the working group's access list) and an
   * API token Carla issued for it, scoped to those roles: what the demo's curl lines use.
   */
  readonly automation: {
    readonly username: string
    readonly officer: string
    readonly tokenId: string
    readonly token: string
    readonly expiresAt: number
  }
  /** The ping test (absent from a record seeded before it was part of the story). */
  readonly ping?: { readonly id: string; readonly answerMinutes: number }
  /** The adopted joint statement (its draft.create id); the demo exports it as agreement.*. */
  readonly agreement?: string
  /** The flash notice rus misses, whose escalation e-mails the demo's mail sink catches. */
  readonly flashNotice?: string
}

/**
 * Plays SCENARIO.md's day in the life, steps 1–3, 5 and 6, through the officer API of running
 * nodes, each officer logged in with a session, at the story's times: the clock jumps to each
 * scene. Step 4 (a blocked paste) leaves nothing to seed, and step 7 (a node going away) is for
 * the visitor to try.
 */
export async function seedStory(
  nodes: Readonly<Record<story.StoryNodeName, SeedNode>>,
  clock: StoryClock,
  storyDay: number,
): Promise<SeedRecord> {
  const times = story.sceneTimes(storyDay)
  // The demo is a production node: its officers' passwords get the production cost.
  const hasher = passwordHasher()
  const passwords = {} as Record<story.OfficerName, string>
  const sessions = {} as Record<story.OfficerName, OfficerSession>
  await Promise.all(
    Object.entries(story.OFFICERS).map(async ([name, spec]) => {
      const node = nodes[spec.node]
      const password = initialPassword(spec.username)
      const created = await createOfficer(
        {
          db: node.app.db,
          now: clock.now,
          parties: [...node.app.identity.parties.keys()],
          passwords: hasher,
        },
        { officer: null, party: null, via: 'cli' },
        { ...spec, roles: [...spec.roles], password },
      )
      // Each officer logs in with their first request.
      const session = new OfficerSession(node.url, spec.username, password, created.officer.id)
      passwords[name as story.OfficerName] = password
      sessions[name as story.OfficerName] = session
    }),
  )
  const { alice, ben, carla, irina, pavel, oleg, sofia, lukas, kadri, haruto } = sessions
  // Each scene starts once the last one's events are delivered everywhere, so that every
  // receipt carries the time of its scene, not of the next.
  const jumpTo = async (time: number) => {
    await waitFor('every node’s deliveries', async () => {
      for (const node of Object.values(nodes)) {
        const waiting = await node.app.db
          .selectFrom('outbox')
          .select('event_id')
          .where('delivered_at', 'is', null)
          .where('rejected_code', 'is', null)
          .limit(1)
          .executeTakeFirst()
        if (waiting !== undefined) return undefined
      }
      return true
    })
    clock.jumpTo(time)
  }

  const timeline = async (who: OfficerSession, channel: string) =>
    Array.fromAsync(who.api.pages('getTimeline', { params: { channel } }))
  const holds = (who: OfficerSession, channel: string, id: string) =>
    waitFor(`${who.username}'s node to hold ${id}`, async () =>
      (await timeline(who, channel)).find((view) => view.id === id),
    )
  const submit = <T extends ComposableType>(
    who: OfficerSession,
    channel: string,
    type: T,
    body: BodyOf<T>,
  ) => who.api.compose({ params: { channel }, body: { type, body } as CompositionInput })
  const compose = async <T extends ComposableType>(
    who: OfficerSession,
    channel: string,
    type: T,
    body: BodyOf<T>,
  ) => signedAtOnce(who, await submit(who, channel, type, body))
  const released = async <T extends ComposableType>(
    drafter: OfficerSession,
    releaser: OfficerSession,
    channel: string,
    type: T,
    body: BodyOf<T>,
  ) => {
    const queued = await submit(drafter, channel, type, body)
    if (!('release' in queued))
      throw new Error(`${drafter.username}'s ${type} was not held for release`)
    return (await releaser.api.approveRelease({ params: { release: queued.release.id } })).event
  }
  const grant = async (admin: OfficerSession, channel: string, ...who: OfficerSession[]) => {
    for (const officer of who) {
      await admin.api.grantAccess({ params: { channel, officer: officer.id } })
    }
  }
  const accept = async (admin: OfficerSession, channel: string, ...who: OfficerSession[]) => {
    await waitFor(`the invitation to reach ${admin.username}'s node`, async () => {
      // Newest first: the invitation just came.
      for await (const row of admin.api.pages('listCompartments', {}, { direction: 'backward' })) {
        if (row.channel === channel) return true
      }
      return undefined
    })
    await grant(admin, channel, ...who)
    await who[0]!.api.joinChannel({ params: { channel }, body: {} })
  }

  // Weeks of work before the day, compressed into its first hour.
  const workingGroup = (await alice.api.openChannel({ body: story.workingGroup() })).channel.id
  await grant(carla, workingGroup, ben)
  await accept(oleg, workingGroup, irina, pavel)
  await accept(lukas, workingGroup, sofia, lukas)
  const allies = (await alice.api.openChannel({ body: story.alliesChannel() })).channel.id
  await grant(carla, allies, ben)
  await accept(kadri, allies, kadri)
  await accept(haruto, allies, haruto)

  // 1. The notice, released by Ben; rus's receipt starts the acknowledgment clock.
  await jumpTo(times.notice)
  const notice = await released(
    alice,
    ben,
    workingGroup,
    'notice.open',
    story.incidentNotice(times),
  )
  const receiptAt = await waitFor('rus’s receipt of the notice', async () => {
    const view = (await timeline(alice, workingGroup)).find((v) => v.id === notice.id)
    return view?.delivery?.find((d) => d.node === 'rus')?.receiptAt
  })
  await holds(irina, workingGroup, notice.id)

  // 2. Irina acknowledges 17 minutes after delivery.
  await jumpTo(receiptAt + times.ackAfter)
  const ack = await compose(irina, workingGroup, 'notice.ack', { notice: notice.id })

  // 3. The interim answer in Russian, Alice's translation, and the final answer.
  await jumpTo(times.interimReply)
  const interim = await released(
    irina,
    pavel,
    workingGroup,
    'notice.reply',
    story.interimReply(notice.id),
  )
  await holds(alice, workingGroup, interim.id)
  await jumpTo(times.translation)
  signedAtOnce(
    alice,
    await alice.api.postTranslation({
      params: { channel: workingGroup },
      body: story.interimTranslation(interim.id),
    }),
  )
  await jumpTo(times.finalReply)
  const final = await released(
    irina,
    pavel,
    workingGroup,
    'notice.reply',
    story.finalReply(notice.id),
  )
  await holds(alice, workingGroup, final.id)
  await jumpTo(times.finalReply + 6 * story.MINUTE)
  signedAtOnce(
    alice,
    await alice.api.postTranslation({
      params: { channel: workingGroup },
      body: story.finalTranslation(final.id),
    }),
  )

  // 5. Red lines and draft text: brackets, the rapporteur's compromise, one adopted hash.
  await jumpTo(times.redLines)
  await released(irina, pavel, workingGroup, 'redline.declare', story.redLine())
  const draft = await released(irina, pavel, workingGroup, 'draft.create', story.draftText())
  await holds(alice, workingGroup, draft.id)
  await jumpTo(times.usaAlternative)
  const usaAlternative = await released(
    alice,
    ben,
    workingGroup,
    'draft.propose',
    story.usaAlternative(draft.id),
  )
  await holds(sofia, workingGroup, usaAlternative.id)
  await jumpTo(times.compromise)
  const compromise = await released(
    sofia,
    lukas,
    workingGroup,
    'draft.propose',
    story.compromise(draft.id),
  )
  await holds(alice, workingGroup, compromise.id)
  await holds(irina, workingGroup, compromise.id)
  await jumpTo(times.accept)
  const acceptUsa = await compose(alice, workingGroup, 'draft.accept', story.acceptance(draft.id))
  const acceptRus = await compose(irina, workingGroup, 'draft.accept', story.acceptance(draft.id))
  // A member adopts the text as its own node holds it: each waits for the other's acceptance.
  await holds(alice, workingGroup, acceptRus.id)
  await holds(irina, workingGroup, acceptUsa.id)
  await jumpTo(times.adopt)
  const adoption = { draft: draft.id, contentHash: await draftContentHash(story.adoptedText()) }
  const adoptUsa = await released(alice, ben, workingGroup, 'draft.adopt', adoption)
  const adoptRus = await released(irina, pavel, workingGroup, 'draft.adopt', adoption)
  await holds(alice, workingGroup, adoptRus.id)
  await holds(alice, workingGroup, ack.id)
  await holds(alice, workingGroup, acceptRus.id)
  // usa's public portal shows the adopted statement, a TLP:CLEAR red line and a statement.
  await publishOnPortal(alice, ben, workingGroup, draft.id)

  // 6. usa forwards the agreement and rus's acknowledgment, not the notice's indicators.
  await jumpTo(times.forward)
  const views = new Map((await timeline(alice, workingGroup)).map((view) => [view.id, view]))
  const items = [ack, draft, usaAlternative, compromise, acceptUsa, acceptRus, adoptUsa, adoptRus]
    .map((event) => views.get(event.id)!)
    .map(({ event, sig }) => ({ event, sig }))
  const ackMinutes = Math.round((views.get(ack.id)!.event.time - receiptAt) / story.MINUTE)
  const forward = await released(alice, ben, allies, 'forward', {
    from: workingGroup,
    items,
    note: story.forwardNote(notice.id, ackMinutes),
  })
  await holds(kadri, allies, forward.id)
  await holds(haruto, allies, forward.id)

  // Automation, as an admin sets it up: an officer who drafts and reads, never releases or
  // administers, in one compartment, with a token of those roles (issue 15: no node-wide token).
  const { officer: bot } = await carla.api.createOfficer({
    body: {
      username: AUTOMATION_USERNAME,
      displayName: 'Ticket-system bridge',
      roles: ['drafter', 'viewer'],
    },
  })
  await carla.api.grantAccess({ params: { channel: workingGroup, officer: bot.id } })
  const issued = await carla.api.createApiToken({
    params: { officer: bot.id },
    body: {
      scope: ['drafter', 'viewer'],
      expiresAt: clock.now() + 365 * 24 * 3_600_000,
      label: 'demo automation',
    },
  })
  // 8. A flash notice that rus's desk misses: its ladder alarms and mails the watch, then the
  // duty director once the 15 minutes are up.
  await setUpRusDesk(oleg, irina, pavel)
  await jumpTo(flashTime(storyDay))
  const flashBody = flashNotice(flashTime(storyDay))
  const flash = await released(alice, ben, workingGroup, 'notice.open', flashBody)
  const flashReceipt = await waitFor('rus’s receipt of the flash notice', async () => {
    const view = (await timeline(alice, workingGroup)).find((v) => v.id === flash.id)
    return view?.delivery?.find((d) => d.node === 'rus')?.receiptAt
  })
  await holds(irina, workingGroup, flash.id)
  // rus's notices read model began its ladder when the notice reached rus.
  await playRusLadder(nodes.rus.app, irina, flash.id, flashReceipt, jumpTo, waitFor)

  // The ping test, Monday 10:00: usa checks that a human answers at rus, and Irina does. (No
  // weekly schedule is seeded: the demo's next start would run the Mondays it slept through.)
  await jumpTo(times.ping)
  const ping = signedAtOnce(
    alice,
    await alice.api.sendPing({ params: { channel: workingGroup }, body: {} }),
  )
  const pingDelivered = await waitFor('rus’s receipt of the ping', async () => {
    const view = await alice.api.getNotice({ params: { notice: ping.id } })
    return view.recipients.find((r) => r.party === 'rus')?.deliveredAt ?? undefined
  })
  await holds(irina, workingGroup, ping.id)
  await jumpTo(pingDelivered + times.pingAnswerAfter)
  await compose(irina, workingGroup, 'notice.ack', { notice: ping.id })

  return {
    automation: {
      username: AUTOMATION_USERNAME,
      officer: bot.id,
      tokenId: issued.token.id,
      token: issued.secret,
      expiresAt: issued.token.expiresAt,
    },
    seededAt: Date.now(),
    storyDay,
    channels: { workingGroup, allies },
    passwords,
    notice: notice.id,
    ackMinutes,
    ping: { id: ping.id, answerMinutes: Math.round(times.pingAnswerAfter / story.MINUTE) },
    agreement: draft.id,
    flashNotice: flash.id,
  }
}

/** The event of a composition the channel policy let go at once. */
function signedAtOnce(
  who: OfficerSession,
  composed: { event: EventView } | { release: ReleaseView },
) {
  if (!('event' in composed)) {
    throw new Error(`${who.username}'s ${composed.release.type} was held for release`)
  }
  return composed.event
}

/** Polls until `check` gives a value; federation on loopback takes milliseconds, not seconds. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + 15_000
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error(`the demo gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** usa's automation officer in the demo. */
const AUTOMATION_USERNAME = 'automation'

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'

/** A readable random password, `xxxx-xxxx-xxxx-xxxx` (about 79 bits), without the username. */
function initialPassword(username: string): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16))
    const chars = [...bytes].map((byte) => ALPHABET[byte % ALPHABET.length])
    const password = [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-')
    if (!password.includes(username)) return password
  }
}
