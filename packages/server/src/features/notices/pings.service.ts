import { randomUUID } from 'node:crypto'
import type { BodyOf } from '@parley/protocol'
import type { StoredEvent } from '../../ledger/index.ts'
import { actingParty, channelOrThrow } from '../../node/channels.ts'
import type { NodeContext } from '../../node/context.ts'
import { actingAs } from '../access/access.service.ts'
import {
  type ComposeContext,
  checkItem,
  commitItem,
  type Item,
} from '../compose/compose.service.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'
import { readableChannels } from './notices.service.ts'

/** The job kind of a weekly ping test; its key is `${schedule}:${dueAt}`. */
export const PING_JOB = 'notice.ping'

const WEEK = 7 * 24 * 3_600_000

/** A ping's fixed body: it asks for nothing but a human acknowledgment. */
export function pingBody(
  urgency: 'routine' | 'priority' | 'flash' = 'routine',
): BodyOf<'notice.open'> {
  return {
    kind: 'ping',
    subject: 'Communication check (ping test): please acknowledge',
    lang: 'en',
    urgency,
    tlp: 'clear',
  }
}

/**
 * Sends a ping at once. It passes the release guard and the notices' rules like any item, but
 * is never held for a second officer: its body is fixed, with no words of the officer's in it.
 */
export async function sendPing(
  compose: ComposeContext,
  officer: RequestOfficer,
  channelId: string,
  input: { readonly as?: string; readonly urgency?: 'routine' | 'priority' | 'flash' },
): Promise<StoredEvent> {
  const channel = await channelOrThrow(compose.node, channelId)
  const party = actingParty(
    compose.node,
    actingAs(officer, input.as),
    channel.members.map((member) => member.party),
  )
  const item: Item = {
    channel: channel.id,
    party,
    type: 'notice.open',
    body: pingBody(input.urgency),
    drafter: officer.id,
  }
  await checkItem(compose, officer, item)
  return commitItem(compose.node, item)
}

/** The first time at or after `after` that falls on a UTC weekday, hour and minute. */
export function nextWeekly(
  after: number,
  at: { readonly weekday: number; readonly hour: number; readonly minute: number },
): number {
  const day = new Date(after)
  const candidate = Date.UTC(
    day.getUTCFullYear(),
    day.getUTCMonth(),
    day.getUTCDate() + ((at.weekday - day.getUTCDay() + 7) % 7),
    at.hour,
    at.minute,
  )
  return candidate >= after ? candidate : candidate + WEEK
}

export interface PingSchedule {
  id: string
  channel: string
  party: string
  officer: string
  weekday: number
  hour: number
  minute: number
  nextAt: number
}

/** Pings a channel every week at a UTC weekday and time, on the durable scheduler. */
export async function schedulePings(
  ctx: NodeContext,
  officer: RequestOfficer,
  channelId: string,
  input: {
    readonly as?: string
    readonly weekday: number
    readonly hour: number
    readonly minute?: number
  },
): Promise<PingSchedule> {
  const channel = await channelOrThrow(ctx, channelId)
  const party = actingParty(
    ctx,
    actingAs(officer, input.as),
    channel.members.map((member) => member.party),
  )
  const at = { weekday: input.weekday, hour: input.hour, minute: input.minute ?? 0 }
  const id = `ps_${randomUUID()}`
  const nextAt = nextWeekly(ctx.now(), at)
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('ping_schedules')
      .values({ id, channel: channel.id, party, officer: officer.id, ...at, created_at: ctx.now() })
      .execute()
    await ctx.scheduler.schedule(trx, {
      kind: PING_JOB,
      key: `${id}:${nextAt}`,
      dueAt: nextAt,
      payload: { schedule: id },
    })
  })
  return { id, channel: channel.id, party, officer: officer.id, ...at, nextAt }
}

/**
 * The weekly ping job: sends the ping, then schedules the next week's. A run after a crash
 * that had sent this week's ping already (one by the party in the channel since the job fell
 * due) sends no second one.
 */
export function handlePings(compose: ComposeContext): void {
  const ctx = compose.node
  ctx.scheduler.handle(PING_JOB, async (job) => {
    const { schedule } = job.payload as { schedule: string }
    const row = await ctx.db
      .selectFrom('ping_schedules')
      .selectAll()
      .where('id', '=', schedule)
      .executeTakeFirst()
    if (row === undefined) return
    const sent = await ctx.db
      .selectFrom('notices')
      .select('id')
      .where('channel', '=', row.channel)
      .where('opener', '=', row.party)
      .where('kind', '=', 'ping')
      .where('opened_at', '>=', job.dueAt)
      .executeTakeFirst()
    if (sent === undefined) {
      await commitItem(ctx, {
        channel: row.channel,
        party: row.party,
        type: 'notice.open',
        body: pingBody(),
        drafter: row.officer,
      })
    }
    const nextAt = nextWeekly(job.dueAt + 60_000, row)
    await ctx.scheduler.schedule(ctx.db, {
      kind: PING_JOB,
      key: `${schedule}:${nextAt}`,
      dueAt: nextAt,
      payload: { schedule },
    })
  })
}

/** The weekly ping tests of the channels the officer sees, each with its next time. */
export async function listPingSchedules(
  ctx: NodeContext,
  officer: RequestOfficer,
  channel: string | undefined,
): Promise<PingSchedule[]> {
  const readable = await readableChannels(ctx, officer)
  const channels =
    channel === undefined ? readable : (readable ?? [channel]).filter((id) => id === channel)
  if (channels !== undefined && channels.length === 0) return []
  let query = ctx.db
    .selectFrom('ping_schedules')
    .select(['id', 'channel', 'party', 'officer', 'weekday', 'hour', 'minute'])
    .orderBy('created_at')
    .orderBy('id')
  if (channels !== undefined) query = query.where('channel', 'in', channels)
  const now = ctx.now()
  return (await query.execute()).map((row) => ({ ...row, nextAt: nextWeekly(now, row) }))
}
