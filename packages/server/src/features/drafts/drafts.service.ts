import type { DraftStateView, ParagraphComparisonSchema } from '@parley/api'
import {
  AGREEMENT_FORMAT,
  type Agreement,
  canonicalJson,
  type Event,
  parseCanonicalSignedEvent,
} from '@parley/protocol'
import { diffWords } from 'diff'
import type { Static } from 'typebox'
import { ServerError } from '../../errors.ts'
import { partyKeys } from '../../ledger/index.ts'
import { channelOrThrow } from '../../node/channels.ts'
import type { NodeContext } from '../../node/context.ts'
import type { DraftState } from './draft-state.ts'

type Db = NodeContext['db']

/** A draft's state as this node holds it, or undefined. */
export async function findDraftState(
  db: Db,
  channel: string,
  draft: string,
): Promise<DraftState | undefined> {
  const row = await db
    .selectFrom('drafts')
    .select('state')
    .where('id', '=', draft)
    .where('channel', '=', channel)
    .executeTakeFirst()
  return row === undefined ? undefined : (row.state as unknown as DraftState)
}

/** A draft's state, or `DRAFT_NOT_FOUND`. */
export async function draftStateOrThrow(
  db: Db,
  channel: string,
  draft: string,
): Promise<DraftState> {
  const state = await findDraftState(db, channel, draft)
  if (state === undefined) throw new ServerError('DRAFT_NOT_FOUND', { draft, channel })
  return state
}

/** The drafts of a channel, oldest first. */
export async function listDrafts(ctx: NodeContext, channel: string): Promise<DraftStateView[]> {
  await channelOrThrow(ctx, channel)
  const rows = await ctx.db
    .selectFrom('drafts')
    .select('state')
    .where('channel', '=', channel)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.map((row) => row.state as unknown as DraftStateView)
}

export async function getDraft(
  ctx: NodeContext,
  channel: string,
  draft: string,
): Promise<DraftStateView> {
  await channelOrThrow(ctx, channel)
  return (await draftStateOrThrow(ctx.db, channel, draft)) as unknown as DraftStateView
}

type ParagraphComparison = Static<typeof ParagraphComparisonSchema>

/** One word-level change between two wordings, as `diff`'s diffWords gives it. */
export interface WordChange {
  readonly value: string
  readonly added?: true
  readonly removed?: true
}

/**
 * The variants of a paragraph side by side: each with its word-level diff against the wording
 * it amends (its `alternativeTo`, or the paragraph's first alternative).
 */
export async function compareParagraph(
  ctx: NodeContext,
  channel: string,
  draft: string,
  eId: string,
): Promise<ParagraphComparison> {
  const state = await getDraft(ctx, channel, draft)
  const paragraph = state.paragraphs.find((p) => p.eId === eId)
  if (paragraph === undefined) {
    throw new ServerError('NOT_FOUND', { what: `Paragraph ${eId} of draft ${draft}` })
  }
  const base = paragraph.alternatives[0]!
  return {
    paragraph: eId,
    num: paragraph.num,
    status: paragraph.status,
    agreed: paragraph.agreed,
    variants: paragraph.alternatives.map((alternative) => {
      const against = paragraph.alternatives.find((a) => a.id === alternative.alternativeTo) ?? base
      return {
        ...alternative,
        against: against.id,
        diff: diffWords(against.text, alternative.text).map(
          (change): WordChange => ({
            value: change.value,
            ...(change.added ? { added: true as const } : {}),
            ...(change.removed ? { removed: true as const } : {}),
          }),
        ),
      }
    }),
  }
}

/**
 * The jointly signed artifact of an adopted version: the channel's genesis (who the members
 * are), the draft, the text and its hash, each member's signed adopt, and the keys that check
 * them. `DRAFT_NOT_ADOPTED` until every member adopted one hash of that version.
 */
export async function agreementOf(
  ctx: NodeContext,
  channel: string,
  draft: string,
  version?: number,
): Promise<Agreement> {
  const found = await channelOrThrow(ctx, channel)
  const state = await draftStateOrThrow(ctx.db, channel, draft)
  const wanted = version ?? state.adopted.at(-1)?.version ?? state.version
  const adoption = state.adopted.find((a) => a.version === wanted)
  if (adoption === undefined) {
    throw new ServerError('DRAFT_NOT_ADOPTED', { draft, version: wanted })
  }
  const ids = [found.genesisId, draft, ...adoption.adopters.map((a) => a.event)]
  const rows = await ctx.db
    .selectFrom('events')
    .select(['id', 'raw'])
    .where('id', 'in', ids)
    .execute()
  const raw = new Map(
    rows.map((row) => [row.id, JSON.parse(row.raw) as { event: Event; sig: string }]),
  )
  const signed = (id: string) => {
    const value = raw.get(id)
    if (value === undefined) throw new ServerError('NOT_FOUND', { what: `Event ${id}` })
    return value
  }
  const keys: Record<string, { id: string; publicKey: string }[]> = {}
  for (const id of ids) {
    const { event } = parseCanonicalSignedEvent(signed(id))
    const list = keys[event.author] ?? []
    if (list.some((key) => key.id === event.key)) continue
    const key = (await partyKeys(ctx.db, event.author)).find((k) => k.id === event.key)
    if (key === undefined) throw new ServerError('NOT_FOUND', { what: `Key ${event.key}` })
    list.push({ id: key.id, publicKey: key.publicKey })
    keys[event.author] = list
  }
  return {
    format: AGREEMENT_FORMAT,
    channel: signed(found.genesisId),
    draft: signed(draft),
    version: adoption.version,
    contentHash: adoption.contentHash,
    text: adoption.text.map((p) => ({ ...p })),
    adoptions: adoption.adopters.map((a) => signed(a.event)),
    keys,
  } as Agreement
}

/** The agreement as its export file: canonical JSON, every byte of which verification checks. */
export function agreementFile(agreement: Agreement): string {
  return `${canonicalJson(agreement)}\n`
}
