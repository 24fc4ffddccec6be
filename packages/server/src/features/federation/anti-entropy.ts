import type { Kysely } from 'kysely'
import { isServerError } from '../../errors.ts'
import type { FederationClient } from '../../federation/federation-client.ts'
import { MAX_LOG_READ, readHeads } from '../../ledger/index.ts'
import type { DB } from '../../store/tables.ts'
import { commitReceivedBatch, type NodeContext } from '../events/events.service.ts'

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

/**
 * Anti-entropy for one channel with one peer (DESIGN §4.7): compares heads and pulls, in seq
 * order, every event the peer holds beyond ours. Events are self-authenticating, so any
 * participant's node may supply any author's log. Each page (≤ 500 events) is committed as one
 * batch, and the next page is already on its way while one is being committed: pages still
 * apply strictly in order. Returns how many events were stored.
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
  if (!reply.ok) throw replyError(reply.status, reply.body)
  const theirs = (reply.body as { heads?: Heads }).heads ?? {}
  const ours = await readHeads(ctx.db, target.channel)
  const page = async (author: string, from: number): Promise<unknown[]> => {
    const answer = await client.get(
      `${base}/log/${author}?from=${from}&limit=${MAX_LOG_READ}`,
      options,
    )
    if (!answer.ok) throw replyError(answer.status, answer.body)
    return (answer.body as { events?: unknown[] }).events ?? []
  }
  let stored = 0
  for (const [author, head] of Object.entries(theirs)) {
    let from = (ours[author]?.seq ?? 0) + 1
    if (from > head.seq) continue
    let next: Promise<unknown[]> | undefined = page(author, from)
    while (next !== undefined && !signal?.aborted) {
      const events = await next
      next = undefined
      if (events.length === 0) break
      from += events.length
      if (from <= head.seq) {
        next = page(author, from)
        // Awaited on the next turn; a failure then is that turn's failure, not an unhandled one.
        next.catch(() => {})
      }
      const { results, applied } = await commitReceivedBatch(ctx, events)
      stored += applied.length
      for (const result of results) {
        if (result.status === 'stored') stored++
        if (result.status === 'rejected') {
          // A refused event ends this log: what follows it cannot chain anyway.
          ctx.log.warn({ peer: target.url, author, code: result.code }, 'pulled event refused')
          next = undefined
          break
        }
      }
    }
  }
  return stored
}

function replyError(status: number, body: unknown): Error {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error
  return new Error(`${status} ${error?.code ?? ''} ${error?.message ?? ''}`.trim())
}

/** A short account of a failed exchange for logs and `last_error`. */
export function describeFailure(error: unknown): string {
  return isServerError(error)
    ? `${error.code}: ${error.message}`
    : String((error as Error)?.message ?? error)
}
