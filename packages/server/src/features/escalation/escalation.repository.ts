import type { EscalationConfig } from '@parley/api'
import type { Kysely, RawBuilder, Selectable, Transaction } from 'kysely'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'
import type {
  EscalationAttemptsTable,
  EscalationStepsTable,
  EscalationsTable,
  StepState,
} from './escalation.table.ts'

type Db = Kysely<DB> | Transaction<DB>

export type EscalationRow = Selectable<EscalationsTable>
export type StepRow = Selectable<EscalationStepsTable>
export type AttemptRow = Selectable<EscalationAttemptsTable>

export async function configRow(db: Db, party: string) {
  return db
    .selectFrom('escalation_configs')
    .select(['config', 'updated_at'])
    .where('party', '=', party)
    .executeTakeFirst()
}

export async function saveConfig(
  trx: Transaction<DB>,
  party: string,
  config: EscalationConfig,
  at: number,
  by: string | null,
): Promise<void> {
  const values = { party, config: jsonb(config), updated_at: at, updated_by: by }
  await trx
    .insertInto('escalation_configs')
    .values(values)
    .onConflict((oc) =>
      oc.column('party').doUpdateSet({ config: values.config, updated_at: at, updated_by: by }),
    )
    .execute()
  await trx.deleteFrom('escalation_disabled_webhooks').where('party', '=', party).execute()
}

export function disabledWebhooks(db: Db, party: string) {
  return db
    .selectFrom('escalation_disabled_webhooks')
    .select(['url', 'disabled_at', 'status'])
    .where('party', '=', party)
    .orderBy('disabled_at')
    .execute()
}

export async function isWebhookDisabled(db: Db, party: string, url: string): Promise<boolean> {
  const row = await db
    .selectFrom('escalation_disabled_webhooks')
    .select('url')
    .where('party', '=', party)
    .where('url', '=', url)
    .executeTakeFirst()
  return row !== undefined
}

export async function disableWebhook(
  trx: Transaction<DB>,
  party: string,
  url: string,
  at: number,
  status: number,
): Promise<void> {
  await trx
    .insertInto('escalation_disabled_webhooks')
    .values({ party, url, disabled_at: at, status })
    .onConflict((oc) => oc.columns(['party', 'url']).doNothing())
    .execute()
}

/** Inserts a ladder; false when one with this key began already (a replay, a second call). */
export async function insertEscalation(trx: Transaction<DB>, row: EscalationRow): Promise<boolean> {
  const inserted = await trx
    .insertInto('escalations')
    .values(row)
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst()
  return inserted !== undefined
}

export async function insertSteps(
  trx: Transaction<DB>,
  rows: readonly (Omit<StepRow, 'spec'> & { spec: string })[],
): Promise<void> {
  if (rows.length > 0)
    await trx
      .insertInto('escalation_steps')
      .values([...rows])
      .execute()
}

export function escalationRow(db: Db, key: string): Promise<EscalationRow | undefined> {
  return db.selectFrom('escalations').selectAll().where('key', '=', key).executeTakeFirst()
}

export function stepRow(db: Db, key: string, index: number): Promise<StepRow | undefined> {
  return db
    .selectFrom('escalation_steps')
    .selectAll()
    .where('escalation', '=', key)
    .where('index', '=', index)
    .executeTakeFirst()
}

export async function updateStep(
  trx: Transaction<DB>,
  key: string,
  index: number,
  patch: { state: StepState; attempts?: number; job_key?: string },
): Promise<void> {
  await trx
    .updateTable('escalation_steps')
    .set(patch)
    .where('escalation', '=', key)
    .where('index', '=', index)
    .execute()
}

export async function insertAttempt(
  trx: Transaction<DB>,
  row: Omit<AttemptRow, 'id' | 'recipients'> & { recipients: string },
): Promise<void> {
  await trx.insertInto('escalation_attempts').values(row).execute()
}

/** Ends the open ladders of a notice for a party and deadlines; returns their keys. */
export async function endEscalations(
  trx: Transaction<DB>,
  where: { notice: string; party: string; deadlines: readonly string[] },
  at: number,
  reason: string,
): Promise<string[]> {
  const rows = await trx
    .updateTable('escalations')
    .set({ ended_at: at, end_reason: reason })
    .where('notice', '=', where.notice)
    .where('party', '=', where.party)
    .where('deadline', 'in', [...where.deadlines])
    .where('ended_at', 'is', null)
    .returning('key')
    .execute()
  return rows.map((row) => row.key)
}

export function openSteps(trx: Transaction<DB>, key: string): Promise<StepRow[]> {
  return trx
    .selectFrom('escalation_steps')
    .selectAll()
    .where('escalation', '=', key)
    .where('state', 'in', ['pending', 'retrying'])
    .execute()
}

/** A notice's ladders, each with its steps and their attempts, oldest first. */
export async function escalationsOfNotice(db: Db, notice: string) {
  const escalations = await db
    .selectFrom('escalations')
    .selectAll()
    .where('notice', '=', notice)
    .orderBy('began_at')
    .orderBy('key')
    .execute()
  const keys = escalations.map((e) => e.key)
  if (keys.length === 0) return []
  const steps = await db
    .selectFrom('escalation_steps')
    .selectAll()
    .where('escalation', 'in', keys)
    .orderBy('index')
    .execute()
  const attempts = await db
    .selectFrom('escalation_attempts')
    .selectAll()
    .where('escalation', 'in', keys)
    .orderBy('id')
    .execute()
  return escalations.map((escalation) => ({
    escalation,
    steps: steps
      .filter((s) => s.escalation === escalation.key)
      .map((step) => ({
        step,
        attempts: attempts.filter(
          (a) => a.escalation === step.escalation && a.index === step.index,
        ),
      })),
  }))
}

/**
 * Attempts of a party's ladders in the order they were made (the attempt id), each with its
 * ladder and step: a page of the node-wide list, `limit` rows from the primary key.
 */
export function partyAttemptRows(
  db: Db,
  party: string,
  where: RawBuilder<boolean> | undefined,
  direction: 'asc' | 'desc',
  limit: number,
) {
  let query = db
    .selectFrom('escalation_attempts')
    .innerJoin('escalations', 'escalations.key', 'escalation_attempts.escalation')
    .innerJoin('escalation_steps', (join) =>
      join
        .onRef('escalation_steps.escalation', '=', 'escalation_attempts.escalation')
        .onRef('escalation_steps.index', '=', 'escalation_attempts.index'),
    )
    .selectAll('escalation_attempts')
    .select([
      'escalations.notice',
      'escalations.channel',
      'escalations.subject',
      'escalations.urgency',
      'escalations.deadline',
      'escalation_steps.spec',
    ])
    .where('escalations.party', '=', party)
  if (where !== undefined) query = query.where(where)
  return query.orderBy('escalation_attempts.id', direction).limit(limit).execute()
}
export type PartyAttemptRow = Awaited<ReturnType<typeof partyAttemptRows>>[number]
