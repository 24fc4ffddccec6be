import { isKeyValidAt, keyParty, type PartyKey } from '@parley/protocol'
import type { Kysely } from 'kysely'
import type { PeerConfig } from '../../config.ts'
import { partyKeys, pinPartyKeys } from '../../ledger/index.ts'
import type { NodeContext } from '../../node/context.ts'
import { backfillDestination } from '../../node/outbox.repository.ts'
import type { NodeIdentity } from '../../node-identity.ts'
import { federationUrl, fetchDescriptor } from '../../signed-http/federation-client.ts'
import { type PeerPin, peerKeysToPin } from '../../signed-http/peer-trust.ts'
import type { DB } from '../../store/tables.ts'
import { peerRoutesVersion, upsertPeerNode, urlOfParty } from './peers.repository.ts'

/** Every peer node with its parties and delivery health, as the node's health and timelines show it. */
export { listPeerNodes } from './peers.repository.ts'

/** A peer's base URL as this node stores it: scheme, host, port and path, no trailing slash. */
export function peerUrl(url: string): string {
  return federationUrl(url).href.replace(/\/+$/, '')
}

/** Pins the public keys of the node's own parties, so its own events verify like any other. */
export async function pinHostedParties(
  db: Kysely<DB>,
  identity: NodeIdentity,
  now: number,
): Promise<void> {
  for (const party of identity.parties.values()) {
    const keys = party.keys.map(({ id, publicKey, validFrom, validUntil }) => ({
      id,
      publicKey,
      validFrom,
      validUntil,
    }))
    await pinPartyKeys(db, party.id, party.name, keys, { now, hosted: true })
  }
}

/**
 * Pins the peers listed in the config (keys pinned by `parley peer add`) and routes their
 * parties. A peer that hosts a hosted party of this node is a config error.
 */
export async function pinConfiguredPeers(
  db: Kysely<DB>,
  identity: NodeIdentity,
  peers: readonly PeerConfig[],
  now: number,
): Promise<void> {
  await pinHostedParties(db, identity, now)
  for (const peer of peers) {
    const url = peerUrl(peer.url)
    const parties = peer.parties.filter((party) => !identity.parties.has(party.id))
    for (const party of parties) {
      await pinPartyKeys(db, party.id, party.name, party.keys, { now, hosted: false })
    }
    await upsertPeerNode(
      db,
      url,
      peer.node ?? null,
      parties.map((party) => party.id),
    )
    await backfillDestination(
      db,
      url,
      parties.map((party) => party.id),
      now,
    )
  }
}

/**
 * Fetches a peer's descriptor, checks it against the fingerprint the operator received out
 * of band and pins that party's keys (DESIGN §4.6). Throws `FINGERPRINT_MISMATCH` naming
 * both fingerprints when they differ; nothing is pinned then.
 */
export async function addPeer(
  ctx: Pick<NodeContext, 'db' | 'now'>,
  url: string,
  fingerprint: string,
  party?: string,
): Promise<PeerPin & { url: string }> {
  const base = peerUrl(url)
  const descriptor = await fetchDescriptor(base)
  const now = ctx.now()
  const pin = await peerKeysToPin(descriptor, fingerprint, {
    now,
    ...(party === undefined ? {} : { party }),
  })
  await pinPartyKeys(ctx.db, pin.party, pin.name, pin.keys, { now, hosted: false })
  await upsertPeerNode(ctx.db, base, pin.node, [pin.party])
  await backfillDestination(ctx.db, base, [pin.party], now)
  return { ...pin, url: base }
}

/**
 * Resolves the `keyid` of a signed federation request: a pinned key of a peer party (never
 * one of this node's own), valid now.
 */
export function peerKeyResolver(ctx: Pick<NodeContext, 'db' | 'now' | 'identity'>) {
  return async (keyid: string): Promise<string | undefined> => {
    const party = keyParty(keyid)
    if (ctx.identity.parties.has(party)) return undefined
    return validKey(await partyKeys(ctx.db, party), keyid, ctx.now())
  }
}

/** Resolves the `keyid` of a reply: a pinned key of a party this node routes to that URL. */
export function replyKeyResolver(ctx: Pick<NodeContext, 'db' | 'now'>) {
  // Every reply is checked: the routes are read once, and again only after one changed.
  let routes = new Map<string, Promise<string | undefined>>()
  let version = -1
  return async (keyid: string, url: URL): Promise<string | undefined> => {
    const party = keyParty(keyid)
    if (version !== peerRoutesVersion || routes.size > 10_000) {
      routes = new Map()
      version = peerRoutesVersion
    }
    let route = routes.get(party)
    if (route === undefined) {
      route = urlOfParty(ctx.db, party)
      route.catch(() => routes.delete(party))
      routes.set(party, route)
    }
    const routed = await route
    if (routed === undefined || new URL(routed).origin !== url.origin) return undefined
    return validKey(await partyKeys(ctx.db, party), keyid, ctx.now())
  }
}

function validKey(keys: readonly PartyKey[], keyid: string, now: number): string | undefined {
  const key = keys.find((candidate) => candidate.id === keyid)
  return key !== undefined && isKeyValidAt(key, now) ? key.publicKey : undefined
}
