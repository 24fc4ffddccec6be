import { ServerError } from '../../errors.ts'
import { partyKeys } from '../../ledger/index.ts'
import type { NodeContext } from '../../node/context.ts'
import { firstParty, signingKey } from '../../node-identity.ts'
import { proveUrl } from './hello.ts'
import { markPeerBound, partiesAt } from './peers.repository.ts'

/**
 * The peer URLs this process has seen prove their keys (DESIGN §4.6: "before a delivery
 * worker first talks to a URL in a process's life"). A URL is bound once every party routed
 * to it answered a hello signed by its pinned key; until then nothing is pushed to it, pulled
 * from it or asked of it. A failed binding is forgotten, so the next attempt asks again.
 */
export class PeerBindings {
  readonly #ctx: NodeContext
  readonly #fetch: typeof fetch | undefined
  readonly #signal: AbortSignal
  readonly #bound = new Map<string, Promise<void>>()

  constructor(ctx: NodeContext, options: { fetch?: typeof fetch; signal: AbortSignal }) {
    this.#ctx = ctx
    this.#fetch = options.fetch
    this.#signal = options.signal
  }

  /** Resolves once `url` is bound; throws `PEER_BINDING_FAILED` or `PEER_UNREACHABLE`. */
  ensure(url: string): Promise<void> {
    let binding = this.#bound.get(url)
    if (binding === undefined) {
      binding = this.#bind(url)
      this.#bound.set(url, binding)
      binding.catch(() => {
        if (this.#bound.get(url) === binding) this.#bound.delete(url)
      })
    }
    return binding
  }

  /** The parties routed to `url` changed: it proves itself again before the next exchange. */
  forget(url: string): void {
    this.#bound.delete(url)
  }

  async #bind(url: string): Promise<void> {
    const { db } = this.#ctx
    const parties = await partiesAt(db, url)
    if (parties.length === 0) {
      // Rows left for a URL no party is routed to any more: nobody there to prove anything.
      throw new ServerError('PEER_BINDING_FAILED', {
        url,
        party: 'none',
        reason: 'no pinned party is routed to this URL',
      })
    }
    const key = signingKey(firstParty(this.#ctx.identity), this.#ctx.now())
    for (const party of parties) {
      await proveUrl({
        url,
        party,
        keys: await partyKeys(db, party),
        signer: { keyId: key.id, privateKey: key.privateKey },
        now: this.#ctx.now,
        signal: this.#signal,
        ...(this.#fetch === undefined ? {} : { fetch: this.#fetch }),
      })
    }
    await markPeerBound(db, url, this.#ctx.now())
  }
}
