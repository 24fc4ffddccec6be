import { type Kysely, sql, type Transaction } from 'kysely'
import { jsonb } from '../../store/jsonb.ts'
import type { DB } from '../../store/tables.ts'
import type { PeerFailureDetail } from './federation.table.ts'

type Db = Kysely<DB> | Transaction<DB>

/** Bumped whenever a route may have changed, so caches of `peer_parties` know to reload. */
export let peerRoutesVersion = 0

/** Records a peer node and routes its parties to it (a party moving nodes is re-routed). */
export async function upsertPeerNode(
  db: Db,
  url: string,
  node: string | null,
  parties: readonly string[],
): Promise<void> {
  await db
    .insertInto('peer_nodes')
    .values({ url, node })
    .onConflict((oc) => oc.column('url').doUpdateSet({ node }))
    .execute()
  for (const party of parties) {
    await db
      .insertInto('peer_parties')
      .values({ party, url })
      .onConflict((oc) => oc.column('party').doUpdateSet({ url }))
      .execute()
  }
  peerRoutesVersion++
}

export interface PeerNodeRow {
  readonly url: string
  readonly node: string | null
  readonly failingSince: number | null
  /** The last failure, as `CODE (status N): reason`; it names no channel. */
  readonly lastError: string | null
  readonly lastErrorCode: string | null
  /** The channels whose exchanges failed in this streak (who may see them is the caller's call). */
  readonly failingChannels: string[]
  readonly lastSuccessAt: number | null
  /** When the URL last proved by hello that it holds its parties' keys (DESIGN §4.6). */
  readonly boundAt: number | null
  readonly parties: string[]
}

/** Every peer node with the parties routed to it and its delivery health. */
export async function listPeerNodes(db: Db): Promise<PeerNodeRow[]> {
  const nodes = await db.selectFrom('peer_nodes').selectAll().orderBy('url').execute()
  const parties = await db.selectFrom('peer_parties').selectAll().orderBy('party').execute()
  return nodes.map((row) => ({
    url: row.url,
    node: row.node,
    failingSince: row.failing_since,
    lastError:
      row.last_error === null ? null : describePeerFailure(row.last_error, row.last_error_detail),
    lastErrorCode: row.last_error,
    failingChannels: row.failing_channels ?? [],
    lastSuccessAt: row.last_success_at,
    boundAt: row.bound_at,
    parties: parties.filter((p) => p.url === row.url).map((p) => p.party),
  }))
}

function describePeerFailure(code: string, detail: PeerFailureDetail | null): string {
  const status = detail?.status === undefined ? '' : ` (status ${detail.status})`
  const reason = detail?.reason === undefined ? '' : `: ${detail.reason}`
  return `${code}${status}${reason}`
}

/** Stops routing a party anywhere; returns the URL it was routed to. */
export async function removePeerRoute(db: Db, party: string): Promise<string | undefined> {
  const row = await db
    .deleteFrom('peer_parties')
    .where('party', '=', party)
    .returning('url')
    .executeTakeFirst()
  peerRoutesVersion++
  return row?.url
}

/** The node URL that hosts a party, if the party is a known peer. */
export async function urlOfParty(db: Db, party: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('peer_parties')
    .select('url')
    .where('party', '=', party)
    .executeTakeFirst()
  return row?.url
}

/** The parties routed to a node URL. */
export async function partiesAt(db: Db, url: string): Promise<string[]> {
  const rows = await db
    .selectFrom('peer_parties')
    .select('party')
    .where('url', '=', url)
    .orderBy('party')
    .execute()
  return rows.map((row) => row.party)
}

/** A failed exchange: a code, what may be said of it anywhere, and the channel it was about. */
export interface PeerFailure extends PeerFailureDetail {
  readonly code: string
  readonly channel?: string
}

/**
 * Notes a failed exchange; `failing_since` keeps the first failure of the streak, and the
 * channel joins the streak's failing channels.
 */
export async function markPeerFailing(
  db: Db,
  url: string,
  at: number,
  failure: PeerFailure,
): Promise<void> {
  const { code, channel, ...detail } = failure
  await db
    .updateTable('peer_nodes')
    .set((eb) => ({
      failing_since: eb.fn.coalesce('failing_since', eb.val(at)),
      last_error: code,
      last_error_detail: jsonb(detail),
      ...(channel === undefined
        ? {}
        : {
            failing_channels: sql<string>`case
              when coalesce(failing_channels, '[]'::jsonb) @> ${jsonb([channel])}::jsonb
              then failing_channels
              else coalesce(failing_channels, '[]'::jsonb) || ${jsonb([channel])}::jsonb end`,
          }),
    }))
    .where('url', '=', url)
    .execute()
}

/** Notes a successful exchange, ending any failure streak. */
export async function markPeerHealthy(db: Db, url: string, at: number): Promise<void> {
  await db
    .updateTable('peer_nodes')
    .set({
      failing_since: null,
      last_error: null,
      last_error_detail: null,
      failing_channels: null,
      last_success_at: at,
    })
    .where('url', '=', url)
    .execute()
}

/** Notes that the URL answered a hello as every party routed to it. */
export async function markPeerBound(db: Db, url: string, at: number): Promise<void> {
  await db.updateTable('peer_nodes').set({ bound_at: at }).where('url', '=', url).execute()
}
