import { type ChannelPolicy, deadlineRules, type EventOf } from '@parley/protocol'
import type { Transaction } from 'kysely'
import type {
  EventProjection,
  ProjectionContext,
  ReceiptProjection,
  StoredEvent,
} from '../../ledger/index.ts'
import type { Scheduler } from '../../node/scheduler.ts'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'
import type { NoticeAlert, NoticeAlerts } from './notice-alerts.ts'

type NoticeEvent = 'notice.open' | 'notice.ack' | 'notice.reply' | 'notice.close'
type Stored<T extends NoticeEvent> = StoredEvent & { readonly event: EventOf<T> }

/** The job kind of a notice deadline; its key is `${notice}:${party}:${deadline}`. */
export const DEADLINE_JOB = 'notice.deadline'

/** What the deadline job is told. */
export interface DeadlineJob {
  readonly notice: string
  readonly party: string
  readonly deadline: string
}

/**
 * What the projection does besides its tables, for a running node: schedule each hosted party's
 * deadlines on the durable scheduler and start and stop its escalation ladder. `parley reindex`
 * runs without them: the jobs it would schedule exist already (one per key, done or pending),
 * and a replay must not raise alarms again.
 */
export interface NoticeRuntime {
  readonly alerts: NoticeAlerts
  scheduler: Scheduler | undefined
}

/** A runtime that schedules nothing and alerts no one (a reindex, a test's own registry). */
export function inertNoticeRuntime(): NoticeRuntime {
  return {
    alerts: { begin: async () => {}, end: async () => {} },
    scheduler: undefined,
  }
}

/**
 * The notices read model: per notice and recipient party, sent → delivered (the signed receipt)
 * → acknowledged (a human `notice.ack`) → replied (interim or final) → closed, and each deadline
 * with its due time (receipt + the signed policy's time) and the signed time that met it.
 */
export function noticeProjections(runtime: NoticeRuntime): {
  readonly events: EventProjection<NoticeEvent>
  readonly receipts: ReceiptProjection
} {
  return {
    events: {
      name: 'notices',
      types: ['notice.open', 'notice.ack', 'notice.reply', 'notice.close'],
      tables: ['notices', 'notice_recipients', 'notice_deadlines', 'notice_events'],
      apply: async (trx, stored, ctx) => {
        switch (stored.event.type) {
          case 'notice.open':
            return projectOpen(trx, stored as Stored<'notice.open'>, ctx, runtime)
          case 'notice.ack':
            return projectAck(trx, stored as Stored<'notice.ack'>, ctx, runtime)
          case 'notice.reply':
            return projectReply(trx, stored as Stored<'notice.reply'>, ctx, runtime)
          case 'notice.close':
            return projectClose(trx, stored as Stored<'notice.close'>, ctx, runtime)
        }
      },
    },
    receipts: {
      name: 'notice-receipts',
      tables: [],
      apply: async (trx, receipt, covered, ctx) => {
        for (const stored of covered) {
          if (stored.event.type !== 'notice.open') continue
          await deliver(
            trx,
            stored.id,
            receipt.receipt.by,
            receipt.receipt.receivedAt,
            receipt.id,
            ctx,
            runtime,
          )
        }
      },
    },
  }
}

