import type { Migration } from 'kysely/migration'
import * as ledger from './0001-ledger.ts'
import * as outbox from './0100-outbox.ts'
import * as officers from './0200-officers.ts'
import * as sessions from './0201-sessions.ts'
import * as audit from './0202-audit.ts'
import * as access from './0300-access.ts'
import * as jobs from './0400-jobs.ts'
import * as nonces from './0401-signature-nonces.ts'
import * as peerBinding from './0500-peer-binding.ts'
import * as notices from './0600-notices.ts'
import * as escalation from './0610-escalation.ts'
import * as directory from './0611-directory.ts'
import * as timelineOrder from './0700-timeline-order.ts'
import * as readMarkers from './0701-read-markers.ts'
import * as alarmsOpen from './0702-alarms-open.ts'
import * as negotiation from './0800-negotiation.ts'
import * as apiTokens from './0900-api-tokens.ts'
import * as releaseOrder from './0901-release-order.ts'
import * as noticeNextDue from './0902-notice-next-due.ts'
import * as portal from './1000-portal.ts'
import * as privacy from './1010-privacy.ts'
import * as listOrders from './1110-list-orders.ts'

/**
 * Every migration, by name. Names sort in the order they run; add new ones at the end as
 * `NNNN-<what>.ts` with both `up` and `down`.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-ledger': ledger,
  '0100-outbox': outbox,
  '0200-officers': officers,
  '0201-sessions': sessions,
  '0202-audit': audit,
  '0300-access': access,
  '0400-jobs': jobs,
  '0401-signature-nonces': nonces,
  '0500-peer-binding': peerBinding,
  '0600-notices': notices,
  '0610-escalation': escalation,
  '0611-directory': directory,
  '0700-timeline-order': timelineOrder,
  '0701-read-markers': readMarkers,
  '0702-alarms-open': alarmsOpen,
  '0800-negotiation': negotiation,
  '0900-api-tokens': apiTokens,
  '0901-release-order': releaseOrder,
  '0902-notice-next-due': noticeNextDue,
  '1000-portal': portal,
  '1010-privacy': privacy,
  '1110-list-orders': listOrders,
}
