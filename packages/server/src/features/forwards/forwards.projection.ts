import type { EventOf } from '@parley/protocol'
import type { EventProjection, StoredEvent } from '../../ledger/index.ts'
import { jsonb } from '../../store/jsonb.ts'

/**
 * What was forwarded into a channel, one row per original. Whether an original's signature
 * holds is decided when it is read, against the keys pinned then, not frozen here.
 */
export const forwardsProjection: EventProjection<'forward'> = {
  name: 'forwards',
  types: ['forward'],
  tables: ['forwarded_items'],
  async apply(trx, stored) {
    const { id, event } = stored as StoredEvent & { event: EventOf<'forward'> }
    await trx
      .insertInto('forwarded_items')
      .values(
        event.body.items.map((original, item) => ({
          forward: id,
          item,
          channel: event.channel,
          from_channel: event.body.from,
          forwarded_by: event.author,
          forwarded_at: event.time,
          original: jsonb(original),
        })),
      )
      .execute()
  },
}
