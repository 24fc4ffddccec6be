import { type DeadlineView, type NoticeView, PAGE_DEFAULT_LIMIT } from '@parley/api'
import { statusOf } from '@parley/protocol'
import type { Transaction } from 'kysely'
import { ServerError } from '../../errors.ts'
import type { NodeContext } from '../../node/context.ts'
import type { DB } from '../../store/tables.ts'
import { visibleTo } from '../access/access.service.ts'
import { channelsOfNode } from '../channels/channels.service.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'
import type { NoticeAlert, NoticeAlerts } from './notice-alerts.ts'
import { DEADLINE_JOB, type DeadlineJob } from './notices.projection.ts'
import {
  type DeadlineRow,
  type NoticeFilter,
  type NoticeRow,
  noticeById,
  noticeEvents,
  type OverduePosition,
  overdueNotices,
  pageNotices,
  partsOf,
  pingRecipients,
  type RecipientRow,
} from './notices.repository.ts'

/** The channels an officer may read notices of (an API token's: its officer's). */
export async function readableChannels(
  ctx: NodeContext,
  officer: RequestOfficer,
): Promise<string[] | undefined> {
  const ids = (await channelsOfNode(ctx)).map((channel) => channel.id)
  return visibleTo(ctx.db, officer, ids, (id) => id)
}

/** A cursor is the notice's log position, opaque to clients. */
export function cursorOf(position: number): string {
  return Buffer.from(`n:${position}`).toString('base64url')
}

function positionOf(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const match = /^n:(0|[1-9][0-9]{0,15})$/.exec(text)
  const position = match === null ? Number.NaN : Number(match[1])
  if (!Number.isSafeInteger(position)) {
    throw new ServerError('PAGE_CURSOR_INVALID', { cursor, reason: 'not a notices cursor' })
  }
  return position
}

export interface ListQuery extends Omit<NoticeFilter, 'channels'> {
  readonly limit?: number
  readonly before?: string
  readonly after?: string
}

/** A page of the notices an officer may see, newest first, with cursors either way. */
export async function listNotices(
  ctx: NodeContext,
  officer: RequestOfficer,
  query: ListQuery,
): Promise<{ notices: NoticeView[]; cursors: { before: string | null; after: string | null } }> {
  const { limit, before, after, ...filter } = query
  if (before !== undefined && after !== undefined) {
    throw new ServerError('PAGE_CURSORS_CONFLICT')
  }
  const channels = await readableChannels(ctx, officer)
  const page = await pageNotices(
    ctx.db,
    { ...filter, ...(channels === undefined ? {} : { channels }) },
    {
      limit: limit ?? 50,
      ...(before === undefined ? {} : { before: positionOf(before) }),
      ...(after === undefined ? {} : { after: positionOf(after) }),
    },
    ctx.now(),
  )
  return {
    notices: await views(ctx, page.rows),
    cursors: {
      before: page.hasOlder ? cursorOf(page.rows.at(-1)!.position) : null,
      after: page.hasNewer ? cursorOf(page.rows[0]!.position) : null,
    },
  }
}

/** A cursor of the overdue list: the first unmet due time and id of a page's last notice. */
function overdueCursorOf(position: OverduePosition): string {
  return Buffer.from(`o:${position.due}:${position.id}`).toString('base64url')
}

function overduePositionOf(cursor: string): OverduePosition {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const match = /^o:(0|[1-9][0-9]{0,15}):([A-Za-z0-9_-]{1,100})$/.exec(text)
  const due = match === null ? Number.NaN : Number(match[1])
  if (!Number.isSafeInteger(due)) {
    throw new ServerError('PAGE_CURSOR_INVALID', { cursor, reason: 'not an overdue-list cursor' })
  }
  return { due, id: match![2]! }
}

/**
 * A page of the open notices past a deadline, oldest due first; `after` reads on from an
 * earlier page's `cursors.after`, which is null on the last page.
 */
export async function listOverdue(
  ctx: NodeContext,
  officer: RequestOfficer,
  query: { limit?: number; after?: string } = {},
): Promise<{ notices: NoticeView[]; cursors: { before: null; after: string | null } }> {
  const after = query.after === undefined ? undefined : overduePositionOf(query.after)
  const page = await overdueNotices(ctx.db, await readableChannels(ctx, officer), ctx.now(), {
    limit: query.limit ?? PAGE_DEFAULT_LIMIT,
    ...(after === undefined ? {} : { after }),
  })
  const last = page.rows.at(-1)
  return {
    notices: await views(ctx, page.rows),
    cursors: {
      before: null,
      after:
        page.more && last !== undefined
          ? overdueCursorOf({ due: last.firstDue, id: last.id })
          : null,
    },
  }
}

