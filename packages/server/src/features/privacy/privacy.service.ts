import { ServerError } from '../../errors.ts'
import type { NodeContext } from '../../node/context.ts'
import { firstParty } from '../../node-identity.ts'
import { Mailer } from '../escalation/mailer.ts'
import type { SmtpSettings } from '../escalation/smtp-config.ts'
import { type ConsentContext, schedulePrunes } from './consent.service.ts'
import { type PrivacyConfig, type PrivacySettings, privacySettings } from './privacy-config.ts'
import { handleRightsDeadlines, type RightsAlerts, type RightsContext } from './rights.service.ts'

/** The privacy feature of one node: consent receipts and rights requests, and their jobs. */
export interface Privacy {
  readonly settings: PrivacySettings
  readonly consent: ConsentContext
  readonly rights: RightsContext
  /** Closes the SMTP transport (the node is closing). */
  close(): void
}

export interface PrivacyOptions {
  readonly config: PrivacyConfig | undefined
  readonly smtp: SmtpSettings | undefined
  readonly alerts: RightsAlerts
}

/**
 * Makes the privacy feature of a node and registers its two scheduler jobs (the daily prune
 * of expired receipts, each request's deadline). The party that signs receipts and answers
 * requests is `privacy.party`, or the node's first hosted party.
 */
export function createPrivacy(node: NodeContext, options: PrivacyOptions): Privacy {
  const party = options.config?.party ?? firstParty(node.identity).id
  if (!node.identity.parties.has(party)) {
    throw new ServerError('CONFIG_INVALID', { reason: `/privacy/party ${party} is not hosted` })
  }
  const settings = privacySettings(options.config)
  const mailer = options.smtp === undefined ? undefined : new Mailer(options.smtp)
  const consent: ConsentContext = { node, party, settings }
  const rights: RightsContext = {
    node,
    party,
    settings,
    alerts: options.alerts,
    mail: mailer === undefined ? undefined : (mail) => mailer.send(mail),
    baseUrl: node.identity.federationUrl,
  }
  schedulePrunes(consent)
  handleRightsDeadlines(rights)
  return { settings, consent, rights, close: () => mailer?.close() }
}
