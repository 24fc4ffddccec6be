import type { SectorsConfig } from './config.ts'
import { channelsProjection } from './features/channels/channels.projection.ts'
import { complianceProjection } from './features/compliance/compliance.projection.ts'
import { complianceRule } from './features/compliance/compliance.service.ts'
import type { ComposeRule } from './features/compose/compose.service.ts'
import { directoryProjection } from './features/directory/directory.projection.ts'
import { directoryRule } from './features/directory/directory.rule.ts'
import { draftsProjection } from './features/drafts/drafts.projection.ts'
import { draftRule, participationRule } from './features/drafts/drafts.rules.ts'
import { forwardsProjection } from './features/forwards/forwards.projection.ts'
import { forwardRule } from './features/forwards/forwards.service.ts'
import { noticeRules, sectorTaxonomy } from './features/notices/notice-rules.ts'
import {
  inertNoticeRuntime,
  type NoticeRuntime,
  noticeProjections,
} from './features/notices/notices.projection.ts'
import { redlinesProjection } from './features/redlines/redlines.projection.ts'
import { redlineSectorRule } from './features/redlines/redlines.service.ts'
import { ProjectionRegistry, timelineOrderProjection } from './ledger/index.ts'

/**
 * Every feature's read models, as `build()` runs them and `parley reindex` rebuilds them. A
 * feature with a read model adds its projections here.
 */
export function readModels(notices: NoticeRuntime = inertNoticeRuntime()): ProjectionRegistry {
  const noticeModels = noticeProjections(notices)
  return new ProjectionRegistry()
    .addEvents(channelsProjection)
    .addEvents(noticeModels.events)
    .addReceipts(noticeModels.receipts)
    .addEvents(redlinesProjection)
    .addEvents(draftsProjection)
    .addEvents(complianceProjection)
    .addEvents(forwardsProjection)
    .addEvents(directoryProjection)
    .addEvents(timelineOrderProjection)
}

/** Every feature's compose rules (checks of its own event types before signing or queueing). */
export function composeRules(config: { sectors?: SectorsConfig } = {}): ComposeRule[] {
  const taxonomy = sectorTaxonomy(config.sectors)
  return [
    ...noticeRules(taxonomy),
    directoryRule,
    participationRule,
    redlineSectorRule(taxonomy),
    draftRule,
    complianceRule,
    forwardRule,
  ]
}
