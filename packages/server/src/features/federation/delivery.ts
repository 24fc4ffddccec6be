import type { SignedEvent } from '@parley/protocol'
import type { DeliverySettings } from '../../config.ts'
import { drainPending } from '../../ledger/index.ts'
import type { Timer } from '../../node/clock.ts'
import { appendContext, hostedParties, type NodeContext } from '../../node/context.ts'
import { waitingDestinations } from '../../node/outbox.repository.ts'
import { signingKey } from '../../node-identity.ts'
import {
  createFederationClient,
  type FederationClient,
} from '../../signed-http/federation-client.ts'
import { describeFailure, type SyncTarget, syncChannel, syncTargets } from './anti-entropy.ts'
import { receivingParty } from './federation.service.ts'
import { proveForks } from './fork-proof.ts'
import { PeerBindings } from './peer-binding.ts'
import { peerFailure } from './peer-failure.ts'
import { listPeerNodes, markPeerFailing, markPeerHealthy, urlOfParty } from './peers.repository.ts'
import { replyKeyResolver } from './peers.service.ts'
import { backoffDelay, backoffSchedule, PushWorker } from './push-worker.ts'

/** The node's outgoing side: push workers per destination and anti-entropy. */
export interface Delivery {
  /** Starts a worker per peer node, drains leftover pending events and runs anti-entropy. */
  start(): Promise<void>
  /** Stops every worker and timer and waits for the calls in flight. */
  stop(): Promise<void>
  /** New outbox rows for these destinations. */
  wake(destinations: readonly string[]): void
  /** Reconciles a channel with the node hosting `party` soon (a gap or heads ahead). */
  syncWith(party: string, channel: string): void
  /** One anti-entropy round over every channel and peer; resolves when it is done. */
  syncAll(): Promise<void>
  /**
   * `party` sent an event citing another version of an event held here: fetches that version
   * from its node and, when it is genuine, keeps the fork's proof (see `proveForks`).
   */
  proveFork(party: string, signed: SignedEvent): void
}

export interface DeliveryOptions {
  /** Anti-entropy period (DESIGN §4.7: 60 s). */
  readonly antiEntropyEvery: number
  /** Backoff after n failures (default 0.5 s doubling to 30 s). */
  readonly backoff?: (failures: number) => number
  /** Most push batches in flight per peer node (default 4, see `PushWindow`). */
  readonly window?: number
  readonly fetch?: typeof fetch
}

/**
 * Delivery timings from the config's `delivery` section, where a test's own options win: the
 * anti-entropy period (DESIGN §4.7: 60 s), the push backoff (0.5 s doubling to 30 s) and the
 * push window (4 batches in flight per peer node).
 */
export function deliveryOptions(
  settings: DeliverySettings | undefined,
  overrides: { readonly antiEntropyEvery?: number; readonly backoff?: DeliveryOptions['backoff'] },
): DeliveryOptions {
  const timings = settings ?? {}
  const backoff =
    overrides.backoff ??
    (timings.retryBaseMs === undefined && timings.retryCapMs === undefined
      ? undefined
      : backoffSchedule(timings.retryBaseMs ?? 500, timings.retryCapMs ?? 30_000))
  return {
    antiEntropyEvery: overrides.antiEntropyEvery ?? timings.antiEntropyEveryMs ?? 60_000,
    ...(backoff === undefined ? {} : { backoff }),
    ...(timings.window === undefined ? {} : { window: timings.window }),
  }
}

