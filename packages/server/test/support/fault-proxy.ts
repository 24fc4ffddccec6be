import type { Socket } from 'node:net'
import { createConnection, createServer } from 'node:net'

// A TCP proxy between a federation client and a node, with faults a test flips at any time.
// The mode is read for every chunk as it arrives, so it applies to pooled keep-alive
// connections as well as new ones. There is no randomness: the same calls give the same bytes.

export type TrickleDirection = 'to-target' | 'to-client' | 'both'

export type FaultMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'refuse' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'cut-response'; readonly bytes: number }
  | {
      readonly kind: 'trickle'
      readonly bytesPerSecond: number
      readonly direction: TrickleDirection
    }

export interface FaultProxyStats {
  /** TCP connections accepted since start, refused ones included. */
  readonly connections: number
  /** Client connections currently open (held black-holed ones included). */
  readonly open: number
  /** Connections reset on accept while `refuse()` was on. */
  readonly refused: number
  /** Bytes written to the target. */
  readonly bytesToTarget: number
  /** Bytes written back to clients. */
  readonly bytesToClient: number
  /** Bytes swallowed by `drop()` or after a cut, in either direction. */
  readonly bytesDiscarded: number
}

export interface FaultProxy {
  readonly port: number
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly mode: FaultMode
  /** Forward everything unchanged. */
  pass(): void
  /**
   * Black hole: new connections are accepted and never reach the target; on an existing
   * connection the first chunk seen while dropping (either way) is swallowed, and from then
   * on that connection is held silently for good, even after `pass()`, because its byte
   * stream is broken. Idle connections are untouched, as after a short real partition.
   */
  drop(): void
  /** Reset new connections right after accept; open connections keep forwarding. */
  refuse(): void
  /** Delay every chunk, both ways, by `ms`; order is kept, also across mode changes. */
  delay(ms: number): void
  /**
   * Forward requests; on each connection forward at most `bytes` more bytes towards the
   * client (counted from this call), then end the client side and destroy the target side.
   */
  cutResponseAfter(bytes: number): void
  /** Forward at most `bytesPerSecond`, in small pieces; towards the target by default. */
  trickle(bytesPerSecond: number, direction?: TrickleDirection): void
  /** Reset every open connection (client side) and destroy its target side. */
  cutAll(): void
  stats(): FaultProxyStats
  /** Stop listening and destroy every connection. */
  close(): Promise<void>
}

export interface FaultProxyOptions {
  readonly target: { readonly host: string; readonly port: number }
}

interface Step {
  readonly at: number
  readonly action: 'write' | 'end' | 'cut'
  readonly data?: Uint8Array
}

interface Lane {
  readonly source: Socket
  readonly dest: Socket
  readonly steps: Step[]
  lastAt: number
  timer: ReturnType<typeof setTimeout> | undefined
}

interface Link {
  readonly client: Socket
  readonly upstream: Socket | undefined
  readonly toTarget: Lane | undefined
  readonly toClient: Lane | undefined
  blackholed: boolean
  cutting: boolean
  cutBudget: { readonly mode: FaultMode; left: number } | undefined
}

