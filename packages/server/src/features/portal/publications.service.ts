import type { PageQuery, PublicationKind, PublicationRequest, PublicationView } from '@parley/api'
import type { Kysely, Transaction } from 'kysely'
import { ServerError } from '../../errors.ts'
import type { StoredEvent } from '../../ledger/index.ts'
import type { NodeContext } from '../../node/context.ts'
import { type Keyset, readPage } from '../../store/keyset.ts'
import type { DB } from '../../store/tables.ts'
import { audit } from '../audit/audit.service.ts'
import { findDraftState } from '../drafts/drafts.service.ts'
import { randomCrockford } from '../officers/secrets.ts'
import { findRedline } from '../redlines/redlines.service.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'
import {
  insertPublication,
  markWithdrawn,
  type PublicationRow,
  publicationById,
  publicationChannel,
  publicationRange,
  standingPublication,
} from './portal.repository.ts'

type Db = Kysely<DB> | Transaction<DB>

/** An item named for publication, once its rules hold. */
interface Candidate {
  readonly kind: PublicationKind
  readonly channel: string
  readonly item: string
  readonly version: number
}

/** The portal page of a publication's item, in `lang`. */
export function publicPath(
  { kind, item, version }: Pick<Candidate, 'kind' | 'item' | 'version'>,
  lang = 'en',
): string {
  if (kind === 'agreement') return `/public/${lang}/agreements/${item}/${version}`
  return `/public/${lang}/${kind === 'redline' ? 'redlines' : 'statements'}/${item}`
}

export function toPublicationView(row: PublicationRow): PublicationView {
  return {
    id: row.id,
    party: row.party,
    kind: row.kind,
    channel: row.channel,
    item: row.item,
    version: row.version,
    publishedBy: row.published_by,
    publishedAt: Number(row.published_at),
    withdrawnBy: row.withdrawn_by,
    withdrawnAt: row.withdrawn_at === null ? null : Number(row.withdrawn_at),
    page: publicPath(row),
  }
}

/** TLP 2.0: CLEAR is the one marking that lets an item reach the public. */
function assertClear(kind: PublicationKind, item: string, tlp: unknown): void {
  if (tlp !== 'clear')
    throw new ServerError('PUBLICATION_NOT_CLEAR', { kind, item, tlp: String(tlp) })
}

async function messageEvent(db: Db, id: string) {
  return db
    .selectFrom('events')
    .select(['id', 'channel', 'author', 'type', 'body'])
    .where('id', '=', id)
    .executeTakeFirst()
}

/**
 * Checks that `party` may publish the item: it exists in the channel on this node, is the
 * party's own (an agreement: one the party signed), and is TLP:CLEAR (agreements carry no
 * marking: their text is what every member adopted, and each signer may publish it).
 */
export async function checkPublishable(
  db: Db,
  party: string,
  request: PublicationRequest,
): Promise<Candidate> {
  const { kind, channel } = request
  if (request.kind === 'agreement') {
    const item = request.draft
    const state = await findDraftState(db as Kysely<DB>, channel, item)
    const version = request.version ?? state?.adopted.at(-1)?.version ?? 1
    const adoption = state?.adopted.find((a) => a.version === version)
    if (adoption === undefined) {
      throw new ServerError('PUBLICATION_ITEM_UNKNOWN', {
        kind,
        item: `${item} v${version}`,
        channel,
      })
    }
    if (!adoption.adopters.some((adopter) => adopter.party === party)) {
      throw new ServerError('PUBLICATION_NOT_OWN', {
        kind,
        item,
        party,
        reason: 'your party did not sign its adoption',
      })
    }
    return { kind, channel, item, version }
  }
  if (request.kind === 'redline') {
    const item = request.redline
    const redline = await findRedline(db as Kysely<DB>, item)
    if (redline === undefined || redline.channel !== channel || redline.status !== 'standing') {
      throw new ServerError('PUBLICATION_ITEM_UNKNOWN', { kind, item, channel })
    }
    if (redline.party !== party) {
      throw new ServerError('PUBLICATION_NOT_OWN', {
        kind,
        item,
        party,
        reason: `${redline.party} declared it`,
      })
    }
    assertClear(kind, item, redline.tlp)
    return { kind, channel, item, version: 1 }
  }
  const item = request.event
  const row = await messageEvent(db, item)
  if (row === undefined || row.channel !== channel || row.type !== 'message.post') {
    throw new ServerError('PUBLICATION_ITEM_UNKNOWN', { kind, item, channel })
  }
  if (row.author !== party) {
    throw new ServerError('PUBLICATION_NOT_OWN', {
      kind,
      item,
      party,
      reason: `${row.author} said it`,
    })
  }
  assertClear(kind, item, (row.body as { tlp?: unknown }).tlp)
  return { kind, channel, item, version: 1 }
}

