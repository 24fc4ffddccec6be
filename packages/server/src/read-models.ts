import { channelsProjection } from './features/channels/channels.projection.ts'
import type { ComposeRule } from './features/compose/compose.service.ts'
import { directoryProjection } from './features/directory/directory.projection.ts'
import { directoryRule } from './features/directory/directory.rule.ts'
import { ProjectionRegistry } from './ledger/index.ts'

/**
 * Every feature's read models, as `build()` runs them and `parley reindex` rebuilds them. A
 * feature with a read model adds its projections here.
 */
export function readModels(): ProjectionRegistry {
  return new ProjectionRegistry().addEvents(channelsProjection).addEvents(directoryProjection)
}

/** Every feature's compose rules (checks of its own event types before signing or queueing). */
export function composeRules(): ComposeRule[] {
  return [directoryRule]
}
