import { createHash } from 'node:crypto'
import type { EscalationStep } from '@parley/api'
import type { Transaction } from 'kysely'
import { clearAlarm, openAlarms, raiseAlarm } from '../../ledger/alarms.ts'
import type { NodeContext } from '../../node/context.ts'
import type { JobRun } from '../../node/scheduler.ts'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'
import { audit } from '../audit/audit.service.ts'
import { onDuty } from '../rosters/rosters.service.ts'
import {
  disableWebhook,
  type EscalationRow,
  endEscalations,
  escalationRow,
  insertAttempt,
  insertEscalation,
  insertSteps,
  isWebhookDisabled,
  openSteps,
  stepRow,
  updateStep,
} from './escalation.repository.ts'
import type { StepState } from './escalation.table.ts'
import { configOf } from './escalation-config.ts'
import { escalationMail } from './escalation-mail.ts'
import { retryAfterMs, retryDelay, stepDueAt } from './ladder.ts'
import { Mailer } from './mailer.ts'
import type { SmtpSettings } from './smtp-config.ts'
import { postWebhook, type WebhookKey, webhookKey, webhookSignature } from './webhook.ts'

/** A notice deadline that a hosted party's officers must meet: what begins a ladder. */
export interface NoticeAlert {
  /** `${notice}:${party}:${deadline}`. */
  readonly key: string
  /** The hosted party whose officers must act. */
  readonly party: string
  readonly channel: string
  /** The notice.open event id. */
  readonly notice: string
  readonly kind: string
  readonly urgency: 'routine' | 'priority' | 'flash'
  readonly subject: string
  readonly deadline: 'acknowledge' | 'respond'
  /** The signed receipt time. */
  readonly startedAt: number
  readonly dueAt: number
}

export type EscalationEnd = 'acknowledged' | 'replied' | 'closed'

/** The scheduler job kind of one step (and of each of its retries). */
export const STEP_JOB = 'escalation.step'

/** How long after `begin` the ladder looks again for steps due at once. */
const WAKE_AFTER_COMMIT_MS = 200

/** Tries of one e-mail or webhook step before it is `failed`. */
const MAX_ATTEMPTS = 8

/** Which ladders an end stops: a reply answers the acknowledgment too, a close ends all. */
const ENDS: Record<EscalationEnd, readonly NoticeAlert['deadline'][]> = {
  acknowledged: ['acknowledge'],
  replied: ['acknowledge', 'respond'],
  closed: ['acknowledge', 'respond'],
}

/** A step as stored: the ladder's step, with the contacts it mails when it mails contacts. */
export type StoredStep = EscalationStep & { readonly contacts?: readonly string[] }

/** What one attempt of a step came to, before it is recorded. */
interface Outcome {
  readonly outcome: 'sent' | 'refused' | 'failed' | 'disabled' | 'skipped'
  readonly detail: string
  readonly recipients?: readonly string[]
  readonly smtpCode?: number | null
  readonly httpStatus?: number | null
  /** Try again (with at least this delay when the receiver named one). */
  readonly retry?: { readonly afterMs: number | null }
  /** Work that commits with the record of the attempt (the console alarm). */
  readonly write?: (trx: Transaction<DB>) => Promise<void>
}

export interface EscalationOptions {
  readonly smtp?: SmtpSettings
}

/**
 * The escalation ladder. `begin` (called by the notices projection when a notice reaches a
 * hosted party) snapshots the party's ladder for the notice's urgency and schedules one job
 * per step on the node's durable scheduler, in the caller's transaction; `end` (on an
 * acknowledgment, a reply or a close) cancels the steps not yet run. Every attempt, with its
 * SMTP code or HTTP status, is stored and audited.
 *
 * Made before the node context (the notices projection needs it and the context needs the
 * projections), then `attach`ed to the context, which registers the step handler.
 */
export class Escalation {
  readonly #mailer: Mailer | undefined
  #node: NodeContext | undefined
  #key: Promise<WebhookKey> | undefined
  #closed = false

  constructor(options: EscalationOptions = {}) {
    this.#mailer = options.smtp === undefined ? undefined : new Mailer(options.smtp)
  }

