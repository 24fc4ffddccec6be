import type { SectorsConfig } from './config.ts'
import { channelsProjection } from './features/channels/channels.projection.ts'
import type { ComposeRule } from './features/compose/compose.service.ts'
import { directoryProjection } from './features/directory/directory.projection.ts'
import { directoryRule } from './features/directory/directory.rule.ts'
import { noticeRules, sectorTaxonomy } from './features/notices/notice-rules.ts'
import {
  inertNoticeRuntime,
  type NoticeRuntime,
  noticeProjections,
} from './features/notices/notices.projection.ts'
import { ProjectionRegistry } from './ledger/index.ts'

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
    .addEvents(directoryProjection)
}

/** Every feature's compose rules (checks of its own event types before signing or queueing). */
export function composeRules(config: { sectors?: SectorsConfig } = {}): ComposeRule[] {
  return [...noticeRules(sectorTaxonomy(config.sectors)), directoryRule]
}
