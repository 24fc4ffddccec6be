import { channelsProjection } from './features/channels/channels.projection.ts'
import { ProjectionRegistry } from './ledger/index.ts'

/**
 * Every feature's read models, as `build()` runs them and `parley reindex` rebuilds them. A
 * feature with a read model adds its projections here.
 */
export function readModels(): ProjectionRegistry {
  return new ProjectionRegistry().addEvents(channelsProjection)
}
