import { type ExpressionBuilder, type Kysely, type SelectQueryBuilder, sql } from 'kysely'
import type { DB } from '../../store/tables.ts'
import type {
  NoticeDeadlinesTable,
  NoticeEventsTable,
  NoticeRecipientsTable,
  NoticesTable,
} from './notices.table.ts'

export type NoticeRow = Omit<NoticesTable, 'sectors'> & { sectors: string[] }
export type RecipientRow = NoticeRecipientsTable
export type DeadlineRow = NoticeDeadlinesTable & { fired_at: number | null }
export type NoticeEventRow = NoticeEventsTable

export interface NoticeFilter {
  /** The channels the officer may see; undefined: every channel (the automation credential). */
  readonly channels?: readonly string[]
  readonly channel?: string
  readonly state?: string
  readonly kind?: string
  readonly urgency?: string
  readonly overdue?: boolean
  readonly party?: string
}

type NoticeQuery = SelectQueryBuilder<DB, 'notices', object>

/** A recipient's state, as SQL over its row and its notice's. */
const recipientState = sql<string>`case
  when notices.closed_at is not null then 'closed'
  when r.replied_at is not null then 'replied'
  when r.ack_at is not null then 'acknowledged'
  when r.delivered_at is not null then 'delivered'
  else 'sent' end`

/** Applies the list filters to a query of notices. */
function filtered(query: NoticeQuery, filter: NoticeFilter, now: number): NoticeQuery {
  let q = query
  if (filter.channels !== undefined) {
    if (filter.channels.length === 0) return q.where(sql<boolean>`false`)
    q = q.where('notices.channel', 'in', filter.channels)
  }
  if (filter.channel !== undefined) q = q.where('notices.channel', '=', filter.channel)
  if (filter.kind !== undefined) q = q.where('notices.kind', '=', filter.kind)
  if (filter.urgency !== undefined) q = q.where('notices.urgency', '=', filter.urgency as never)
  const { state, overdue, party } = filter
  if (state === undefined && overdue === undefined && party === undefined) return q
  const late = sql<boolean>`exists (select 1 from notice_deadlines d
    where d.notice = r.notice and d.party = r.party and d.met_at is null and d.due_at < ${now})`
  const recipients = (eb: ExpressionBuilder<DB, 'notices'>) => {
    let rows = eb
      .selectFrom('notice_recipients as r')
      .select('r.party')
      .whereRef('r.notice', '=', 'notices.id')
    if (party !== undefined) rows = rows.where('r.party', '=', party)
    if (state !== undefined) rows = rows.where(sql<boolean>`${recipientState} = ${state}`)
    return rows
  }
  if (state !== undefined || party !== undefined || overdue === true) {
    q = q.where((eb) =>
      eb.exists(
        overdue === true
          ? recipients(eb).where(late).where('notices.closed_at', 'is', null)
          : recipients(eb),
      ),
    )
  }
  if (overdue === false) {
    // Not overdue: no recipient (of those filtered) is past a deadline while the notice is open.
    q = q.where((eb) =>
      eb.or([
        eb('notices.closed_at', 'is not', null),
        eb.not(eb.exists(recipients(eb).where(late))),
      ]),
    )
  }
  return q
}

/**
 * A page of notices, newest first. `before` (a log position) pages to older ones, `after` to
 * newer ones; `hasOlder`/`hasNewer` say whether a next page exists either way.
 */
export async function pageNotices(
  db: Kysely<DB>,
  filter: NoticeFilter,
  page: { limit: number; before?: number; after?: number },
  now: number,
): Promise<{ rows: NoticeRow[]; hasOlder: boolean; hasNewer: boolean }> {
  const base = () => filtered(db.selectFrom('notices'), filter, now)
  let query = base().selectAll('notices')
  if (page.after !== undefined) {
    query = query.where('notices.position', '>', page.after).orderBy('notices.position', 'asc')
  } else {
    if (page.before !== undefined) query = query.where('notices.position', '<', page.before)
    query = query.orderBy('notices.position', 'desc')
  }
  const found = await query.limit(page.limit).execute()
  const rows = (page.after !== undefined ? found.reverse() : found).map(noticeRow)
  if (rows.length === 0) return { rows, hasOlder: false, hasNewer: false }
  const beyond = async (op: '<' | '>', position: number) =>
    (await base()
      .select('notices.id')
      .where('notices.position', op, position)
      .limit(1)
      .executeTakeFirst()) !== undefined
  return {
    rows,
    hasOlder: await beyond('<', rows.at(-1)!.position),
    hasNewer: await beyond('>', rows[0]!.position),
  }
}

