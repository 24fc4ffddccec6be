import {
  equivocationLine,
  eventLine,
  type PartyKey,
  receiptLine,
  TRANSCRIPT_FORMAT,
  transcriptHeaderLine,
} from '@parley/protocol'
import type { Kysely } from 'kysely'
import { ServerError } from '../errors.ts'
import type { DB } from '../store/tables.ts'
import { channelEquivocations } from './equivocations.ts'
import { partyKeys } from './keys.ts'
import { channelEvents } from './log.ts'
import { channelReceipts } from './receipts.ts'

/**
 * A channel's transcript (DESIGN §4.8), line by line, each ending in '\n': the header with
 * the keys of every member and observer, then every event in local commit order (a causal
 * order), then the receipts, then the fork proofs. Event lines come from the stored signed
 * text, never from the columns beside it, so what the verifier checks is what was received.
 *
 * A receipt that also covers events of other channels is left out: the transcript cannot
 * show those events, and a verifier would report them missing. Every other receipt is kept,
 * so an event removed from the log behind the trigger's back shows as a receipt without its
 * event.
 */
export async function* exportTranscript(
  db: Kysely<DB>,
  channel: string,
  exportedBy: string,
  now: number,
): AsyncGenerator<string> {
  const found = await db
    .selectFrom('channels')
    .select('id')
    .where('id', '=', channel)
    .executeTakeFirst()
  if (found === undefined) throw new ServerError('CHANNEL_NOT_FOUND', { channel })

  const participants = await db
    .selectFrom('channel_members')
    .select('party')
    .where('channel', '=', channel)
    .union(db.selectFrom('events').select('author as party').where('channel', '=', channel))
    .union(db.selectFrom('equivocations').select('author as party').where('channel', '=', channel))
    .execute()
  const parties: Record<string, { keys: PartyKey[] }> = {}
  for (const party of participants.map((row) => row.party).sort()) {
    const keys = await partyKeys(db, party)
    // A party never pinned here signed nothing this node holds; the header cannot list it.
    if (keys.length > 0) parties[party] = { keys }
  }
  yield `${transcriptHeaderLine({
    format: TRANSCRIPT_FORMAT,
    channel,
    exportedAt: now,
    exportedBy,
    parties,
  })}\n`

  for await (const stored of channelEvents(db, channel)) yield `${eventLine(stored)}\n`
  for (const { signed, exclusive } of await channelReceipts(db, channel)) {
    if (exclusive) yield `${receiptLine(signed)}\n`
  }
  for (const { proof } of await channelEquivocations(db, channel)) {
    yield `${equivocationLine(proof)}\n`
  }
}
