import type { BodyOf, EventOf } from '@parley/protocol'
import type { Transaction } from 'kysely'
import type { EventProjection, StoredEvent } from '../../ledger/index.ts'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'
import { type DraftEventFacts, type DraftGenesis, draftState } from './draft-state.ts'

type DraftEvent = 'draft.create' | 'draft.propose' | 'draft.accept' | 'draft.adopt'

/**
 * Drafts: each event of a draft is kept, and the draft's state recomputed from the whole set,
 * so the state depends on which events a node holds, never on the order they came in.
 */
export const draftsProjection: EventProjection<DraftEvent> = {
  name: 'drafts',
  types: ['draft.create', 'draft.propose', 'draft.accept', 'draft.adopt'],
  tables: ['drafts', 'draft_events'],
  async apply(trx, stored) {
    const { event, id, sig } = stored
    if (event.type === 'draft.create') {
      await trx
        .insertInto('drafts')
        .values({
          id,
          channel: event.channel,
          creator: event.author,
          created_at: event.time,
          genesis: jsonb({ event, sig }),
          state: jsonb({}),
        })
        .execute()
      await refresh(trx, id)
      return
    }
    const body = (stored as StoredEvent & { event: EventOf<Exclude<DraftEvent, 'draft.create'>> })
      .event.body
    await trx
      .insertInto('draft_events')
      .values({
        event_id: id,
        draft: body.draft,
        author: event.author,
        seq: event.seq,
        time: event.time,
        type: event.type as DraftEventFacts['type'],
        body: jsonb(body),
      })
      .execute()
    await refresh(trx, body.draft)
  },
}

async function refresh(trx: Transaction<DB>, draft: string): Promise<void> {
  // Locked first: two transactions storing events of one draft at once (a local commit and a
  // push) would each recompute without the other's event, and the last to write would win.
  // The second waits here, then reads the first one's event too.
  const row = await trx
    .selectFrom('drafts')
    .select(['genesis', 'channel'])
    .where('id', '=', draft)
    .forUpdate()
    .executeTakeFirstOrThrow()
  const genesisEvent = (row.genesis as unknown as { event: EventOf<'draft.create'> }).event
  const genesis: DraftGenesis = {
    id: draft,
    author: genesisEvent.author,
    time: genesisEvent.time,
    body: genesisEvent.body as BodyOf<'draft.create'>,
  }
  const events = await trx
    .selectFrom('draft_events')
    .selectAll()
    .where('draft', '=', draft)
    .execute()
  const parties = await channelParties(trx, row.channel)
  const state = await draftState(
    genesis,
    events.map((e) => ({
      id: e.event_id,
      author: e.author,
      seq: Number(e.seq),
      time: Number(e.time),
      type: e.type,
      body: e.body as unknown as DraftEventFacts['body'],
    })),
    parties,
  )
  await trx
    .updateTable('drafts')
    .set({ state: jsonb(state) })
    .where('id', '=', draft)
    .execute()
}

/** The channel's members and rapporteur, from the ledger's channel tables. */
export async function channelParties(
  trx: Transaction<DB>,
  channel: string,
): Promise<{ members: string[]; rapporteur?: string }> {
  const members = await trx
    .selectFrom('channel_members')
    .select('party')
    .where('channel', '=', channel)
    .where('role', '=', 'member')
    .orderBy('party')
    .execute()
  const policy = await trx
    .selectFrom('channels')
    .select('policy')
    .where('id', '=', channel)
    .executeTakeFirst()
  const rapporteur = (policy?.policy as { rapporteur?: string } | undefined)?.rapporteur
  return {
    members: members.map((m) => m.party),
    ...(rapporteur === undefined ? {} : { rapporteur }),
  }
}
