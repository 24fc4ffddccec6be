import type { SignedEvent } from '@parley/protocol'
import type { Kysely } from 'kysely'
import { isServerError } from '../../errors.ts'
import {
  type AuthenticatedEvents,
  authenticateEvents,
  MAX_LOG_READ,
  readHeads,
} from '../../ledger/index.ts'
import { commitReceivedBatch } from '../../node/commit.ts'
import type { NodeContext } from '../../node/context.ts'
import type { FederationClient } from '../../signed-http/federation-client.ts'
import type { DB } from '../../store/tables.ts'
import { proveForks } from './fork-proof.ts'
import { peerRefused } from './peer-failure.ts'

type Heads = Record<string, { seq: number; id: string }>

/** One channel to reconcile with one peer node, as the hosted party that takes part in it. */
export interface SyncTarget {
  readonly url: string
  readonly channel: string
  readonly party: string
}

/**
 * Every (peer node, channel) pair this node should compare heads with: each channel a hosted
 * party takes part in, with each peer node that hosts another participant.
 */
export async function syncTargets(
  db: Kysely<DB>,
  hosted: readonly string[],
): Promise<SyncTarget[]> {
  if (hosted.length === 0) return []
  const rows = await db
    .selectFrom('channel_members as mine')
    .innerJoin('channel_members as theirs', 'theirs.channel', 'mine.channel')
    .innerJoin('peer_parties', 'peer_parties.party', 'theirs.party')
    .select(['peer_parties.url as url', 'mine.channel as channel', 'mine.party as party'])
    .where('mine.party', 'in', hosted)
    .where('theirs.party', 'not in', hosted)
    .orderBy('mine.channel')
    .orderBy('peer_parties.url')
    .orderBy('mine.party')
    .execute()
  const seen = new Set<string>()
  return rows.filter((row) => {
    const key = `${row.url}\n${row.channel}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** Log pages (≤ 500 events each) asked for ahead of the one being committed. */
const PAGES_AHEAD = 3

interface Page {
  readonly events: unknown[]
  readonly checked: AuthenticatedEvents
}

/**
 * Anti-entropy for one channel with one peer (DESIGN §4.7): compares heads and pulls, in seq
 * order, every event the peer holds beyond ours. Events are self-authenticating, so any
 * participant's node may supply any author's log. Each page (≤ 500 events) is committed as one
 * batch, while the next pages are already on their way and their signatures being checked:
 * pages still apply strictly in order. Returns how many events were stored.
 */
export async function syncChannel(
  ctx: NodeContext,
  client: FederationClient,
  target: SyncTarget,
  signal?: AbortSignal,
): Promise<number> {
  const base = `${target.url}/federation/v1/channels/${target.channel}`
  const options = signal ? { signal } : {}
  const reply = await client.get(`${base}/heads`, options)
  if (!reply.ok) throw peerRefused(target.url, reply.status, reply.body)
  const theirs = (reply.body as { heads?: Heads }).heads ?? {}
  const ours = await readHeads(ctx.db, target.channel)
  const page = async (author: string, from: number): Promise<Page> => {
    const url = `${base}/log/${author}?from=${from}&limit=${MAX_LOG_READ}`
    const answer = await client.get(url, options)
    if (!answer.ok) throw peerRefused(target.url, answer.status, answer.body)
    const events = (answer.body as { events?: unknown[] }).events ?? []
    // Signatures are checked as soon as a page is here, while earlier pages commit.
    return { events, checked: await authenticateEvents(ctx.db, events, ctx.verifier) }
  }
  let stored = 0
  for (const [author, head] of Object.entries(theirs)) {
    let from = (ours[author]?.seq ?? 0) + 1
    // Pages on their way, in order: each assumed full, as every page but the last is.
    const ahead: Promise<Page>[] = []
    let next = from
    const fill = () => {
      while (ahead.length < PAGES_AHEAD && next <= head.seq) {
        const coming = page(author, next)
        // Awaited in its turn; a failure then is that turn's failure, not an unhandled one.
        coming.catch(() => {})
        ahead.push(coming)
        next += MAX_LOG_READ
      }
    }
    fill()
    while (ahead.length > 0 && !signal?.aborted) {
      const { events, checked } = await ahead.shift()!
      if (events.length === 0) break
      from += events.length
      if (events.length < MAX_LOG_READ && from <= head.seq) {
        // A short page before the head: the pages asked for after it start in the wrong place.
        ahead.length = 0
        next = from
      }
      fill()
      const { results, applied } = await commitReceivedBatch(ctx, checked)
      stored += applied.length
      let refused = false
      for (const [index, result] of results.entries()) {
        if (result.status === 'stored') stored++
        if (result.status === 'rejected') {
          // A refused event ends this log: what follows it cannot chain anyway.
          ctx.log.warn({ peer: target.url, author, code: result.code }, 'pulled event refused')
          if (result.code === 'HEADS_CONFLICT') {
            // A proof that cannot be fetched now must not fail the sync; the alarm stays.
            await proveForks(ctx, client, target.url, events[index] as SignedEvent, signal).catch(
              (error: unknown) =>
                ctx.log.warn({ peer: target.url, reason: describeFailure(error) }, 'no fork proof'),
            )
          }
          refused = true
          break
        }
      }
      if (refused) break
    }
  }
  return stored
}

/** A short account of a failed exchange for the log. */
export function describeFailure(error: unknown): string {
  return isServerError(error)
    ? `${error.code}: ${error.message}`
    : String((error as Error)?.message ?? error)
}
