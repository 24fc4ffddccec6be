import { authenticateEvent, type BodyOf, type Event } from '@parley/protocol'
import { ServerError } from '../../errors.ts'
import { partyKeys } from '../../ledger/index.ts'
import { channelOrThrow } from '../../node/channels.ts'
import type { NodeContext } from '../../node/context.ts'
import type { ComposeRule } from '../compose/compose.service.ts'

/** What this node can say of a forwarded original's signature. */
export type OriginalSignature =
  | { state: 'verified'; key: string; message: string }
  | { state: 'unpinned'; key: string; message: 'signed by a key this node has not pinned' }
  | { state: 'invalid'; key: string; code: string; message: string }

/**
 * Every item of a forward is an event this node holds in the channel it is forwarded from,
 * byte for byte: only signed originals travel, never an edited copy. (TLP:RED and
 * TLP:AMBER+STRICT items are the release guard's: RELEASE_GUARD_BLOCKED, before this runs.)
 */
export const forwardRule: ComposeRule = {
  types: ['forward'],
  async check(node, item) {
    const body = item.body as BodyOf<'forward'>
    for (const [index, original] of body.items.entries()) {
      const checked = await authenticateEvent(original, () => [])
      const id = 'id' in checked ? checked.id : undefined
      const row =
        id === undefined
          ? undefined
          : await node.db
              .selectFrom('events')
              .select(['channel', 'raw'])
              .where('id', '=', id)
              .executeTakeFirst()
      if (
        row === undefined ||
        row.channel !== body.from ||
        JSON.parse(row.raw).sig !== original.sig
      ) {
        throw new ServerError('FORWARD_ITEM_UNKNOWN', { item: index, from: body.from })
      }
    }
  },
}

/**
 * What was forwarded into a channel, newest first: each original with its signature checked
 * against the original author's keys pinned here now, and who forwarded it when.
 */
export async function forwardedInto(ctx: NodeContext, channel: string) {
  await channelOrThrow(ctx, channel)
  const rows = await ctx.db
    .selectFrom('forwarded_items')
    .selectAll()
    .where('channel', '=', channel)
    .orderBy('forwarded_at', 'desc')
    .orderBy('forward')
    .orderBy('item')
    .execute()
  const out = []
  for (const row of rows) {
    const original = row.original as unknown as { event: Event; sig: string }
    out.push({
      forward: row.forward,
      item: row.item,
      from: row.from_channel,
      forwardedBy: row.forwarded_by,
      forwardedAt: Number(row.forwarded_at),
      ...(await checkOriginal(ctx, original)),
      original,
    })
  }
  return { channel, items: out }
}

/** Checks one original against the pinned keys of its author; never says verified otherwise. */
export async function checkOriginal(
  ctx: Pick<NodeContext, 'db'>,
  original: { event: Event; sig: string },
): Promise<{ id: string | null; author: string; signature: OriginalSignature }> {
  const author = original.event.author
  const key = original.event.key
  const keys = await partyKeys(ctx.db, author)
  const checked = await authenticateEvent(original, () => keys)
  if ('ok' in checked && checked.ok) {
    return {
      id: checked.id,
      author,
      signature: {
        state: 'verified',
        key,
        message: `verified: signed by ${author} with its pinned key ${key}`,
      },
    }
  }
  const rejection = checked as { code: string; message: string; id?: string }
  if (keys.length === 0 || rejection.code === 'KEY_UNKNOWN') {
    return {
      id: rejection.id ?? null,
      author,
      signature: { state: 'unpinned', key, message: 'signed by a key this node has not pinned' },
    }
  }
  return {
    id: rejection.id ?? null,
    author,
    signature: { state: 'invalid', key, code: rejection.code, message: rejection.message },
  }
}