/** Records a publication and its audit entry in `trx`; `PUBLICATION_EXISTS` if it stands already. */
async function record(
  trx: Transaction<DB>,
  officer: RequestOfficer,
  candidate: Candidate,
  now: number,
  via: 'publications' | 'release',
): Promise<PublicationRow> {
  const standing = await standingPublication(trx, candidate.kind, candidate.item, candidate.version)
  if (standing !== undefined) {
    throw new ServerError('PUBLICATION_EXISTS', {
      kind: candidate.kind,
      item: candidate.item,
      publication: standing.id,
    })
  }
  const row: PublicationRow = {
    id: `pub_${randomCrockford(26)}`,
    party: officer.party,
    ...candidate,
    published_by: officer.id,
    published_at: now,
    withdrawn_by: null,
    withdrawn_at: null,
  }
  await insertPublication(trx, row)
  await audit(trx, {
    time: now,
    action: 'publication.publish',
    officer: officer.id,
    party: officer.party,
    details: {
      publication: row.id,
      kind: row.kind,
      channel: row.channel,
      item: row.item,
      version: row.version,
      via,
    },
  })
  return row
}

/** An officer publishes an item of their party (`POST /publications`). Audited. */
export async function publish(
  ctx: NodeContext,
  officer: RequestOfficer,
  request: PublicationRequest,
): Promise<PublicationView> {
  if (request.as !== undefined && request.as !== officer.party) {
    throw new ServerError('PARTY_FORBIDDEN', { own: officer.party, party: request.as })
  }
  const candidate = await checkPublishable(ctx.db, officer.party, request)
  const row = await ctx.db
    .transaction()
    .execute((trx) => record(trx, officer, candidate, ctx.now(), 'publications'))
  return toPublicationView(row)
}

/** What publishing an item at its release would publish, or why it cannot be (checked first). */
export function releasePublication(
  type: string,
  body: Readonly<Record<string, unknown>>,
): { readonly kind: PublicationKind } {
  if (type === 'message.post') {
    assertClear('statement', 'to be released', body.tlp)
    return { kind: 'statement' }
  }
  if (type === 'redline.declare' || type === 'redline.revise') {
    assertClear('redline', 'to be released', body.tlp)
    return { kind: 'redline' }
  }
  if (type === 'draft.adopt') return { kind: 'agreement' }
  throw new ServerError('PUBLICATION_TYPE_UNPUBLISHABLE', { type })
}

/**
 * Publishes an item just released with `publish: true` (its rules were checked by
 * {@link releasePublication} before it was signed). A red line published already stays as it
 * is; an adoption publishes the agreement version, shown once every member has adopted it.
 */
export async function publishReleased(
  ctx: NodeContext,
  officer: RequestOfficer,
  released: StoredEvent,
): Promise<PublicationView> {
  const { event, id } = released
  const body = event.body as Record<string, unknown>
  const { kind } = releasePublication(event.type, body)
  const item =
    kind === 'statement'
      ? id
      : kind === 'redline'
        ? event.type === 'redline.declare'
          ? id
          : String(body.redline)
        : String(body.draft)
  const version = kind === 'agreement' ? Number(body.version ?? 1) : 1
  const candidate: Candidate = { kind, channel: event.channel, item, version }
  const row = await ctx.db.transaction().execute(async (trx) => {
    const standing = await standingPublication(trx, kind, item, version)
    return standing ?? record(trx, officer, candidate, ctx.now(), 'release')
  })
  return toPublicationView(row)
}

/** An officer withdraws a publication of their party (`DELETE /publications/:id`). Audited. */
export async function withdraw(
  ctx: NodeContext,
  officer: RequestOfficer,
  id: string,
): Promise<PublicationView> {
  const now = ctx.now()
  const row = await ctx.db.transaction().execute(async (trx) => {
    const found = await publicationById(trx, id)
    if (found === undefined || found.party !== officer.party) {
      throw new ServerError('PUBLICATION_NOT_FOUND', { publication: id })
    }
    if (!(await markWithdrawn(trx, id, officer.id, now))) {
      throw new ServerError('PUBLICATION_NOT_FOUND', { publication: id })
    }
    await audit(trx, {
      time: now,
      action: 'publication.withdraw',
      officer: officer.id,
      party: officer.party,
      details: { publication: id, kind: found.kind, channel: found.channel, item: found.item },
    })
    return (await publicationById(trx, id))!
  })
  return toPublicationView(row)
}

const publicationKeyset: Keyset<PublicationRow> = {
  scope: 'publications',
  columns: ['published_at', 'id'],
  kinds: ['int', 'text'],
  key: (row) => [Number(row.published_at), row.id],
}

/** A page of the officer's party's publications, withdrawn ones included, oldest first. */
export async function publicationsPage(
  ctx: NodeContext,
  officer: RequestOfficer,
  query: PageQuery & { readonly kind?: PublicationKind },
) {
  const { kind, ...page } = query
  const read = await readPage(publicationKeyset, page, (where, direction, limit) =>
    publicationRange(ctx.db, {
      party: officer.party,
      ...(kind === undefined ? {} : { kind }),
      where,
      direction,
      limit,
    }),
  )
  return { publications: read.items.map(toPublicationView), cursors: read.cursors }
}

/** The channel of a publication, for the access hook; `PUBLICATION_NOT_FOUND` when there is none. */
export async function channelOfPublication(ctx: NodeContext, id: string): Promise<string> {
  const channel = await publicationChannel(ctx.db, id)
  if (channel === undefined) throw new ServerError('PUBLICATION_NOT_FOUND', { publication: id })
  return channel
}
