import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import {
  JURISDICTIONS,
  type Jurisdiction,
  type PageCursors,
  type PageQuery,
  RIGHTS_KINDS,
  type RightsKind,
  type RightsRequestView,
} from '@parley/api'
import type { Kysely, Transaction } from 'kysely'
import { ServerError } from '../../errors.ts'
import type { NodeContext } from '../../node/context.ts'
import type { JobRun } from '../../node/scheduler.ts'
import { type Keyset, readPage } from '../../store/keyset.ts'
import type { DB } from '../../store/tables.ts'
import { audit } from '../audit/audit.service.ts'
import type { NoticeAlert } from '../escalation/escalation.service.ts'
import type { Mail, MailOutcome } from '../escalation/mailer.ts'
import {
  insertRequest,
  lockRequest,
  type RequestRow,
  requestRange,
  setOptOut,
  updateRequest,
} from './privacy.repository.ts'
import type { PrivacySettings } from './privacy-config.ts'
import { type Language, responseMail, verificationMail } from './privacy-mail.ts'
import { rightsDeadline } from './rights-deadline.ts'

/**
 * The escalation port (wired to the escalation ladder in `app.ts`): an open request's deadline
 * starts a ladder as a notice's does, and an answer or a close stops it.
 */
export interface RightsAlerts {
  begin(alert: NoticeAlert, trx: Transaction<DB>): Promise<void>
  end(
    notice: string,
    party: string,
    reason: 'replied' | 'closed',
    trx: Transaction<DB>,
  ): Promise<void>
}

export interface RightsContext {
  readonly node: NodeContext
  /** The hosted party whose admins answer requests and whose ladder escalates them. */
  readonly party: string
  readonly settings: PrivacySettings
  readonly alerts: RightsAlerts
  /** Sends e-mail (undefined: no SMTP server configured, so no identity can be checked). */
  readonly mail: ((mail: Mail) => Promise<MailOutcome>) | undefined
  /** The node's public base URL, for the link in the e-mail check. */
  readonly baseUrl: string
}

/** A request as the form sends it. */
export interface RightsForm {
  readonly kind: string | undefined
  readonly jurisdiction: string | undefined
  readonly email: string | undefined
  readonly details: string | undefined
  readonly language: Language
}

/** The scheduler job kind of a request's deadline. */
export const DEADLINE_JOB = 'privacy.request.deadline'
/** The pseudo-channel escalations of rights requests are filed under. */
export const PRIVACY_CHANNEL = 'privacy'

const EMAIL = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/

/**
 * Takes a request from the public form: checks it, e-mails the link that proves the address
 * is the requester's, and stores the request unverified with only the link token's hash. A
 * refusal stores nothing; so does a mail the server would not take.
 */
export async function submitRequest(
  ctx: RightsContext,
  form: RightsForm,
): Promise<{ id: string; email: string }> {
  const kind = oneOf(form.kind, RIGHTS_KINDS, 'kind')
  const jurisdiction = oneOf(form.jurisdiction, JURISDICTIONS, 'jurisdiction')
  const email = (form.email ?? '').trim().toLowerCase()
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new ServerError('PRIVACY_EMAIL_INVALID', { email: email.slice(0, 64) })
  }
  const details = (form.details ?? '').trim()
  if (details.length > 5000) {
    throw new ServerError('PRIVACY_FORM_INVALID', {
      field: 'details',
      reason: 'over 5000 characters',
    })
  }
  if (kind === 'correction' && details === '') {
    throw new ServerError('PRIVACY_FORM_INVALID', {
      field: 'details',
      reason: 'a correction must say what to correct',
    })
  }
  if (ctx.mail === undefined)
    throw new ServerError('PRIVACY_MAIL_UNAVAILABLE', { reason: 'no SMTP server is configured' })
  const now = ctx.node.now()
  const id = `pr_${randomBytes(16).toString('hex')}`
  const token = randomBytes(32).toString('base64url')
  const expiresAt = now + ctx.settings.verificationMs
  const link = `${ctx.baseUrl}/public/privacy/verify?request=${id}&token=${token}&lang=${form.language}`
  const sent = await ctx.mail({
    to: [email],
    ...verificationMail(form.language, { kind, link, expiresAt }),
  })
  if (!sent.ok) throw new ServerError('PRIVACY_MAIL_UNAVAILABLE', { reason: sent.reason })
  await ctx.node.db.transaction().execute(async (trx) => {
    await insertRequest(trx, {
      id,
      kind,
      jurisdiction,
      email,
      details,
      language: form.language,
      state: 'unverified',
      token_hash: tokenHash(token),
      token_expires_at: expiresAt,
      created_at: now,
      verified_at: null,
      due_at: null,
      overdue_at: null,
      responded_at: null,
      response: null,
      closed_at: null,
    })
    await audit(trx, {
      time: now,
      action: 'privacy.request.submit',
      officer: null,
      party: ctx.party,
      details: { request: id, kind, jurisdiction },
    })
  })
  return { id, email }
}

