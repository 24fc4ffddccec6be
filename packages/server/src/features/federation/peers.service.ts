import {
  isKeyValidAt,
  isProtocolError,
  keyParty,
  type PartyKey,
  partyFingerprint,
} from '@parley/protocol'
import type { Kysely } from 'kysely'
import type { PeerConfig } from '../../config.ts'
import { ServerError } from '../../errors.ts'
import { partyKeys, pinPartyKeys } from '../../ledger/index.ts'
import type { NodeContext } from '../../node/context.ts'
import { backfillDestination } from '../../node/outbox.repository.ts'
import { firstParty, type NodeIdentity, signingKey } from '../../node-identity.ts'
import { federationBase, fetchDescriptor } from '../../signed-http/federation-client.ts'
import { type PeerPin, peerKeysToPin } from '../../signed-http/peer-trust.ts'
import type { DB } from '../../store/tables.ts'
import { audit } from '../audit/audit.service.ts'
import { proveUrl } from './hello.ts'
import {
  listPeerNodes,
  markPeerBound,
  peerRoutesVersion,
  removePeerRoute,
  upsertPeerNode,
  urlOfParty,
} from './peers.repository.ts'

/** Every peer node with its parties and delivery health, as the node's health and timelines show it. */
export { listPeerNodes, type PeerNodeRow } from './peers.repository.ts'

/** A peer's base URL as this node stores it: scheme, host, port and path, no trailing slash. */
export function peerUrl(url: string): string {
  return federationBase(url)
}

/** Who changes a peer, as the audit log records it. */
export interface PeerChanger {
  /** The officer; null for the node itself (its config at start-up) and the operator's CLI. */
  readonly officer: string | null
  /** The officer's party, whose admins see the entry; null for node-wide changes. */
  readonly party: string | null
  /** `api`, `config` (a start with peers in parley.json) or `cli` (on a stopped node). */
  readonly via: 'api' | 'config' | 'cli'
}

interface PeerChange {
  readonly peer: string
  /** The party's URL after the change; null once it is removed. */
  readonly url: string | null
  readonly previousUrl: string | undefined
  readonly fingerprint: string
  readonly node: string | null
}

/**
 * Records a peer change: `peer.remove` when it has no URL any more, `peer.url` when it moved,
 * else `peer.add` (a party new here, or pinned at its URL again).
 */
async function auditPeerChange(
  ctx: Pick<NodeContext, 'db' | 'now'>,
  by: PeerChanger,
  change: PeerChange,
): Promise<void> {
  const action =
    change.url === null
      ? 'peer.remove'
      : change.previousUrl !== undefined && change.previousUrl !== change.url
        ? 'peer.url'
        : 'peer.add'
  await audit(ctx.db, {
    time: ctx.now(),
    action,
    officer: by.officer,
    party: by.party,
    details: {
      via: by.via,
      peer: change.peer,
      node: change.node,
      url: change.url,
      previousUrl: change.previousUrl ?? null,
      fingerprint: change.fingerprint,
    },
  })
}

/**
 * Stops routing a peer party (`DELETE /api/v1/peers/:party`, `parley peer remove`): nothing
 * more is queued for it, and its node is sent nothing once no party is routed there. Its keys
 * stay pinned, since its past events must still verify. Audited as `peer.remove` with the URL
 * it had and its fingerprint. Throws `NOT_FOUND` for a party that is not routed.
 */
export async function removePeer(
  ctx: Pick<NodeContext, 'db' | 'now'>,
  party: string,
  by: PeerChanger,
): Promise<{ party: string; url: string }> {
  const url = await urlOfParty(ctx.db, party)
  if (url === undefined) throw new ServerError('NOT_FOUND', { what: `Peer party ${party}` })
  const fingerprint = await partyFingerprint(await partyKeys(ctx.db, party), ctx.now()).catch(
    (error: unknown) => {
      // A party whose keys all expired has no fingerprint now; the entry says so.
      if (isProtocolError(error, 'DESCRIPTOR_INVALID')) return 'none valid now'
      throw error
    },
  )
  const node = (await listPeerNodes(ctx.db)).find((row) => row.url === url)?.node ?? null
  await removePeerRoute(ctx.db, party)
  await auditPeerChange(ctx, by, { peer: party, url: null, previousUrl: url, fingerprint, node })
  return { party, url }
}

