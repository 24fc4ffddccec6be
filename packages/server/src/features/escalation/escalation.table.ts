import type { Generated } from 'kysely'
import type { JsonColumn } from '../../ledger/ledger.table.ts'

/** A party's escalation config (contacts and one ladder per urgency), as its admins set it. */
export interface EscalationConfigsTable {
  party: string
  config: JsonColumn
  updated_at: number
  updated_by: string | null
}

/** A webhook endpoint that answered 410 Gone: no step sends to it until the config is set again. */
export interface EscalationDisabledWebhooksTable {
  party: string
  url: string
  disabled_at: number
  status: number
}

/** One ladder: a notice deadline of one hosted party, from `begin` to its end. */
export interface EscalationsTable {
  /** `${notice}:${party}:${deadline}`. */
  key: string
  party: string
  channel: string
  notice: string
  kind: string
  urgency: string
  subject: string
  deadline: string
  started_at: number
  due_at: number
  began_at: number
  ended_at: number | null
  end_reason: string | null
}

export type StepState = 'pending' | 'retrying' | 'sent' | 'failed' | 'skipped' | 'cancelled'

export interface EscalationStepsTable {
  escalation: string
  index: number
  /** The step as the ladder said when the escalation began. */
  spec: JsonColumn
  due_at: number
  state: StepState
  /** The scheduler job that runs it next (a retry is a job of its own). */
  job_key: string
  attempts: number
}

export interface EscalationAttemptsTable {
  id: Generated<number>
  escalation: string
  index: number
  attempt: number
  at: number
  outcome: string
  detail: string
  recipients: JsonColumn<string[]>
  smtp_code: number | null
  http_status: number | null
  retry_at: number | null
}

/** The node's Ed25519 key for `v1a` webhook signatures. */
export interface WebhookKeysTable {
  id: string
  /** PKCS#8 PEM. */
  private_key: string
  /** `whpk_` and the raw public key in base64, as Standard Webhooks writes it. */
  public_key: string
  created_at: number
}

export interface EscalationTables {
  escalation_configs: EscalationConfigsTable
  escalation_disabled_webhooks: EscalationDisabledWebhooksTable
  escalations: EscalationsTable
  escalation_steps: EscalationStepsTable
  escalation_attempts: EscalationAttemptsTable
  webhook_keys: WebhookKeysTable
}
