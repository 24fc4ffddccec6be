import { isIncidentNotice, noticeToStix, type StixExport } from '@parley/api'
import type { EventOf } from '@parley/protocol'
import { ServerError } from '../../errors.ts'
import { readEvent } from '../../ledger/index.ts'
import { channelOrThrow } from '../../node/channels.ts'
import type { NodeContext } from '../../node/context.ts'
import { firstCloseTime } from './stix.repository.ts'

/**
 * The STIX 2.1 bundle of an incident notice of a channel (docs/stix.md), built from the signed
 * events this node stores: the `notice.open`, the channel's title and the notice's first
 * `notice.close`. The caller has been let into the channel; an id that names no notice of it
 * (another channel's, or an event that is not a `notice.open`) is answered as none at all.
 */
export async function exportNoticeStix(
  ctx: NodeContext,
  channelId: string,
  noticeId: string,
): Promise<StixExport> {
  const channel = await channelOrThrow(ctx, channelId)
  const stored = await readEvent(ctx.db, noticeId)
  if (
    stored === undefined ||
    stored.event.channel !== channelId ||
    stored.event.type !== 'notice.open'
  ) {
    throw new ServerError('STIX_NOTICE_NOT_FOUND', { channel: channelId, notice: noticeId })
  }
  const event = stored.event as EventOf<'notice.open'>
  if (!isIncidentNotice(event)) {
    throw new ServerError('STIX_NOT_AN_INCIDENT', { notice: noticeId, kind: event.body.kind })
  }
  const closedAt = await firstCloseTime(ctx.db, channelId, noticeId)
  return noticeToStix({
    id: stored.id,
    event,
    channelTitle: channel.title,
    ...(closedAt === undefined ? {} : { closedAt }),
  })
}
