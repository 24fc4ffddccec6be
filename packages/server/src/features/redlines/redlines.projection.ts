import type { EventOf } from '@parley/protocol'
import type { EventProjection, StoredEvent } from '../../ledger/index.ts'
import { jsonb } from '../../store/jsonb.ts'

type RedlineEvent = 'redline.declare' | 'redline.revise' | 'redline.withdraw'
type Stored<T extends RedlineEvent> = StoredEvent & { readonly event: EventOf<T> }

/**
 * Red lines and every version of each. A revision or withdrawal is its declarer's own later
 * event (the protocol allows no one else), so its chain orders them alike on every node.
 */
export const redlinesProjection: EventProjection<RedlineEvent> = {
  name: 'redlines',
  types: ['redline.declare', 'redline.revise', 'redline.withdraw'],
  tables: ['redlines', 'redline_versions'],
  async apply(trx, stored) {
    const { event, id } = stored
    if (event.type === 'redline.declare') {
      const { body } = (stored as Stored<'redline.declare'>).event
      await trx
        .insertInto('redlines')
        .values({
          id,
          channel: event.channel,
          party: event.author,
          version: 1,
          status: 'standing',
          current: jsonb(body),
          declared_at: event.time,
          updated_at: event.time,
        })
        .execute()
      await version(trx, stored, id, 1, 'declare')
      return
    }
    const redline = (stored as Stored<'redline.revise' | 'redline.withdraw'>).event.body.redline
    const row = await trx
      .selectFrom('redlines')
      .select('version')
      .where('id', '=', redline)
      .forUpdate()
      .executeTakeFirstOrThrow()
    const next = row.version + 1
    if (event.type === 'redline.revise') {
      const { redline: _, ...current } = (stored as Stored<'redline.revise'>).event.body
      await trx
        .updateTable('redlines')
        .set({ version: next, current: jsonb(current), updated_at: event.time })
        .where('id', '=', redline)
        .execute()
      await version(trx, stored, redline, next, 'revise')
    } else {
      await trx
        .updateTable('redlines')
        .set({ version: next, status: 'withdrawn', updated_at: event.time })
        .where('id', '=', redline)
        .execute()
      await version(trx, stored, redline, next, 'withdraw')
    }
  },
}

async function version(
  trx: Parameters<EventProjection['apply']>[0],
  { id, event }: StoredEvent,
  redline: string,
  number: number,
  kind: 'declare' | 'revise' | 'withdraw',
): Promise<void> {
  await trx
    .insertInto('redline_versions')
    .values({
      event_id: id,
      redline,
      channel: event.channel,
      party: event.author,
      version: number,
      kind,
      body: jsonb(event.body),
      time: event.time,
    })
    .execute()
}
