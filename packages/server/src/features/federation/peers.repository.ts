import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../store/tables.ts'

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
    .values({ url, node, failing_since: null, last_error: null, last_success_at: null })
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
  readonly lastError: string | null
  readonly lastSuccessAt: number | null
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
    lastError: row.last_error,
    lastSuccessAt: row.last_success_at,
    parties: parties.filter((p) => p.url === row.url).map((p) => p.party),
  }))
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

/** Notes a failed exchange; `failing_since` keeps the first failure of the streak. */
export async function markPeerFailing(
  db: Db,
  url: string,
  at: number,
  error: string,
): Promise<void> {
  await db
    .updateTable('peer_nodes')
    .set((eb) => ({
      failing_since: eb.fn.coalesce('failing_since', eb.val(at)),
      last_error: error.slice(0, 500),
    }))
    .where('url', '=', url)
    .execute()
}

/** Notes a successful exchange, ending any failure streak. */
export async function markPeerHealthy(db: Db, url: string, at: number): Promise<void> {
  await db
    .updateTable('peer_nodes')
    .set({ failing_since: null, last_error: null, last_success_at: at })
    .where('url', '=', url)
    .execute()
}