/** One notice with its history: its events, the receipts that delivered it, and its firings. */
export async function readNotice(
  ctx: NodeContext,
  officer: RequestOfficer,
  id: string,
): Promise<NoticeView & { history: History[] }> {
  const row = await noticeById(ctx.db, id)
  const channels = await readableChannels(ctx, officer)
  if (row === undefined) throw new ServerError('NOTICE_NOT_FOUND', { notice: id })
  if (channels !== undefined && !channels.includes(row.channel)) {
    throw new ServerError('CHANNEL_FORBIDDEN', { channel: row.channel })
  }
  const [view] = await views(ctx, [row])
  const events = await noticeEvents(ctx.db, id)
  const history: History[] = events.map((event) => ({
    at: event.time,
    what: EVENT_WHAT[event.type]!,
    party: event.party,
    event: event.event,
    receipt: null,
    officer: event.officer,
    ...(event.type === 'notice.reply' ? { final: event.final === true } : {}),
  }))
  const { recipients, deadlines } = await partsOf(ctx.db, [id])
  for (const recipient of recipients) {
    if (recipient.delivered_at === null) continue
    history.push({
      at: recipient.delivered_at,
      what: 'delivered',
      party: recipient.party,
      event: null,
      receipt: recipient.receipt,
      officer: null,
    })
  }
  for (const deadline of deadlines) {
    if (deadline.fired_at === null) continue
    history.push({
      at: deadline.fired_at,
      what: 'overdue',
      party: deadline.owner === 'recipient' ? deadline.party : row.opener,
      event: null,
      receipt: null,
      officer: null,
      deadline: deadline.name,
    })
  }
  history.sort((a, b) => a.at - b.at)
  return { ...view!, history }
}

const EVENT_WHAT: Record<string, History['what']> = {
  'notice.open': 'opened',
  'notice.ack': 'acknowledged',
  'notice.reply': 'replied',
  'notice.close': 'closed',
}

export interface History {
  at: number
  what: 'opened' | 'delivered' | 'acknowledged' | 'replied' | 'closed' | 'overdue'
  party: string
  event: string | null
  receipt: string | null
  officer: string | null
  final?: boolean
  deadline?: string
}

/** Notices as the API shows them, their deadlines measured as of the node's clock. */
async function views(ctx: NodeContext, rows: readonly NoticeRow[]): Promise<NoticeView[]> {
  const { recipients, deadlines } = await partsOf(
    ctx.db,
    rows.map((row) => row.id),
  )
  const recipientsOf = Map.groupBy(recipients, (recipient) => recipient.notice)
  const deadlinesOf = Map.groupBy(deadlines, (d) => `${d.notice}\u0000${d.party}`)
  const now = ctx.now()
  return rows.map((row) => {
    const shown = (recipientsOf.get(row.id) ?? []).map((recipient) =>
      recipientView(
        row,
        recipient,
        deadlinesOf.get(`${row.id}\u0000${recipient.party}`) ?? [],
        now,
      ),
    )
    return {
      id: row.id,
      channel: row.channel,
      opener: row.opener,
      officer: row.officer,
      kind: row.kind as NoticeView['kind'],
      urgency: row.urgency,
      tlp: row.tlp as NoticeView['tlp'],
      subject: row.subject,
      severity: row.severity,
      sectors: row.sectors,
      openedAt: row.opened_at,
      closedAt: row.closed_at,
      overdue: shown.some((recipient) => recipient.overdue),
      recipients: shown,
    }
  })
}

function recipientView(
  notice: NoticeRow,
  recipient: RecipientRow,
  deadlines: readonly DeadlineRow[],
  now: number,
): NoticeView['recipients'][number] {
  const measured: DeadlineView[] = deadlines.map((d) => {
    const status = statusOf(d.due_at, d.met_at, notice.closed_at, now)
    return {
      name: d.name,
      by: d.owner,
      within: d.within,
      dueAt: d.due_at,
      metAt: d.met_at,
      status,
      met: status === 'met' ? true : status === 'late' || status === 'overdue' ? false : null,
      firedAt: d.fired_at,
    }
  })
  const state =
    notice.closed_at !== null
      ? 'closed'
      : recipient.replied_at !== null
        ? 'replied'
        : recipient.ack_at !== null
          ? 'acknowledged'
          : recipient.delivered_at !== null
            ? 'delivered'
            : 'sent'
  return {
    party: recipient.party,
    state,
    overdue: notice.closed_at === null && measured.some((d) => d.status === 'overdue'),
    deliveredAt: recipient.delivered_at,
    receipt: recipient.receipt,
    acknowledgedAt: recipient.ack_at,
    acknowledgedBy: recipient.ack_officer,
    repliedAt: recipient.replied_at,
    finalAt: recipient.final_at,
    deadlines: measured,
  }
}