// About 20 writes a second at most, and at least one byte per write.
const TRICKLE_WRITES_PER_SECOND = 20

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const { host, port: targetPort } = options.target
  let mode: FaultMode = { kind: 'pass' }
  const links = new Set<Link>()
  const counters = {
    connections: 0,
    refused: 0,
    bytesToTarget: 0,
    bytesToClient: 0,
    bytesDiscarded: 0,
  }

  const server = createServer({ allowHalfOpen: true }, (client) => {
    counters.connections++
    client.on('error', () => {})
    if (mode.kind === 'refuse') {
      counters.refused++
      client.resetAndDestroy()
      return
    }
    client.setNoDelay(true)
    links.add(mode.kind === 'drop' ? holdLink(client) : openLink(client))
  })

  function holdLink(client: Socket): Link {
    const link: Link = {
      client,
      upstream: undefined,
      toTarget: undefined,
      toClient: undefined,
      blackholed: true,
      cutting: false,
      cutBudget: undefined,
    }
    client.on('data', (chunk: Buffer) => {
      counters.bytesDiscarded += chunk.length
    })
    client.on('close', () => closeLink(link))
    return link
  }

  function openLink(client: Socket): Link {
    const upstream = createConnection({ host, port: targetPort, allowHalfOpen: true })
    upstream.setNoDelay(true)
    upstream.on('error', () => {})
    const link: Link = {
      client,
      upstream,
      toTarget: newLane(client, upstream),
      toClient: newLane(upstream, client),
      blackholed: false,
      cutting: false,
      cutBudget: undefined,
    }
    client.on('data', (chunk: Buffer) => onChunk(link, 'to-target', chunk))
    upstream.on('data', (chunk: Buffer) => onChunk(link, 'to-client', chunk))
    client.on('end', () => onEnd(link, 'to-target'))
    upstream.on('end', () => onEnd(link, 'to-client'))
    client.on('close', () => closeLink(link))
    upstream.on('close', (hadError) => {
      // A black-holed client must not learn that the target went away.
      if (hadError && !link.blackholed && !link.cutting) client.resetAndDestroy()
    })
    return link
  }

  function onChunk(link: Link, direction: 'to-target' | 'to-client', chunk: Buffer): void {
    const lane = direction === 'to-target' ? link.toTarget : link.toClient
    if (!lane || link.blackholed || link.cutting || mode.kind === 'drop') {
      if (mode.kind === 'drop') link.blackholed = true
      counters.bytesDiscarded += chunk.length
      return
    }
    const t = now()
    const m = mode
    if (m.kind === 'delay') {
      enqueue(link, lane, { at: t + m.ms, action: 'write', data: chunk })
    } else if (m.kind === 'trickle' && (m.direction === 'both' || m.direction === direction)) {
      const piece = Math.max(1, Math.floor(m.bytesPerSecond / TRICKLE_WRITES_PER_SECOND))
      const interval = (piece * 1000) / m.bytesPerSecond
      for (let i = 0; i < chunk.length; i += piece) {
        const at = Math.max(t, lane.lastAt + interval)
        enqueue(link, lane, { at, action: 'write', data: chunk.subarray(i, i + piece) })
      }
    } else if (m.kind === 'cut-response' && direction === 'to-client') {
      if (link.cutBudget?.mode !== m) link.cutBudget = { mode: m, left: m.bytes }
      const budget = link.cutBudget
      if (chunk.length < budget.left) {
        budget.left -= chunk.length
        enqueue(link, lane, { at: t, action: 'write', data: chunk })
      } else {
        const kept = chunk.subarray(0, budget.left)
        if (kept.length > 0) enqueue(link, lane, { at: t, action: 'write', data: kept })
        counters.bytesDiscarded += chunk.length - kept.length
        budget.left = 0
        link.cutting = true
        enqueue(link, lane, { at: t, action: 'cut' })
      }
    } else {
      enqueue(link, lane, { at: t, action: 'write', data: chunk })
    }
  }

  function onEnd(link: Link, direction: 'to-target' | 'to-client'): void {
    // A FIN is traffic too: a black hole swallows it like data.
    if (mode.kind === 'drop') link.blackholed = true
    const lane = direction === 'to-target' ? link.toTarget : link.toClient
    if (lane && !link.blackholed && !link.cutting) enqueue(link, lane, { at: now(), action: 'end' })
  }

  function enqueue(link: Link, lane: Lane, step: Step): void {
    // Steps run first in, first out; keeping `at` monotone lets trickle space its pieces
    // from whatever is queued before them.
    const at = Math.max(step.at, lane.lastAt)
    lane.lastAt = at
    lane.steps.push({ ...step, at })
    pump(link, lane)
  }

  function pump(link: Link, lane: Lane): void {
    if (lane.timer) return
    for (let step = lane.steps[0]; step; step = lane.steps[0]) {
      const wait = step.at - now()
      if (wait > 0) {
        lane.timer = setTimeout(() => {
          lane.timer = undefined
          pump(link, lane)
        }, Math.ceil(wait))
        return
      }
      lane.steps.shift()
      run(link, lane, step)
    }
  }

  function run(link: Link, lane: Lane, step: Step): void {
    if (step.action === 'cut') {
      link.upstream?.destroy()
      link.client.end(() => link.client.destroy())
      return
    }
    if (lane.dest.destroyed) return
    if (step.action === 'end') {
      lane.dest.end()
      return
    }
    const data = step.data!
    if (lane.dest === link.client) counters.bytesToClient += data.length
    else counters.bytesToTarget += data.length
    if (!lane.dest.write(data) && !lane.source.isPaused()) {
      lane.source.pause()
      lane.dest.once('drain', () => lane.source.resume())
    }
  }

  function closeLink(link: Link): void {
    if (!links.delete(link)) return
    for (const lane of [link.toTarget, link.toClient]) {
      if (lane?.timer) clearTimeout(lane.timer)
      if (lane) lane.steps.length = 0
    }
    link.upstream?.destroy()
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address')
  const port = address.port

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return mode
    },
    pass() {
      mode = { kind: 'pass' }
    },
    drop() {
      mode = { kind: 'drop' }
    },
    refuse() {
      mode = { kind: 'refuse' }
    },
    delay(ms) {
      assertNonNegative('delay ms', ms)
      mode = { kind: 'delay', ms }
    },
    cutResponseAfter(bytes) {
      assertNonNegative('cutResponseAfter bytes', bytes)
      mode = { kind: 'cut-response', bytes: Math.floor(bytes) }
    },
    trickle(bytesPerSecond, direction = 'to-target') {
      if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond)) {
        throw new RangeError(`trickle bytesPerSecond must be a positive number: ${bytesPerSecond}`)
      }
      mode = { kind: 'trickle', bytesPerSecond, direction }
    },
    cutAll() {
      for (const link of [...links]) {
        link.upstream?.destroy()
        link.client.resetAndDestroy()
        closeLink(link)
      }
    },
    stats() {
      return { ...counters, open: links.size }
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const link of [...links]) {
          link.client.destroy()
          closeLink(link)
        }
      })
    },
  }
}

function newLane(source: Socket, dest: Socket): Lane {
  return { source, dest, steps: [], lastAt: 0, timer: undefined }
}

function now(): number {
  return performance.now()
}

function assertNonNegative(what: string, value: number): void {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(`${what} must be a finite number ≥ 0: ${value}`)
  }
}