/**
 * Checks the e-mailed token (once, before it expires) and opens the request: its deadline,
 * counted from when it was received, goes on the durable scheduler, the party's escalation
 * ladder starts, and an opt-out takes effect for the address at once.
 */
export async function verifyRequest(
  ctx: RightsContext,
  id: string,
  token: string,
): Promise<RightsRequestView> {
  const now = ctx.node.now()
  return ctx.node.db.transaction().execute(async (trx) => {
    const row = /^pr_[0-9a-f]{32}$/.test(id) ? await lockRequest(trx, id) : undefined
    if (row === undefined || row.state !== 'unverified' || !sameHash(row.token_hash, token)) {
      throw new ServerError('PRIVACY_CODE_INVALID')
    }
    if (now >= Number(row.token_expires_at)) {
      throw new ServerError('PRIVACY_CODE_EXPIRED', { expiredAt: Number(row.token_expires_at) })
    }
    const dueAt = rightsDeadline(row.jurisdiction as Jurisdiction, Number(row.created_at))
    const opened: RequestRow = {
      ...row,
      state: 'open',
      token_hash: '',
      verified_at: now,
      due_at: dueAt,
    }
    await updateRequest(trx, id, {
      state: 'open',
      token_hash: '',
      verified_at: now,
      due_at: dueAt,
    })
    await ctx.node.scheduler.schedule(trx, {
      kind: DEADLINE_JOB,
      key: id,
      dueAt,
      payload: { request: id },
    })
    await ctx.alerts.begin(alertOf(ctx, opened), trx)
    if (row.kind === 'opt-out') await setOptOut(trx, row.email, id, now)
    await audit(trx, {
      time: now,
      action: 'privacy.request.verify',
      officer: null,
      party: ctx.party,
      details: { request: id, kind: row.kind, jurisdiction: row.jurisdiction, dueAt },
    })
    return view(opened)
  })
}

/** Registers the deadline job: when it fires (once) on a request still unanswered, it is overdue. */
export function handleRightsDeadlines(ctx: RightsContext): void {
  ctx.node.scheduler.handle(DEADLINE_JOB, async (job: JobRun) => {
    const { request } = job.payload as { request: string }
    await ctx.node.db.transaction().execute(async (trx) => {
      const row = await lockRequest(trx, request)
      if (row !== undefined && row.state === 'open' && row.overdue_at === null) {
        const now = ctx.node.now()
        await updateRequest(trx, request, { overdue_at: now })
        await audit(trx, {
          time: now,
          action: 'privacy.request.overdue',
          officer: null,
          party: ctx.party,
          details: { request, kind: row.kind, dueAt: Number(row.due_at) },
        })
      }
      await job.complete(trx)
    })
  })
}

/** An admin's answer: the request is answered, its ladder stops, and the requester is mailed. */
export async function respondToRequest(
  ctx: RightsContext,
  officer: string,
  id: string,
  response: string,
): Promise<RightsRequestView> {
  const now = ctx.node.now()
  const answered = await ctx.node.db.transaction().execute(async (trx) => {
    const row = await lockedOpen(trx, id)
    if (row.state === 'unverified')
      throw new ServerError('PRIVACY_REQUEST_UNVERIFIED', { request: id })
    const next: RequestRow = { ...row, state: 'responded', responded_at: now, response }
    await updateRequest(trx, id, { state: 'responded', responded_at: now, response })
    await ctx.node.scheduler.cancel(trx, DEADLINE_JOB, id)
    await ctx.alerts.end(id, ctx.party, 'replied', trx)
    await audit(trx, {
      time: now,
      action: 'privacy.request.respond',
      officer,
      party: ctx.party,
      details: {
        request: id,
        kind: row.kind,
        late: row.due_at !== null && now > Number(row.due_at),
      },
    })
    return next
  })
  const sent = await ctx.mail?.({
    to: [answered.email],
    ...responseMail(answered.language as Language, { kind: answered.kind, response }),
  })
  if (sent !== undefined && !sent.ok) {
    ctx.node.log.warn({ request: id, reason: sent.reason }, 'rights request answer not mailed')
  }
  return view(answered)
}