export async function noticeById(db: Kysely<DB>, id: string): Promise<NoticeRow | undefined> {
  const row = await db.selectFrom('notices').selectAll().where('id', '=', id).executeTakeFirst()
  return row === undefined ? undefined : noticeRow(row)
}

/** Where a page of the overdue list ends: its last notice's first unmet due time and id. */
export interface OverduePosition {
  readonly due: number
  readonly id: string
}

/**
 * A page of the open notices with a deadline past due and unmet, oldest due first. A notice
 * stands at its first unmet deadline (`next_due`, kept by the projection), so a page reads
 * `limit` rows of the partial index `notices_overdue`, however long the list is.
 */
export async function overdueNotices(
  db: Kysely<DB>,
  channels: readonly string[] | undefined,
  now: number,
  page: { limit: number; after?: OverduePosition },
): Promise<{ rows: (NoticeRow & { firstDue: number })[]; more: boolean }> {
  if (channels !== undefined && channels.length === 0) return { rows: [], more: false }
  let query = db
    .selectFrom('notices')
    .selectAll()
    .where('closed_at', 'is', null)
    .where('next_due', 'is not', null)
    .where('next_due', '<', now)
  if (channels !== undefined) query = query.where('channel', 'in', channels)
  const { after } = page
  if (after !== undefined) {
    query = query.where(sql<boolean>`(next_due, id) > (${after.due}, ${after.id})`)
  }
  const found = await query
    .orderBy('next_due')
    .orderBy('id')
    .limit(page.limit + 1)
    .execute()
  const rows = found
    .slice(0, page.limit)
    .map((row) => ({ ...noticeRow(row), firstDue: Number(row.next_due) }))
  return { rows, more: found.length > page.limit }
}

/** The recipients and deadlines (with when this node fired them) of some notices. */
export async function partsOf(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<{ recipients: RecipientRow[]; deadlines: DeadlineRow[] }> {
  if (ids.length === 0) return { recipients: [], deadlines: [] }
  const [recipients, deadlines] = await Promise.all([
    db
      .selectFrom('notice_recipients')
      .selectAll()
      .where('notice', 'in', ids)
      .orderBy('notice')
      .orderBy('party')
      .execute(),
    db
      .selectFrom('notice_deadlines as d')
      .leftJoin('notice_overdue as o', (join) =>
        join
          .onRef('o.notice', '=', 'd.notice')
          .onRef('o.party', '=', 'd.party')
          .onRef('o.deadline', '=', 'd.name'),
      )
      .selectAll('d')
      .select('o.fired_at')
      .where('d.notice', 'in', ids)
      .orderBy('d.notice')
      .orderBy('d.party')
      .orderBy('d.ordinal')
      .execute(),
  ])
  return { recipients, deadlines }
}

export function noticeEvents(db: Kysely<DB>, notice: string): Promise<NoticeEventRow[]> {
  return db
    .selectFrom('notice_events')
    .selectAll()
    .where('notice', '=', notice)
    .orderBy('position')
    .execute()
}

/** Recipients of ping notices, for the ping statistics. */
export function pingRecipients(
  db: Kysely<DB>,
  channels: readonly string[] | undefined,
): Promise<{ party: string; delivered_at: number | null; ack_at: number | null }[]> {
  let query = db
    .selectFrom('notice_recipients as r')
    .innerJoin('notices', 'notices.id', 'r.notice')
    .select(['r.party', 'r.delivered_at', 'r.ack_at'])
    .where('notices.kind', '=', 'ping')
  if (channels !== undefined) {
    if (channels.length === 0) return Promise.resolve([])
    query = query.where('notices.channel', 'in', channels)
  }
  return query.orderBy('r.party').execute()
}

function noticeRow(row: NoticesTable | (Omit<NoticesTable, 'sectors'> & { sectors: unknown })) {
  const sectors = row.sectors
  return {
    ...row,
    sectors: (typeof sectors === 'string' ? JSON.parse(sectors) : sectors) as string[],
  } as NoticeRow
}
