import {
  CISA_SECTORS,
  missingFields,
  type SectorTaxonomy,
  SHIPPED_TAXONOMIES,
  unknownSectors,
} from '@parley/api'
import type { BodyOf } from '@parley/protocol'
import type { SectorsConfig } from '../../config.ts'
import { ServerError } from '../../errors.ts'
import type { NodeContext } from '../../node/context.ts'
import type { ComposeRule, Item } from '../compose/compose.service.ts'

type NoticeBody = BodyOf<'notice.open'>

/** The node's sector taxonomy: a shipped one, or its own list (`sectors` in `parley.json`). */
export function sectorTaxonomy(config: SectorsConfig | undefined): SectorTaxonomy {
  if (config?.custom !== undefined) {
    return {
      id: 'custom',
      label: { en: 'This node’s sectors', ru: 'Секторы этого узла' },
      source: 'parley.json',
      sectors: config.custom,
    }
  }
  return SHIPPED_TAXONOMIES[config?.taxonomy ?? 'cisa'] ?? CISA_SECTORS
}

/**
 * The notices feature's compose rules, run before an item is signed or queued and again when a
 * releaser approves it. Each refuses with its own code and writes nothing.
 */
export function noticeRules(taxonomy: SectorTaxonomy): ComposeRule[] {
  return [
    {
      types: ['notice.open'],
      async check(_node, item) {
        const body = item.body as NoticeBody
        const missing = missingFields(body)
        if (missing.length > 0) {
          throw new ServerError('NOTICE_TEMPLATE_INCOMPLETE', {
            kind: body.kind,
            missing: missing.join(', '),
          })
        }
        const unknown = unknownSectors(taxonomy, body.sectors ?? [])
        if (unknown.length > 0) {
          throw new ServerError('SECTOR_UNKNOWN', {
            taxonomy: taxonomy.id,
            sectors: unknown.join(', '),
          })
        }
      },
    },
    {
      types: ['notice.ack', 'notice.reply', 'notice.close'],
      async check(node, item) {
        const notice = await openNotice(node, item)
        if (item.type !== 'notice.ack') return
        if (notice.opener === item.party) {
          throw new ServerError('NOTICE_OWN_ACK', { party: item.party, notice: notice.id })
        }
        const acked = await node.db
          .selectFrom('notice_recipients')
          .select('ack_at')
          .where('notice', '=', notice.id)
          .where('party', '=', item.party)
          .executeTakeFirst()
        if (acked?.ack_at != null) {
          throw new ServerError('NOTICE_ALREADY_ACKNOWLEDGED', {
            party: item.party,
            notice: notice.id,
          })
        }
      },
    },
  ]
}

/** The notice an item refers to: one of the item's channel, and not closed. */
async function openNotice(node: NodeContext, item: Item): Promise<{ id: string; opener: string }> {
  const id = (item.body as { notice: string }).notice
  const row = await node.db
    .selectFrom('notices')
    .select(['id', 'opener', 'closed_at'])
    .where('id', '=', id)
    .where('channel', '=', item.channel)
    .executeTakeFirst()
  if (row === undefined) throw new ServerError('NOTICE_NOT_FOUND', { notice: id })
  if (row.closed_at !== null) throw new ServerError('NOTICE_CLOSED', { notice: id })
  return row
}
