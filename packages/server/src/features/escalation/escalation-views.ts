import type { EscalationAttemptEntry, EscalationView, PageQuery } from '@parley/api'
import type { Kysely } from 'kysely'
import { type Keyset, keptOnly, type Page, readPage } from '../../store/keyset.ts'
import type { DB } from '../../store/tables.ts'
import {
  type AttemptRow,
  escalationsOfNotice,
  type PartyAttemptRow,
  partyAttemptRows,
} from './escalation.repository.ts'
import type { NoticeAlert, StoredStep } from './escalation.service.ts'
import { stepTarget } from './ladder.ts'

type AttemptView = EscalationView['steps'][number]['attempts'][number]

function attemptView(a: Omit<AttemptRow, 'escalation' | 'index' | 'id'>): AttemptView {
  return {
    attempt: a.attempt,
    at: a.at,
    outcome: a.outcome as AttemptView['outcome'],
    detail: a.detail,
    recipients: a.recipients,
    smtpCode: a.smtp_code,
    httpStatus: a.http_status,
    retryAt: a.retry_at,
  }
}

/** Every ladder a notice began here, each step with its attempts. */
export async function noticeEscalations(db: Kysely<DB>, notice: string): Promise<EscalationView[]> {
  return (await escalationsOfNotice(db, notice)).map(({ escalation: e, steps }) => ({
    key: e.key,
    party: e.party,
    channel: e.channel,
    notice: e.notice,
    kind: e.kind,
    urgency: e.urgency,
    subject: e.subject,
    deadline: e.deadline as NoticeAlert['deadline'],
    startedAt: e.started_at,
    dueAt: e.due_at,
    endedAt: e.ended_at,
    endReason: e.end_reason,
    steps: steps.map(({ step, attempts }) => {
      const spec = step.spec as unknown as StoredStep
      return {
        index: step.index,
        action: spec.action,
        target: stepTarget(spec),
        dueAt: step.due_at,
        state: step.state,
        attempts: attempts.map(attemptView),
      }
    }),
  }))
}

/** The node-wide attempts' page order: the order the node recorded them in. */
const attemptsKeyset = (party: string): Keyset<PartyAttemptRow> => ({
  scope: `escalation-attempts:${party}`,
  columns: ['escalation_attempts.id'],
  kinds: ['int'],
  key: (row) => [Number(row.id)],
})

/**
 * A page of every delivery attempt of a party's ladders across all notices, oldest first
 * within the page (the newest page by default); `keep` drops the attempts of notices the
 * reader may not see, and the page is filled past them.
 */
export async function partyAttempts(
  db: Kysely<DB>,
  party: string,
  query: PageQuery,
  keep: (rows: PartyAttemptRow[]) => Promise<PartyAttemptRow[]>,
): Promise<Page<EscalationAttemptEntry>> {
  const keyset = attemptsKeyset(party)
  const page = await readPage(
    keyset,
    query,
    keptOnly(
      keyset,
      (where, direction, limit) => partyAttemptRows(db, party, where, direction, limit),
      keep,
    ),
  )
  return {
    items: page.items.map((row) => {
      const spec = row.spec as unknown as StoredStep
      return {
        id: Number(row.id),
        escalation: row.escalation,
        notice: row.notice,
        channel: row.channel,
        subject: row.subject,
        urgency: row.urgency,
        deadline: row.deadline as NoticeAlert['deadline'],
        index: row.index,
        action: spec.action,
        target: stepTarget(spec),
        ...attemptView(row),
      }
    }),
    cursors: page.cursors,
  }
}
