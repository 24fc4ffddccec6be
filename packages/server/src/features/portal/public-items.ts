import type { PublicationKind } from '@parley/api'
import type { Agreement } from '@parley/protocol'
import type { NodeContext } from '../../node/context.ts'
import { agreementOf, findDraftState } from '../drafts/drafts.service.ts'
import { findRedline } from '../redlines/redlines.service.ts'
import {
  type PublicationRow,
  standingPublication,
  standingPublications,
} from './portal.repository.ts'

/** What every public item shows: who published it, when, and where its page is. */
interface Published {
  readonly publication: string
  readonly party: string
  readonly publishedAt: number
  /** When the item itself last changed: its adoption, revision or statement. */
  readonly updatedAt: number
}

export interface PublicAgreement extends Published {
  readonly kind: 'agreement'
  readonly draft: string
  readonly version: number
  readonly title: string
  readonly lang: string
  readonly contentHash: string
  readonly text: readonly {
    paragraph: string
    text: string
    translations?: Record<string, string>
  }[]
  readonly signatories: readonly { party: string; event: string; time: number }[]
}

export interface PublicRedline extends Published {
  readonly kind: 'redline'
  readonly redline: string
  readonly version: number
  readonly title: string
  readonly text: string
  readonly threshold: string
  readonly sectors: readonly string[]
  readonly lang: string | undefined
}

export interface PublicStatement extends Published {
  readonly kind: 'statement'
  readonly event: string
  readonly text: string
  readonly lang: string
}

export type PublicItem = PublicAgreement | PublicRedline | PublicStatement

/** The most items a portal list or the feed shows. */
export const PUBLIC_LIST_LIMIT = 200

/**
 * The one place that decides what the public sees: the item of a standing publication, read as
 * it stands now, and only while it still qualifies. A red line withdrawn or revised to a marking
 * other than TLP:CLEAR leaves the portal; so does an agreement this node no longer holds as
 * adopted. Anything else answers undefined, exactly as an id that was never published.
 */
async function publicItem(ctx: NodeContext, row: PublicationRow): Promise<PublicItem | undefined> {
  const published = {
    publication: row.id,
    party: row.party,
    publishedAt: Number(row.published_at),
  }
  if (row.kind === 'agreement') {
    const state = await findDraftState(ctx.db, row.channel, row.item)
    const adoption = state?.adopted.find((a) => a.version === row.version)
    if (state === undefined || adoption === undefined) return undefined
    return {
      kind: 'agreement',
      ...published,
      updatedAt: adoption.adoptedAt,
      draft: row.item,
      version: row.version,
      title: state.title,
      lang: state.lang,
      contentHash: adoption.contentHash,
      text: adoption.text,
      signatories: adoption.adopters,
    }
  }
  if (row.kind === 'redline') {
    const redline = await findRedline(ctx.db, row.item)
    if (redline === undefined || redline.status !== 'standing' || redline.tlp !== 'clear') {
      return undefined
    }
    return {
      kind: 'redline',
      ...published,
      updatedAt: redline.updatedAt,
      redline: redline.id,
      version: redline.version,
      title: redline.title,
      text: redline.text,
      threshold: redline.threshold,
      sectors: redline.sectors,
      lang: redline.lang,
    }
  }
  const event = await ctx.db
    .selectFrom('events')
    .select(['id', 'author', 'type', 'time', 'body'])
    .where('id', '=', row.item)
    .executeTakeFirst()
  const body = event?.body as { text?: string; lang?: string; tlp?: string } | undefined
  if (event === undefined || event.type !== 'message.post' || body?.tlp !== 'clear') {
    return undefined
  }
  return {
    kind: 'statement',
    ...published,
    updatedAt: Number(event.time),
    event: event.id,
    text: body.text ?? '',
    lang: body.lang ?? 'en',
  }
}

/** The public items of a kind (or of every kind), newest publication first. */
export async function publicItems(ctx: NodeContext, kind?: PublicationKind): Promise<PublicItem[]> {
  const rows = await standingPublications(ctx.db, {
    ...(kind === undefined ? {} : { kind }),
    limit: PUBLIC_LIST_LIMIT,
  })
  const items = await Promise.all(rows.map((row) => publicItem(ctx, row)))
  return items.filter((item) => item !== undefined)
}

/** One public item by its kind and id (and an agreement's version), or undefined. */
export async function findPublicItem(
  ctx: NodeContext,
  kind: PublicationKind,
  item: string,
  version = 1,
): Promise<PublicItem | undefined> {
  const row = await standingPublication(ctx.db, kind, item, version)
  return row === undefined ? undefined : publicItem(ctx, row)
}

/** The jointly signed agreement file of a public agreement, or undefined. */
export async function publicAgreementFile(
  ctx: NodeContext,
  draft: string,
  version: number,
): Promise<Agreement | undefined> {
  const row = await standingPublication(ctx.db, 'agreement', draft, version)
  if (row === undefined) return undefined
  if ((await findPublicItem(ctx, 'agreement', draft, version)) === undefined) return undefined
  return agreementOf(ctx, row.channel, draft, version)
}
