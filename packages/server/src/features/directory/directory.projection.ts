import type { EventProjection } from '../../ledger/index.ts'
import { jsonb } from '../../store/jsonb.ts'

/**
 * The directory: each party's entry by version. A party posts each update into every channel
 * it takes part in, so one version arrives several times; the first to be stored stands and
 * the others add nothing (in log order, so a reindex keeps the same one).
 */
export const directoryProjection: EventProjection<'directory.update'> = {
  name: 'directory',
  types: ['directory.update'],
  tables: ['directory_versions'],
  async apply(trx, { id, event }) {
    await trx
      .insertInto('directory_versions')
      .values({
        party: event.author,
        version: event.body.version,
        contacts: jsonb(event.body.contacts),
        event: id,
        channel: event.channel,
        officer: event.officer ?? null,
        time: event.time,
      })
      .onConflict((oc) => oc.columns(['party', 'version']).doNothing())
      .execute()
  },
}
