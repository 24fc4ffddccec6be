import type { EscalationConfig, EscalationConfigView } from '@parley/api'
import type { Kysely, Transaction } from 'kysely'
import { ServerError } from '../../errors.ts'
import type { DB } from '../../store/tables.ts'
import { audit } from '../audit/audit.service.ts'
import { configRow, disabledWebhooks, saveConfig } from './escalation.repository.ts'
import { DEFAULT_CONFIG } from './ladder.ts'

/** The party's escalation config, or the node's default ladder. */
export async function configOf(
  db: Kysely<DB> | Transaction<DB>,
  party: string,
): Promise<EscalationConfig> {
  const row = await configRow(db, party)
  return row === undefined ? DEFAULT_CONFIG : (row.config as unknown as EscalationConfig)
}

/** A party's contacts and ladders (the default until its admins set them), and disabled webhooks. */
export async function escalationConfig(
  db: Kysely<DB>,
  party: string,
): Promise<EscalationConfigView> {
  const row = await configRow(db, party)
  return {
    party,
    config: row === undefined ? DEFAULT_CONFIG : (row.config as unknown as EscalationConfig),
    custom: row !== undefined,
    updatedAt: row === undefined ? null : row.updated_at,
    disabledWebhooks: (await disabledWebhooks(db, party)).map((w) => ({
      url: w.url,
      disabledAt: w.disabled_at,
      status: w.status,
    })),
  }
}

/**
 * What the schema cannot say: a step that could never reach anyone. An e-mail to the contacts
 * while none is named is refused (`ESCALATION_CONFIG_INVALID`, at the step's `to`), so an admin
 * learns it when saving, not when a deadline is missed.
 */
function assertReachable(config: EscalationConfig): void {
  if (config.contacts.length > 0) return
  for (const [urgency, steps] of Object.entries(config.ladders)) {
    const index = steps.findIndex((s) => s.action === 'email' && s.to === 'contacts')
    if (index >= 0) {
      throw new ServerError('ESCALATION_CONFIG_INVALID', {
        path: `ladders.${urgency}.${index}.to`,
        reason: 'it e-mails the escalation contacts, and no contact is named',
      })
    }
  }
}

/** Replaces a party's contacts and ladders (ladders already running keep their steps). */
export async function setEscalationConfig(
  db: Kysely<DB>,
  actor: { readonly officer: string | null },
  party: string,
  config: EscalationConfig,
  now: number,
): Promise<EscalationConfigView> {
  assertReachable(config)
  await db.transaction().execute(async (trx) => {
    await saveConfig(trx, party, config, now, actor.officer)
    await audit(trx, {
      time: now,
      action: 'escalation.config',
      officer: actor.officer,
      party,
      details: {
        contacts: config.contacts.length,
        routine: config.ladders.routine.length,
        priority: config.ladders.priority.length,
        flash: config.ladders.flash.length,
      },
    })
  })
  return escalationConfig(db, party)
}
