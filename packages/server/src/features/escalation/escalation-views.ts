import type { EscalationView } from '@parley/api'
import type { Kysely } from 'kysely'
import type { DB } from '../../store/tables.ts'
import { escalationsOfNotice } from './escalation.repository.ts'
import type { NoticeAlert, StoredStep } from './escalation.service.ts'
import { stepTarget } from './ladder.ts'

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
        attempts: attempts.map((a) => ({
          attempt: a.attempt,
          at: a.at,
          outcome: a.outcome as 'sent' | 'refused' | 'failed' | 'disabled' | 'skipped',
          detail: a.detail,
          recipients: a.recipients,
          smtpCode: a.smtp_code,
          httpStatus: a.http_status,
          retryAt: a.retry_at,
        })),
      }
    }),
  }))
}
