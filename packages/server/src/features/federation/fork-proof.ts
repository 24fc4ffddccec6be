import type { SignedEvent } from '@parley/protocol'
import { authenticateEvents, recordEquivocation } from '../../ledger/index.ts'
import type { NodeContext } from '../../node/context.ts'
import type { FederationClient } from '../../signed-http/federation-client.ts'

/**
 * A heads conflict (DESIGN §4.4 step 7) means the sender holds, for some author and seq, another
 * event than this node does: a fork split across nodes, each told a different story, that
 * neither would see on its own. The sender holds the event it cites, so it is fetched from
 * there (`GET …/log/:author?from=seq&limit=1`); when the author's pinned key signed it, it and
 * the event held here are an equivocation proof (DESIGN §2), kept and raised as an alarm
 * exactly like a fork received directly. Returns how many new proofs were recorded.
 *
 * Nothing the sender says is taken on trust: an answer that is not the cited event, or not
 * signed by its author, proves nothing and is ignored (the heads-conflict alarm stays).
 */
export async function proveForks(
  ctx: NodeContext,
  client: FederationClient,
  peerUrl: string,
  signed: SignedEvent,
  signal?: AbortSignal,
): Promise<number> {
  const { channel, heads } = signed.event
  let proven = 0
  for (const [author, cited] of Object.entries(heads)) {
    const held = await ctx.db
      .selectFrom('events')
      .select('id')
      .where('channel', '=', channel)
      .where('author', '=', author)
      .where('seq', '=', cited.seq)
      .executeTakeFirst()
    if (held === undefined || held.id === cited.id) continue
    const url = `${peerUrl}/federation/v1/channels/${channel}/log/${author}?from=${cited.seq}&limit=1`
    const reply = await client.get(url, signal ? { signal } : {})
    if (!reply.ok) {
      ctx.log.warn({ peer: peerUrl, channel, author, status: reply.status }, 'fork not fetched')
      continue
    }
    const events = (reply.body as { events?: unknown[] } | undefined)?.events ?? []
    const { checked } = await authenticateEvents(ctx.db, events.slice(0, 1))
    const other = checked[0]
    const isCited =
      other?.ok === true &&
      other.id === cited.id &&
      other.event.channel === channel &&
      other.event.author === author &&
      other.event.seq === cited.seq
    if (!isCited) {
      ctx.log.warn({ peer: peerUrl, channel, author, seq: cited.seq }, 'cited event not proven')
      continue
    }
    if (await recordEquivocation(ctx.db, held.id, { id: other.id, raw: other.raw }, ctx.now())) {
      proven++
      ctx.log.error({ channel, author, seq: cited.seq, peer: peerUrl }, 'fork across nodes')
    }
  }
  return proven
}