async function projectOpen(
  trx: Transaction<DB>,
  stored: Stored<'notice.open'>,
  ctx: ProjectionContext,
  runtime: NoticeRuntime,
): Promise<void> {
  const { id, event } = stored
  const body = event.body
  const channel = await trx
    .selectFrom('channels')
    .select('policy')
    .where('id', '=', event.channel)
    .executeTakeFirstOrThrow()
  const rules = deadlineRules(channel.policy as Partial<ChannelPolicy>, body)
  await trx
    .insertInto('notices')
    .values({
      id,
      channel: event.channel,
      position: stored.position,
      opener: event.author,
      officer: event.officer ?? null,
      kind: body.kind,
      urgency: body.urgency,
      tlp: body.tlp,
      subject: body.subject,
      severity: body.severity ?? null,
      sectors: jsonb(body.sectors ?? []),
      opened_at: event.time,
      closed_at: null,
      next_due: null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
  await recordEvent(trx, id, stored)
  const members = await trx
    .selectFrom('channel_members')
    .select('party')
    .where('channel', '=', event.channel)
    .where('role', '=', 'member')
    .where('party', '<>', event.author)
    .orderBy('party')
    .execute()
  if (members.length === 0) return
  await trx
    .insertInto('notice_recipients')
    .values(
      members.map(({ party }) => ({
        notice: id,
        party,
        delivered_at: null,
        receipt: null,
        ack_at: null,
        ack_officer: null,
        ack_event: null,
        replied_at: null,
        final_at: null,
      })),
    )
    .onConflict((oc) => oc.columns(['notice', 'party']).doNothing())
    .execute()
  if (rules.length > 0) {
    await trx
      .insertInto('notice_deadlines')
      .values(
        members.flatMap(({ party }) =>
          rules.map((rule, ordinal) => ({
            notice: id,
            party,
            name: rule.name,
            owner: rule.by,
            within: rule.within,
            final: rule.final,
            ordinal,
            due_at: null,
            met_at: null,
          })),
        ),
      )
      .onConflict((oc) => oc.columns(['notice', 'party', 'name']).doNothing())
      .execute()
  }
  // A recipient hosted here has the notice now: no receipt of its own comes back to this node,
  // so its clock starts when the node stored the notice, no later than the receipt it signs.
  for (const { party } of members) {
    if (ctx.hosted.includes(party)) {
      await deliver(trx, id, party, stored.receivedAt, null, ctx, runtime)
    }
  }
}

/**
 * A recipient has the notice: the first delivery starts its deadlines, schedules those a hosted
 * party must meet, and starts that party's ladder. A later receipt changes nothing.
 */
async function deliver(
  trx: Transaction<DB>,
  notice: string,
  party: string,
  at: number,
  receipt: string | null,
  ctx: ProjectionContext,
  runtime: NoticeRuntime,
): Promise<void> {
  const updated = await trx
    .updateTable('notice_recipients')
    .set({ delivered_at: at, receipt })
    .where('notice', '=', notice)
    .where('party', '=', party)
    .where('delivered_at', 'is', null)
    .returning('party')
    .executeTakeFirst()
  if (updated === undefined) return
  await trx
    .updateTable('notice_deadlines')
    .set((eb) => ({ due_at: eb(eb.val(at), '+', eb.ref('within')) }))
    .where('notice', '=', notice)
    .where('party', '=', party)
    .execute()
  await refreshNextDue(trx, notice)
  const row = await trx
    .selectFrom('notices')
    .select(['channel', 'kind', 'urgency', 'subject', 'opener', 'closed_at'])
    .where('id', '=', notice)
    .executeTakeFirstOrThrow()
  if (row.closed_at !== null) return
  const deadlines = await trx
    .selectFrom('notice_deadlines')
    .select(['name', 'owner', 'due_at', 'met_at'])
    .where('notice', '=', notice)
    .where('party', '=', party)
    .orderBy('ordinal')
    .execute()
  for (const deadline of deadlines) {
    const owner = deadline.owner === 'recipient' ? party : row.opener
    if (!ctx.hosted.includes(owner) || deadline.met_at !== null || deadline.due_at === null) {
      continue
    }
    await runtime.scheduler?.schedule(trx, {
      kind: DEADLINE_JOB,
      key: `${notice}:${party}:${deadline.name}`,
      dueAt: deadline.due_at,
      payload: { notice, party, deadline: deadline.name },
    })
  }
  // A ping measures whether a human answers unprompted: escalating it would measure the ladder.
  const ack = deadlines.find((d) => d.name === 'acknowledge')
  if (
    row.kind !== 'ping' &&
    ctx.hosted.includes(party) &&
    ack?.due_at != null &&
    ack.met_at === null
  ) {
    const alert: NoticeAlert = {
      key: `${notice}:${party}:acknowledge`,
      party,
      channel: row.channel,
      notice,
      kind: row.kind,
      urgency: row.urgency,
      subject: row.subject,
      deadline: 'acknowledge',
      startedAt: at,
      dueAt: ack.due_at,
    }
    await runtime.alerts.begin(alert, trx)
  }
}

async function projectAck(
  trx: Transaction<DB>,
  stored: Stored<'notice.ack'>,
  ctx: ProjectionContext,
  runtime: NoticeRuntime,
): Promise<void> {
  const { id, event } = stored
  const notice = event.body.notice
  await recordEvent(trx, notice, stored)
  const first = await trx
    .updateTable('notice_recipients')
    .set({ ack_at: event.time, ack_officer: event.officer ?? null, ack_event: id })
    .where('notice', '=', notice)
    .where('party', '=', event.author)
    .where('ack_at', 'is', null)
    .returning('party')
    .executeTakeFirst()
  if (first === undefined) return
  await meet(trx, notice, event.author, 'recipient', event.time, (d) => d.name === 'acknowledge')
  await stop(trx, notice, event.author, 'acknowledged', ['acknowledge'], ctx, runtime)
}

async function projectReply(
  trx: Transaction<DB>,
  stored: Stored<'notice.reply'>,
  ctx: ProjectionContext,
  runtime: NoticeRuntime,
): Promise<void> {
  const { event } = stored
  const notice = event.body.notice
  const final = event.body.final === true
  await recordEvent(trx, notice, stored)
  const row = await trx
    .selectFrom('notices')
    .select('opener')
    .where('id', '=', notice)
    .executeTakeFirst()
  if (row === undefined) return
  const replyMeets = (d: { name: string; final: boolean }) =>
    d.name !== 'acknowledge' && (!d.final || final)
  if (event.author === row.opener) {
    // The opener's follow-ups (NIS2's notification and final report) are owed to every recipient.
    await meet(trx, notice, null, 'opener', event.time, replyMeets)
    return
  }
  await trx
    .updateTable('notice_recipients')
    .set((eb) => ({
      replied_at: eb.fn.coalesce('replied_at', eb.val(event.time)),
      ...(final ? { final_at: eb.fn.coalesce('final_at', eb.val(event.time)) } : {}),
    }))
    .where('notice', '=', notice)
    .where('party', '=', event.author)
    .execute()
  const met = await meet(trx, notice, event.author, 'recipient', event.time, replyMeets)
  await stop(trx, notice, event.author, 'replied', met, ctx, runtime)
}

async function projectClose(
  trx: Transaction<DB>,
  stored: Stored<'notice.close'>,
  ctx: ProjectionContext,
  runtime: NoticeRuntime,
): Promise<void> {
  const { event } = stored
  const notice = event.body.notice
  await recordEvent(trx, notice, stored)
  await trx
    .updateTable('notices')
    .set({ closed_at: event.time })
    .where('id', '=', notice)
    .where('closed_at', 'is', null)
    .execute()
  const pending = await trx
    .selectFrom('notice_deadlines')
    .select(['party', 'name'])
    .where('notice', '=', notice)
    .where('met_at', 'is', null)
    .execute()
  const parties = [...new Set(pending.map((d) => d.party))]
  for (const party of parties) {
    const names = pending.filter((d) => d.party === party).map((d) => d.name)
    await stop(trx, notice, party, 'closed', names, ctx, runtime)
  }
}

/** Marks the unmet deadlines of an owner that an event at `time` meets; returns their names. */
async function meet(
  trx: Transaction<DB>,
  notice: string,
  party: string | null,
  owner: 'recipient' | 'opener',
  time: number,
  meets: (deadline: { name: string; final: boolean }) => boolean,
): Promise<string[]> {
  let query = trx
    .selectFrom('notice_deadlines')
    .select(['party', 'name', 'final'])
    .where('notice', '=', notice)
    .where('owner', '=', owner)
    .where('met_at', 'is', null)
  if (party !== null) query = query.where('party', '=', party)
  const met = (await query.execute()).filter(meets)
  for (const deadline of met) {
    await trx
      .updateTable('notice_deadlines')
      .set({ met_at: time })
      .where('notice', '=', notice)
      .where('party', '=', deadline.party)
      .where('name', '=', deadline.name)
      .execute()
  }
  if (met.length > 0) await refreshNextDue(trx, notice)
  return met.map((deadline) => deadline.name)
}

/** Sets a notice's `next_due` from its unmet deadlines, after their due or met times changed. */
async function refreshNextDue(trx: Transaction<DB>, notice: string): Promise<void> {
  await trx
    .updateTable('notices')
    .set((eb) => ({
      next_due: eb
        .selectFrom('notice_deadlines')
        .select((e) => e.fn.min('due_at').as('due'))
        .where('notice', '=', notice)
        .where('met_at', 'is', null),
    }))
    .where('id', '=', notice)
    .execute()
}

/** A hosted party's clock stopped: its pending deadline jobs go and its ladder stops. */
async function stop(
  trx: Transaction<DB>,
  notice: string,
  party: string,
  reason: 'acknowledged' | 'replied' | 'closed',
  deadlines: readonly string[],
  ctx: ProjectionContext,
  runtime: NoticeRuntime,
): Promise<void> {
  if (runtime.scheduler !== undefined) {
    for (const name of deadlines) {
      await runtime.scheduler.cancel(trx, DEADLINE_JOB, `${notice}:${party}:${name}`)
    }
  }
  if (ctx.hosted.includes(party)) await runtime.alerts.end(notice, party, reason, trx)
}

async function recordEvent(
  trx: Transaction<DB>,
  notice: string,
  { id, event, position }: StoredEvent,
): Promise<void> {
  await trx
    .insertInto('notice_events')
    .values({
      notice,
      event: id,
      position,
      type: event.type,
      party: event.author,
      officer: event.officer ?? null,
      time: event.time,
      final:
        event.type === 'notice.reply' ? (event.body as { final?: boolean }).final === true : null,
    })
    .onConflict((oc) => oc.columns(['notice', 'event']).doNothing())
    .execute()
}