  /** Connects the ladder to its node: steps run on the node's scheduler from now on. */
  attach(node: NodeContext): void {
    this.#node = node
    node.scheduler.handle(STEP_JOB, (job) => this.#runStep(job))
  }

  /** Stops looking for due steps and closes the SMTP transport (the node is closing). */
  close(): void {
    this.#closed = true
    this.#mailer?.close()
  }

  get #ctx(): NodeContext {
    if (this.#node === undefined) throw new Error('the escalation ladder is not attached to a node')
    return this.#node
  }

  /**
   * Starts the ladder of one notice deadline, in `trx`. A second call with the same key (a
   * replay of the log, a receipt sent again) changes nothing.
   */
  async begin(alert: NoticeAlert, trx: Transaction<DB>): Promise<void> {
    const ctx = this.#ctx
    const now = ctx.now()
    const config = await configOf(trx, alert.party)
    const began = await insertEscalation(trx, {
      key: alert.key,
      party: alert.party,
      channel: alert.channel,
      notice: alert.notice,
      kind: alert.kind,
      urgency: alert.urgency,
      subject: alert.subject,
      deadline: alert.deadline,
      started_at: alert.startedAt,
      due_at: alert.dueAt,
      began_at: now,
      ended_at: null,
      end_reason: null,
    })
    if (!began) return
    const steps = config.ladders[alert.urgency].map((step, index) => {
      const spec: StoredStep =
        step.action === 'email' && step.to === 'contacts'
          ? { ...step, contacts: config.contacts.map((c) => c.email) }
          : step
      return {
        escalation: alert.key,
        index,
        spec: jsonb(spec),
        due_at: stepDueAt(step, alert.startedAt, alert.dueAt),
        state: 'pending' as const,
        job_key: `${alert.key}#${index}`,
        attempts: 0,
      }
    })
    await insertSteps(trx, steps)
    for (const step of steps) {
      await ctx.scheduler.schedule(trx, {
        kind: STEP_JOB,
        key: step.job_key,
        dueAt: step.due_at,
        payload: { escalation: alert.key, index: step.index },
      })
    }
    // The scheduler's wake-up for a job scheduled in a transaction may fire before the caller
    // commits, and then only its next poll (up to 30 s) finds the job: too late for an alarm
    // "at once". One more look shortly after, when the caller has committed.
    if (steps.some((step) => step.due_at <= now)) {
      ctx.clock.setTimer(WAKE_AFTER_COMMIT_MS, () => {
        if (!this.#closed) ctx.scheduler.runDue().catch(() => undefined)
      })
    }
    await audit(trx, {
      time: now,
      action: 'escalation.begin',
      officer: null,
      party: alert.party,
      details: {
        notice: alert.notice,
        deadline: alert.deadline,
        urgency: alert.urgency,
        dueAt: alert.dueAt,
        steps: steps.length,
      },
    })
  }

  /** Stops a notice's ladders for a party, in `trx`: steps not yet run never run. */
  async end(
    notice: string,
    party: string,
    reason: EscalationEnd,
    trx: Transaction<DB>,
  ): Promise<void> {
    const ctx = this.#ctx
    const now = ctx.now()
    const keys = await endEscalations(trx, { notice, party, deadlines: ENDS[reason] }, now, reason)
    for (const key of keys) {
      const open = await openSteps(trx, key)
      for (const step of open) {
        await ctx.scheduler.cancel(trx, STEP_JOB, step.job_key)
        await updateStep(trx, key, step.index, { state: 'cancelled' })
      }
      await audit(trx, {
        time: now,
        action: 'escalation.end',
        officer: null,
        party,
        details: { notice, reason, cancelled: open.length },
      })
    }
    if (keys.length > 0) {
      for (const alarm of await openAlarms(trx)) {
        const details = alarm.details as { notice?: unknown }
        if (alarm.kind === 'escalation' && alarm.party === party && details.notice === notice) {
          await clearAlarm(trx, alarm.id, now)
        }
      }
    }
  }

  /** The node's public webhook key, as `/.well-known/parley-webhook-key` publishes it. */
  async publicKey(): Promise<WebhookKey> {
    this.#key ??= webhookKey(this.#ctx.db, this.#ctx.now())
    try {
      return await this.#key
    } catch (error) {
      this.#key = undefined
      throw error
    }
  }

  async #runStep(job: JobRun): Promise<void> {
    const ctx = this.#ctx
    const { escalation: key, index } = job.payload as { escalation: string; index: number }
    const escalation = await escalationRow(ctx.db, key)
    const step = await stepRow(ctx.db, key, index)
    // Ended (end() cancelled it), or already recorded by an earlier run of this job.
    if (escalation === undefined || step === undefined || escalation.ended_at !== null) return
    if (step.state !== 'pending' && step.state !== 'retrying') return
    const attempt = step.attempts + 1
    const spec = step.spec as unknown as StoredStep
    const result = await this.#perform(escalation, spec, index, attempt)
    const now = ctx.now()
    const retryAt =
      result.retry !== undefined && attempt < MAX_ATTEMPTS
        ? now + retryDelay(attempt, result.retry.afterMs)
        : null
    const state: StepState =
      result.outcome === 'sent'
        ? 'sent'
        : result.outcome === 'skipped'
          ? 'skipped'
          : retryAt !== null
            ? 'retrying'
            : 'failed'
    await ctx.db.transaction().execute(async (trx) => {
      await result.write?.(trx)
      await insertAttempt(trx, {
        escalation: key,
        index,
        attempt,
        at: now,
        outcome: result.outcome,
        detail: result.detail,
        recipients: jsonb(result.recipients ?? []),
        smtp_code: result.smtpCode ?? null,
        http_status: result.httpStatus ?? null,
        retry_at: retryAt,
      })
      const jobKey = retryAt === null ? step.job_key : `${key}#${index}@${attempt + 1}`
      if (retryAt !== null) {
        await ctx.scheduler.schedule(trx, {
          kind: STEP_JOB,
          key: jobKey,
          dueAt: retryAt,
          payload: { escalation: key, index },
        })
      }
      await updateStep(trx, key, index, { state, attempts: attempt, job_key: jobKey })
      if (result.outcome === 'disabled' && spec.action === 'webhook') {
        await disableWebhook(trx, escalation.party, spec.url, now, result.httpStatus ?? 410)
        await audit(trx, {
          time: now,
          action: 'escalation.webhook.disabled',
          officer: null,
          party: escalation.party,
          details: { url: spec.url, status: result.httpStatus ?? 410, notice: escalation.notice },
        })
      }
      await audit(trx, {
        time: now,
        action: 'escalation.step',
        officer: null,
        party: escalation.party,
        details: {
          notice: escalation.notice,
          deadline: escalation.deadline,
          step: index,
          action: spec.action,
          attempt,
          outcome: result.outcome,
          detail: result.detail,
          smtpCode: result.smtpCode ?? null,
          httpStatus: result.httpStatus ?? null,
          retryAt,
        },
      })
      await job.complete(trx)
    })
  }

  async #perform(
    escalation: EscalationRow,
    spec: StoredStep,
    index: number,
    attempt: number,
  ): Promise<Outcome> {
    const ctx = this.#ctx
    const now = ctx.now()
    if (spec.action === 'alarm') {
      const duty = await onDuty(ctx.db, escalation.party, now)
      const officers = duty.officers.map((o) => o.id)
      return {
        outcome: 'sent',
        detail:
          officers.length === 0
            ? 'console alarm raised; nobody is on duty'
            : 'console alarm raised for the officers on duty',
        recipients: officers,
        write: async (trx) => {
          await raiseAlarm(trx, {
            kind: 'escalation',
            channel: escalation.channel,
            party: escalation.party,
            details: {
              notice: escalation.notice,
              deadline: escalation.deadline,
              urgency: escalation.urgency,
              subject: escalation.subject,
              dueAt: escalation.due_at,
              officers,
            },
            now,
          })
        },
      }
    }
    if (spec.action === 'email') {
      const to =
        spec.to === 'duty'
          ? (await onDuty(ctx.db, escalation.party, now)).officers.flatMap((o) =>
              o.email === null ? [] : [o.email],
            )
          : [...(spec.contacts ?? [])]
      if (this.#mailer === undefined)
        return { outcome: 'skipped', detail: 'no SMTP server configured' }
      if (to.length === 0) {
        return {
          outcome: 'skipped',
          detail:
            spec.to === 'duty'
              ? 'no officer on duty has an e-mail address'
              : 'the party names no escalation contacts',
        }
      }
      const sent = await this.#mailer.send({ to, ...escalationMail(escalation, index, now) })
      if (sent.ok) {
        return {
          outcome: 'sent',
          detail:
            sent.rejected.length === 0
              ? sent.response
              : `${sent.response}; refused for ${sent.rejected.join(', ')}`,
          recipients: sent.accepted,
          smtpCode: Number.parseInt(sent.response, 10) || 250,
        }
      }
      return {
        outcome: sent.code === null ? 'failed' : 'refused',
        detail: sent.reason,
        recipients: to,
        smtpCode: sent.code,
        ...(sent.transient ? { retry: { afterMs: null } } : {}),
      }
    }
    if (await isWebhookDisabled(ctx.db, escalation.party, spec.url)) {
      return { outcome: 'skipped', detail: 'the endpoint is disabled (it answered 410 Gone)' }
    }
    const id = `msg_${createHash('sha256').update(`${escalation.key}#${index}`).digest('hex').slice(0, 32)}`
    const timestamp = Math.floor(now / 1000)
    const body = JSON.stringify({
      type: 'notice.escalation',
      timestamp: new Date(now).toISOString(),
      data: {
        notice: escalation.notice,
        channel: escalation.channel,
        party: escalation.party,
        kind: escalation.kind,
        urgency: escalation.urgency,
        subject: escalation.subject,
        deadline: escalation.deadline,
        startedAt: escalation.started_at,
        dueAt: escalation.due_at,
        step: index,
        attempt,
      },
    })
    const key = await this.publicKey()
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': webhookSignature({ id, timestamp, body }, spec.secret, key),
    }
    const answer = await postWebhook(spec.url, headers, body)
    if (answer.ok)
      return { outcome: 'sent', detail: `HTTP ${answer.status}`, httpStatus: answer.status }
    if (answer.status === 410) {
      return { outcome: 'disabled', detail: 'HTTP 410 Gone: endpoint disabled', httpStatus: 410 }
    }
    return {
      outcome: answer.status === null ? 'failed' : 'refused',
      detail: answer.reason,
      httpStatus: answer.status,
      retry: { afterMs: retryAfterMs(answer.retryAfter, ctx.now()) },
    }
  }
}

/** The ladder of a node, not yet attached to its context. */
export function createEscalation(options: EscalationOptions = {}): Escalation {
  return new Escalation(options)
}
