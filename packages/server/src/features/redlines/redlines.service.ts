import { type SectorTaxonomy, unknownSectors } from '@parley/api'
import { ServerError } from '../../errors.ts'
import { channelOrThrow } from '../../node/channels.ts'
import type { NodeContext } from '../../node/context.ts'
import type { ComposeRule } from '../compose/compose.service.ts'

/** A red line names only sectors of the node's taxonomy (the config's `sectors`, CISA by default). */
export function redlineSectorRule(taxonomy: SectorTaxonomy): ComposeRule {
  return {
    types: ['redline.declare', 'redline.revise'],
    async check(_node, item) {
      const [sector] = unknownSectors(taxonomy, (item.body as { sectors: string[] }).sectors)
      if (sector !== undefined) {
        throw new ServerError('REDLINE_SECTOR_UNKNOWN', { sector, taxonomy: taxonomy.id })
      }
    },
  }
}

interface RedlineFields {
  sectors: string[]
  title: string
  text: string
  threshold: string
  tlp: string
  lang?: string
}

/** A red line as it stands. */
export interface RedlineView extends RedlineFields {
  id: string
  party: string
  version: number
  status: 'standing' | 'withdrawn'
  declaredAt: number
  updatedAt: number
}

/** One version of a red line: its declaration, a revision, or its withdrawal. */
export interface RedlineVersionView {
  redline: string
  event: string
  party: string
  version: number
  kind: 'declare' | 'revise' | 'withdraw'
  time: number
  body: Record<string, unknown>
}

/**
 * The red-line board of a channel: what each party declares now (standing red lines), and
 * every version since `since` (ms), oldest first.
 */
export async function redlineBoard(ctx: NodeContext, channel: string, since?: number) {
  const found = await channelOrThrow(ctx, channel)
  const rows = await ctx.db
    .selectFrom('redlines')
    .selectAll()
    .where('channel', '=', channel)
    .orderBy('declared_at')
    .orderBy('id')
    .execute()
  const lines = rows.map(
    (row): RedlineView => ({
      ...(row.current as unknown as RedlineFields),
      id: row.id,
      party: row.party,
      version: row.version,
      status: row.status,
      declaredAt: Number(row.declared_at),
      updatedAt: Number(row.updated_at),
    }),
  )
  const parties = found.members.map((member) => member.party)
  const changes = await versions(ctx, channel, since)
  return {
    channel,
    parties: parties.map((party) => ({
      party,
      standing: lines.filter((line) => line.party === party && line.status === 'standing'),
    })),
    withdrawn: lines.filter((line) => line.status === 'withdrawn'),
    ...(since === undefined ? {} : { since }),
    changes,
  }
}

async function versions(
  ctx: NodeContext,
  channel: string,
  since?: number,
  redline?: string,
): Promise<RedlineVersionView[]> {
  const rows = await ctx.db
    .selectFrom('redline_versions')
    .selectAll()
    .where('channel', '=', channel)
    .$if(since !== undefined, (qb) => qb.where('time', '>=', since!))
    .$if(redline !== undefined, (qb) => qb.where('redline', '=', redline!))
    .orderBy('time')
    .orderBy('party')
    .orderBy('version')
    .execute()
  return rows.map((row) => ({
    redline: row.redline,
    event: row.event_id,
    party: row.party,
    version: row.version,
    kind: row.kind,
    time: Number(row.time),
    body: row.body as Record<string, unknown>,
  }))
}

/** Every version of one red line, oldest first. */
export async function redlineHistory(ctx: NodeContext, channel: string, redline: string) {
  await channelOrThrow(ctx, channel)
  const list = await versions(ctx, channel, undefined, redline)
  if (list.length === 0) throw new ServerError('NOT_FOUND', { what: `Red line ${redline}` })
  return { redline, versions: list }
}

/** One red line as it stands, with its channel, or undefined. */
export async function findRedline(
  db: NodeContext['db'],
  id: string,
): Promise<(RedlineView & { channel: string }) | undefined> {
  const row = await db.selectFrom('redlines').selectAll().where('id', '=', id).executeTakeFirst()
  if (row === undefined) return undefined
  return {
    ...(row.current as unknown as RedlineFields),
    id: row.id,
    channel: row.channel,
    party: row.party,
    version: row.version,
    status: row.status,
    declaredAt: Number(row.declared_at),
    updatedAt: Number(row.updated_at),
  }
}
