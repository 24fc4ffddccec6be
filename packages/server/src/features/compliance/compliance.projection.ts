import type { EventOf } from '@parley/protocol'
import type { EventProjection, StoredEvent } from '../../ledger/index.ts'
import { jsonb } from '../../store/jsonb.ts'

/**
 * Compliance reports, threaded: a reply joins the thread of the report it answers. The
 * protocol makes a reply name an event its author holds, so the thread root is always stored.
 */
export const complianceProjection: EventProjection<'compliance.report'> = {
  name: 'compliance',
  types: ['compliance.report'],
  tables: ['compliance_reports'],
  async apply(trx, stored) {
    const { id, event } = stored as StoredEvent & { event: EventOf<'compliance.report'> }
    const { replyTo } = event.body
    const parent =
      replyTo === undefined
        ? undefined
        : await trx
            .selectFrom('compliance_reports')
            .select('thread')
            .where('id', '=', replyTo)
            .executeTakeFirst()
    await trx
      .insertInto('compliance_reports')
      .values({
        id,
        channel: event.channel,
        agreement: event.body.agreement,
        thread: parent?.thread ?? id,
        author: event.author,
        time: event.time,
        body: jsonb(event.body),
      })
      .execute()
  },
}
