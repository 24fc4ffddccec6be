import { ServerError } from '../errors.ts'

export interface NonceCacheOptions {
  /** Upper bound on remembered nonces; default 100 000 (over 300 a second for 5 minutes). */
  readonly maxEntries?: number
  /**
   * From when on this cache knows every nonce accepted (ms, the verifier's clock); default:
   * always. After a node stopped without saving its nonces (a crash), it knows nothing of those
   * it accepted before: `verifyRequest` then refuses signatures created earlier, which would
   * otherwise be replayable for the rest of their window (see nonce-store.ts).
   */
  readonly since?: number
}

/**
 * Nonces of accepted signed requests, each remembered until its signature can no longer be
 * accepted anyway, so that a captured request cannot be replayed within its window. Memory is
 * bounded: when every slot holds a live nonce, new requests are refused (`NONCE_CACHE_FULL`)
 * rather than forgetting a nonce that could then be replayed. Only requests whose signature
 * verified reach the cache, so only a pinned peer can fill it.
 */
export class NonceCache {
  readonly #maxEntries: number
  // Insertion order is close to expiry order (every signature lives about as long), so the
  // oldest entries are at the front and usually expire first.
  readonly #expiry = new Map<string, number>()

  /** Signatures created before this moment (ms) cannot be checked against this cache. */
  readonly since: number

  constructor(options: NonceCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000
    this.since = options.since ?? Number.NEGATIVE_INFINITY
  }

  /** Number of nonces remembered (expired ones may linger until the next claim). */
  get size(): number {
    return this.#expiry.size
  }

  /**
   * Claims a nonce until `expiresAt` (ms, inclusive), `now` being the verifier's clock (the
   * same one that judged the signature's window). Returns false when the nonce is already
   * claimed and not yet expired; throws `NONCE_CACHE_FULL` when no slot is free.
   */
  claim(nonce: string, expiresAt: number, now: number): boolean {
    const known = this.#expiry.get(nonce)
    if (known !== undefined && known >= now) return false
    this.#dropExpiredFromFront(now)
    if (this.#expiry.size >= this.#maxEntries) this.#dropAllExpired(now)
    if (this.#expiry.size >= this.#maxEntries) throw new ServerError('NONCE_CACHE_FULL')
    this.#expiry.delete(nonce)
    this.#expiry.set(nonce, expiresAt)
    return true
  }

  /** The nonces still live at `now`, with when each expires (ms): what a restart must keep. */
  *live(now: number): IterableIterator<readonly [nonce: string, expiresAt: number]> {
    for (const entry of this.#expiry) if (entry[1] >= now) yield entry
  }

  #dropExpiredFromFront(now: number): void {
    for (const [nonce, expiresAt] of this.#expiry) {
      if (expiresAt >= now) return
      this.#expiry.delete(nonce)
    }
  }

  #dropAllExpired(now: number): void {
    for (const [nonce, expiresAt] of this.#expiry) {
      if (expiresAt < now) this.#expiry.delete(nonce)
    }
  }
}