/** Closes a request (any state but closed): its deadline and ladder stop. */
export async function closeRequest(
  ctx: RightsContext,
  officer: string,
  id: string,
): Promise<RightsRequestView> {
  const now = ctx.node.now()
  return ctx.node.db.transaction().execute(async (trx) => {
    const row = await lockedOpen(trx, id)
    await updateRequest(trx, id, { state: 'closed', closed_at: now })
    await ctx.node.scheduler.cancel(trx, DEADLINE_JOB, id)
    if (row.state !== 'unverified') await ctx.alerts.end(id, ctx.party, 'closed', trx)
    await audit(trx, {
      time: now,
      action: 'privacy.request.close',
      officer,
      party: ctx.party,
      details: { request: id, kind: row.kind, from: row.state },
    })
    return view({ ...row, state: 'closed', closed_at: now })
  })
}

async function lockedOpen(trx: Transaction<DB>, id: string): Promise<RequestRow> {
  const row = await lockRequest(trx, id)
  if (row === undefined) throw new ServerError('PRIVACY_REQUEST_NOT_FOUND', { request: id })
  if (row.state === 'closed') throw new ServerError('PRIVACY_REQUEST_CLOSED', { request: id })
  return row
}

const requestKeyset: Keyset<RequestRow> = {
  scope: 'privacy-requests',
  columns: ['created_at', 'id'],
  kinds: ['int', 'text'],
  key: (row) => [Number(row.created_at), row.id],
}

/** A page of requests (the newest by default), oldest first, optionally in one state. */
export async function requestPage(
  db: Kysely<DB>,
  query: PageQuery & { readonly state?: string },
): Promise<{ requests: RightsRequestView[]; cursors: PageCursors }> {
  const { state, ...page } = query
  const read = await readPage(requestKeyset, page, (where, direction, limit) =>
    requestRange(db, { where, direction, limit, ...(state === undefined ? {} : { state }) }),
  )
  return { requests: read.items.map(view), cursors: read.cursors }
}

function alertOf(ctx: RightsContext, row: RequestRow): NoticeAlert {
  return {
    key: `${row.id}:${ctx.party}:respond`,
    party: ctx.party,
    channel: PRIVACY_CHANNEL,
    notice: row.id,
    kind: `privacy.${row.kind}`,
    urgency: 'priority',
    subject: `Rights request (${row.kind}, ${row.jurisdiction.toUpperCase()}) from ${row.email}`,
    deadline: 'respond',
    startedAt: Number(row.created_at),
    dueAt: Number(row.due_at),
  }
}

function view(row: RequestRow): RightsRequestView {
  const time = (value: number | null) => (value === null ? null : Number(value))
  return {
    id: row.id,
    kind: row.kind as RightsKind,
    jurisdiction: row.jurisdiction as Jurisdiction,
    email: row.email,
    details: row.details,
    language: row.language,
    state: row.state,
    createdAt: Number(row.created_at),
    verifiedAt: time(row.verified_at),
    dueAt: time(row.due_at),
    overdueAt: time(row.overdue_at),
    respondedAt: time(row.responded_at),
    response: row.response,
    closedAt: time(row.closed_at),
  }
}

function oneOf<const T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  field: string,
): T {
  if (value === undefined || !(allowed as readonly string[]).includes(value)) {
    throw new ServerError('PRIVACY_FORM_INVALID', {
      field,
      reason: `must be one of ${allowed.join(', ')}`,
    })
  }
  return value as T
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

function sameHash(stored: string, token: string): boolean {
  if (stored === '' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false
  return timingSafeEqual(Buffer.from(stored, 'hex'), Buffer.from(tokenHash(token), 'hex'))
}