/**
 * The deadline job: when a deadline falls due, the node marks it overdue for the party that
 * must act and tells the escalation port, in one transaction with the job's completion, unless
 * an acknowledgment, a reply or the close got there first. A deadline that fell due while the
 * node was down runs at start-up; the scheduler runs each key once. Deadlines due together
 * are marked together, one transaction per claim.
 */
export function handleDeadlines(ctx: NodeContext, alerts: NoticeAlerts): void {
  // Deadlines fall due by the thousand when many notices went out together: the ones a claim
  // took are marked in one transaction, so none waits behind another's commit.
  ctx.scheduler.handleBatch(DEADLINE_JOB, async (jobs, complete) => {
    await ctx.db.transaction().execute(async (trx) => {
      const now = ctx.now()
      for (const job of jobs) {
        const { notice, party, deadline } = job.payload as unknown as DeadlineJob
        await markOverdue(trx, now, notice, party, deadline, alerts)
      }
      await complete(trx)
    })
  })
}

async function markOverdue(
  trx: Transaction<DB>,
  now: number,
  notice: string,
  party: string,
  name: string,
  alerts: NoticeAlerts,
): Promise<void> {
  const row = await trx
    .selectFrom('notice_deadlines as d')
    .innerJoin('notices', 'notices.id', 'd.notice')
    .innerJoin('notice_recipients as r', (join) =>
      join.onRef('r.notice', '=', 'd.notice').onRef('r.party', '=', 'd.party'),
    )
    .select([
      'd.due_at',
      'd.met_at',
      'd.owner',
      'notices.closed_at',
      'notices.channel',
      'notices.kind',
      'notices.urgency',
      'notices.subject',
      'notices.opener',
      'r.delivered_at',
    ])
    .where('d.notice', '=', notice)
    .where('d.party', '=', party)
    .where('d.name', '=', name)
    .executeTakeFirst()
  if (row === undefined || row.met_at !== null || row.closed_at !== null || row.due_at === null) {
    return
  }
  if (row.due_at > now) return
  const fired = await trx
    .insertInto('notice_overdue')
    .values({ notice, party, deadline: name, fired_at: now })
    .onConflict((oc) => oc.columns(['notice', 'party', 'deadline']).doNothing())
    .returning('fired_at')
    .executeTakeFirst()
  if (fired === undefined || alerts.overdue === undefined || row.kind === 'ping') return
  if (name !== 'acknowledge' && name !== 'respond') return
  const alert: NoticeAlert = {
    key: `${notice}:${party}:${name}`,
    party: row.owner === 'recipient' ? party : row.opener,
    channel: row.channel,
    notice,
    kind: row.kind,
    urgency: row.urgency,
    subject: row.subject,
    deadline: name,
    startedAt: row.delivered_at!,
    dueAt: row.due_at,
  }
  await alerts.overdue(alert, trx)
}

/** Per party: pings delivered, answered by a human, and how fast. */
export async function pingStats(
  ctx: NodeContext,
  officer: RequestOfficer,
  channel: string | undefined,
): Promise<
  {
    party: string
    pings: number
    answered: number
    responseRate: number | null
    medianMs: number | null
    p90Ms: number | null
    lastAnsweredAt: number | null
  }[]
> {
  let channels = await readableChannels(ctx, officer)
  if (channel !== undefined) {
    if (channels !== undefined && !channels.includes(channel)) {
      throw new ServerError('CHANNEL_FORBIDDEN', { channel })
    }
    channels = [channel]
  }
  const rows = await pingRecipients(ctx.db, channels)
  const parties = [...new Set(rows.map((row) => row.party))]
  return parties.map((party) => {
    const delivered = rows.filter((row) => row.party === party && row.delivered_at !== null)
    const times = delivered
      .filter((row) => row.ack_at !== null)
      .map((row) => Math.max(0, row.ack_at! - row.delivered_at!))
      .sort((a, b) => a - b)
    const answered = delivered.filter((row) => row.ack_at !== null)
    return {
      party,
      pings: delivered.length,
      answered: answered.length,
      responseRate: delivered.length === 0 ? null : answered.length / delivered.length,
      medianMs: percentile(times, 0.5),
      p90Ms: percentile(times, 0.9),
      lastAnsweredAt:
        answered.length === 0 ? null : Math.max(...answered.map((row) => row.ack_at!)),
    }
  })
}

/** The nearest-rank percentile of sorted values (the median of an even count is its lower middle). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!
}