export function createDelivery(ctx: NodeContext, options: DeliveryOptions): Delivery {
  const workers = new Map<string, PushWorker>()
  const clients = new Map<string, FederationClient>()
  const inFlight = new Set<Promise<unknown>>()
  const syncing = new Map<string, boolean>()
  // Peers whose anti-entropy failed: retried with the push backoff, not only every 60 s, so
  // a node that comes back (or starts after us) is caught up within seconds.
  const retries = new Map<
    string,
    { failures: number; pending: boolean; timer: Timer | undefined }
  >()
  const abort = new AbortController()
  const bindings = new PeerBindings(ctx, {
    signal: abort.signal,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  })
  let timer: Timer | undefined
  let started = false

  const clientFor = (party: string): FederationClient => {
    let client = clients.get(party)
    if (client === undefined) {
      const hosted = ctx.identity.parties.get(party)!
      const key = signingKey(hosted, ctx.now())
      client = createFederationClient({
        signer: { keyId: key.id, privateKey: key.privateKey },
        resolvePeerKey: replyKeyResolver(ctx),
        now: ctx.now,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      })
      clients.set(party, client)
    }
    return client
  }

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise)
    promise.finally(() => inFlight.delete(promise)).catch(() => {})
    return promise
  }

  const worker = (url: string): PushWorker => {
    let found = workers.get(url)
    if (found === undefined) {
      found = new PushWorker({
        ctx,
        url,
        clientFor,
        bound: () => bindings.ensure(url),
        onReconnect: (peer) => void track(syncPeer(peer)),
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        ...(options.window === undefined ? {} : { window: options.window }),
      })
      workers.set(url, found)
      if (started) found.start()
    }
    return found
  }

  /** Runs `work` in the background with the URL of the node hosting `party`, once started. */
  function atNodeOf(party: string, work: (url: string) => Promise<void>): void {
    if (!started) return
    void track(urlOfParty(ctx.db, party).then((url) => (url === undefined ? undefined : work(url))))
  }

  async function syncOne(target: SyncTarget): Promise<void> {
    const key = `${target.url}\n${target.channel}`
    // One sync per (peer, channel) at a time; a request meanwhile runs it once more after.
    if (syncing.has(key)) {
      syncing.set(key, true)
      return
    }
    syncing.set(key, false)
    try {
      do {
        syncing.set(key, false)
        if (abort.signal.aborted) return
        await bindings.ensure(target.url)
        await syncChannel(ctx, clientFor(target.party), target, abort.signal)
      } while (syncing.get(key) === true)
      await markPeerHealthy(ctx.db, target.url, ctx.now())
      workers.get(target.url)?.nudge()
      const retry = retries.get(target.url)
      if (retry !== undefined) {
        ctx.clock.clearTimer(retry.timer)
        retries.delete(target.url)
      }
    } catch (error) {
      if (abort.signal.aborted) return
      const reason = describeFailure(error)
      ctx.log.warn({ peer: target.url, channel: target.channel, reason }, 'anti-entropy failed')
      await markPeerFailing(
        ctx.db,
        target.url,
        ctx.now(),
        peerFailure(error, target.channel),
      ).catch(() => {})
      retryLater(target.url)
    } finally {
      syncing.delete(key)
    }
  }

  function retryLater(url: string): void {
    const previous = retries.get(url)
    if (abort.signal.aborted || previous?.pending === true) return
    const failures = (previous?.failures ?? 0) + 1
    const retry = { failures, pending: true, timer: undefined as Timer | undefined }
    retry.timer = ctx.clock.setTimer((options.backoff ?? backoffDelay)(failures), () => {
      retry.pending = false
      void track(syncPeer(url))
    })
    retries.set(url, retry)
  }

  async function syncPeer(url: string): Promise<void> {
    const targets = await syncTargets(ctx.db, hostedParties(ctx))
    for (const target of targets) if (target.url === url) await syncOne(target)
  }

  async function syncAll(): Promise<void> {
    const targets = await syncTargets(ctx.db, hostedParties(ctx))
    await Promise.all(targets.map((target) => syncOne(target)))
  }

  return {
    async start() {
      if (started) return
      started = true
      const channels = await ctx.db
        .selectFrom('pending_events')
        .select('channel')
        .distinct()
        .execute()
      for (const { channel } of channels) {
        await drainPending(ctx.db, channel, appendContext(ctx))
      }
      for (const peer of await listPeerNodes(ctx.db)) worker(peer.url)
      for (const url of await waitingDestinations(ctx.db)) worker(url)
      for (const found of workers.values()) found.start()
      void track(syncAll())
      const everyRound = () => {
        timer = ctx.clock.setTimer(options.antiEntropyEvery, () => {
          everyRound()
          void track(syncAll())
        })
      }
      everyRound()
    },
    async stop() {
      abort.abort(new Error('node shutting down'))
      ctx.clock.clearTimer(timer)
      for (const retry of retries.values()) ctx.clock.clearTimer(retry.timer)
      await Promise.all([...workers.values()].map((found) => found.stop()))
      await Promise.allSettled([...inFlight])
    },
    wake(destinations) {
      for (const url of destinations) worker(url).wake()
    },
    syncWith(party, channel) {
      atNodeOf(party, async (url) => {
        const targets = await syncTargets(ctx.db, hostedParties(ctx))
        const target = targets.find((t) => t.url === url && t.channel === channel)
        if (target !== undefined) await syncOne(target)
      })
    },
    syncAll,
    proveFork(party, signed) {
      const { channel } = signed.event
      atNodeOf(party, async (url) => {
        try {
          const hosted = await receivingParty(ctx, channel)
          await bindings.ensure(url)
          await proveForks(ctx, clientFor(hosted.id), url, signed, abort.signal)
        } catch (error) {
          if (abort.signal.aborted) return
          ctx.log.warn({ party, channel, reason: describeFailure(error) }, 'fork proof failed')
        }
      })
    },
  }
}