/** Pins the public keys of the node's own parties, so its own events verify like any other. */
async function pinHostedParties(
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
 * parties. A peer that hosts a hosted party of this node is a config error. A party new here
 * or at a new URL is audited as the config's change; its URL proves itself by hello before
 * delivery first talks to it (DESIGN §4.6), since the peer may not be up yet.
 */
export async function pinConfiguredPeers(
  db: Kysely<DB>,
  identity: NodeIdentity,
  peers: readonly PeerConfig[],
  now: number,
): Promise<void> {
  await pinHostedParties(db, identity, now)
  const ctx = { db, now: () => now }
  for (const peer of peers) {
    const url = peerUrl(peer.url)
    const parties = peer.parties.filter((party) => !identity.parties.has(party.id))
    for (const party of parties) {
      await pinPartyKeys(db, party.id, party.name, party.keys, { now, hosted: false })
      const previousUrl = await urlOfParty(db, party.id)
      if (previousUrl === url) continue
      await auditPeerChange(
        ctx,
        { officer: null, party: null, via: 'config' },
        {
          peer: party.id,
          url,
          previousUrl,
          fingerprint: party.fingerprint,
          node: peer.node ?? null,
        },
      )
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

/** What `POST /api/v1/peers` and `parley peer add` ask for. */
export interface PeerRequest {
  readonly url: string
  readonly fingerprint: string
  readonly party?: string
}

/**
 * Fetches a peer's descriptor, checks it against the fingerprint the operator received out
 * of band, binds the URL to that party by hello (DESIGN §4.6), then pins its keys, routes it
 * there and audits the change. Nothing is written unless all of it holds. Throws
 * `PEER_UNREACHABLE`, `PEER_NOT_PARLEY`, `DESCRIPTOR_URL_MISMATCH`, `FINGERPRINT_MISMATCH`
 * (naming both fingerprints) or `PEER_BINDING_FAILED`; none quotes what the URL answered.
 */
export async function addPeer(
  ctx: Pick<NodeContext, 'db' | 'now' | 'identity'>,
  request: PeerRequest,
  by: PeerChanger,
  options: { readonly fetch?: typeof fetch } = {},
): Promise<PeerPin & { url: string; boundAt: number }> {
  const pin = await checkPeer(ctx, request, options)
  const now = ctx.now()
  const previousUrl = await urlOfParty(ctx.db, pin.party)
  await pinPartyKeys(ctx.db, pin.party, pin.name, pin.keys, { now, hosted: false })
  await upsertPeerNode(ctx.db, pin.url, pin.node, [pin.party])
  await backfillDestination(ctx.db, pin.url, [pin.party], now)
  await markPeerBound(ctx.db, pin.url, now)
  await auditPeerChange(ctx, by, {
    peer: pin.party,
    url: pin.url,
    previousUrl,
    fingerprint: pin.fingerprint,
    node: pin.node,
  })
  return { ...pin, boundAt: now }
}

/**
 * The checks of a peer add, with no write: the descriptor at `url` (naming `url` itself), the
 * fingerprint, and a hello from `url` signed by the keys that fingerprint vouches for.
 */
export async function checkPeer(
  ctx: Pick<NodeContext, 'now' | 'identity'>,
  request: PeerRequest,
  options: { readonly fetch?: typeof fetch } = {},
): Promise<PeerPin & { url: string }> {
  const url = peerUrl(request.url)
  const transport = options.fetch === undefined ? {} : { fetch: options.fetch }
  const descriptor = await fetchDescriptor(url, transport)
  const pin = await peerKeysToPin(descriptor, request.fingerprint, {
    now: ctx.now(),
    ...(request.party === undefined ? {} : { party: request.party }),
  })
  const key = signingKey(firstParty(ctx.identity), ctx.now())
  await proveUrl({
    url,
    party: pin.party,
    keys: pin.keys,
    signer: { keyId: key.id, privateKey: key.privateKey },
    now: ctx.now,
    ...transport,
  })
  return { ...pin, url }
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
