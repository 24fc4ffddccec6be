import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Event,
  type EventFields,
  generateKeyPair,
  type SignedEvent,
  toHex,
} from '@parley/protocol'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pinPartyKeys } from '../src/ledger/index.ts'
import { openDatabase } from '../src/store/database.ts'
import { testDialect } from './support/database.ts'
import { startFaultProxy } from './support/fault-proxy.ts'
import { type HostilePeer, hostilePeer } from './support/hostile-peer.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

// A pinned peer turned hostile: it holds rus' real keys, so everything it signs passes the HTTP
// signature layer, and it abuses the protocol in ways only a participant can. The node must
// refuse each abuse with its code, store nothing but evidence, and keep serving the others.

/** The slow-loris guard of these nodes (production: 30 s). */
const REQUEST_TIMEOUT_MS = 1_500
const PUSH = '/federation/v1/events'
const CLI = new URL('../../cli/src/main.ts', import.meta.url).pathname

interface Alarm {
  kind: string
  channel: string | null
  party: string | null
  details: Record<string, unknown>
}
/** The tests below: each abuses a channel of its own. */
const TESTS = 6

/** A channel of one test, and rus' chain in it as usa holds it. */
interface Line {
  readonly channel: string
  chain: { seq: number; prev: string; time: number }
}

interface Ledger {
  events: number
  pending: number
  equivocations: number
  alarms: number
}

describe('a node under attack by a pinned peer', () => {
  let usa: TestNode
  let rus: TestNode
  let osce: TestNode
  let close: () => Promise<void>
  /** rus, turned hostile, aimed at usa. */
  let hostile: HostilePeer
  /** osce, behaving: the "everyone else" a node must keep serving. */
  let bystander: HostilePeer
  /**
   * One channel per test, all opened while rus still behaved: a test abuses a channel of its
   * own, so it passes alone and in any order.
   */
  let unused: Line[]
  const line = () => {
    const next = unused.pop()
    if (next === undefined) throw new Error('more tests than channels opened in beforeAll')
    return next
  }

  const ledger = async (node: TestNode = usa): Promise<Ledger> => {
    const db = node.database.db
    const count = async (table: 'events' | 'pending_events' | 'equivocations' | 'alarms') =>
      Number(
        (await db.selectFrom(table).select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n,
      )
    return {
      events: await count('events'),
      pending: await count('pending_events'),
      equivocations: await count('equivocations'),
      alarms: await count('alarms'),
    }
  }
  const timeline = async (node: TestNode, channel: string) =>
    (
      await node.api<{ events: { id: string; event: Event }[] }>(
        'GET',
        `/channels/${channel}/timeline`,
      )
    ).body.events
  const alarms = async (node: TestNode) =>
    (await node.api<{ alarms: Alarm[] }>('GET', '/alarms')).body.alarms
  /** usa's latest event in the channel, which rus' next event must cite in its heads. */
  const usaHead = async ({ channel }: Line) => {
    const own = (await timeline(usa, channel)).filter((view) => view.event.author === 'usa')
    const last = own.at(-1)!
    return { seq: last.event.seq, id: last.id }
  }
  /** rus' next event, genuine unless `change` makes it otherwise (then signed again). */
  const nextRus = async (on: Line, text: string, change: Partial<EventFields> = {}) =>
    hostile.event({
      channel: on.channel,
      seq: on.chain.seq + 1,
      prev: on.chain.prev,
      heads: { usa: await usaHead(on) },
      time: Math.max(Date.now(), on.chain.time),
      type: 'message.post',
      body: { text, lang: 'ru', urgency: 'routine', tlp: 'clear' },
      ...change,
    } as EventFields)
  const advance = (on: Line, signed: SignedEvent & { id: string }) => {
    on.chain = { seq: signed.event.seq, prev: signed.id, time: signed.event.time }
  }
  /** The bystander is served, promptly, and usa still answers its health check. */
  const servesEveryoneElse = async ({ channel }: Line) => {
    const started = performance.now()
    const heads = await bystander.send({ path: `/federation/v1/channels/${channel}/heads` })
    expect(heads.status).toBe(200)
    expect(performance.now() - started).toBeLessThan(2_000)
    expect((await fetch(`${usa.url}/healthz`)).status).toBe(200)
  }

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
        { node: 'osce', parties: [{ id: 'osce', name: 'OSCE Secretariat' }] },
      ],
      { backoff: () => 100, requestTimeout: REQUEST_TIMEOUT_MS },
    )
    ;[usa, rus, osce] = started.nodes as [TestNode, TestNode, TestNode]
    close = started.close
    unused = []
    for (let i = 0; i < TESTS; i++) {
      const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
        title: `US–Russia ICT Security Working Group ${i + 1}`,
        members: ['usa', 'rus'],
        observers: ['osce'],
      })
      const channel = created.body.channel.id
      await eventually(
        async () =>
          (await rus.admit(channel)) &&
          (await rus.api('POST', `/channels/${channel}/join`, {})).status === 201,
      )
      // osce's admin puts its officer on the list of the channel it observes.
      await eventually(() => osce.admit(channel))
      const join = await eventually(async () => {
        const [views, observed] = await Promise.all([
          timeline(usa, channel),
          timeline(osce, channel),
        ])
        return views.length === 2 && observed.length === 2 && views[1]
      })
      unused.push({ channel, chain: { seq: 1, prev: join.id, time: join.event.time } })
    }
    hostile = await hostilePeer(rus, 'rus', usa)
    bystander = await hostilePeer(osce, 'osce', usa)
    // From here on only the test speaks for rus.
    await rus.stop()
  })
  afterAll(async () => {
    hostile?.close()
    bystander?.close()
    await close?.()
  })

  it('cuts off slow-loris connections at its request timeout while serving a normal peer', async () => {
    const on = line()
    const { channel } = on
    const before = await ledger()
    const port = Number(new URL(usa.url).port)
    const next = await nextRus(on, 'Trickled, never delivered.')
    const body = new TextEncoder().encode(
      JSON.stringify({ events: [{ event: next.event, sig: next.sig }] }),
    )
    const signed = await hostile.sign('POST', PUSH, body, {})
    const head =
      `POST ${PUSH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      Object.entries({ ...signed, 'content-length': String(body.length) })
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      '\r\n'
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port } })
    proxy.trickle(20)
    try {
      const attacks = [
        // Connects and says nothing.
        ...Array.from({ length: 4 }, () => slowClient(port, '', 0)),
        // Sends a signed request line and header fields one byte every 100 ms.
        ...Array.from({ length: 4 }, () => slowClient(port, head, 100)),
        // Sends the header fields at once, then the signed body one byte every 100 ms.
        ...Array.from({ length: 4 }, () => slowClient(port, head, 100, body)),
        // The same whole request through a proxy that lets 20 bytes a second through.
        ...Array.from({ length: 4 }, () => slowClient(proxy.port, head + decode(body), 0)),
      ]
      // Meanwhile a normal peer keeps asking, and is answered at its usual pace.
      const latencies: number[] = []
      const attacking = Promise.all(attacks)
      let done = false
      void attacking.finally(() => (done = true))
      while (!done) {
        const started = performance.now()
        const reply = await bystander.send({ path: `/federation/v1/channels/${channel}/heads` })
        expect(reply.status).toBe(200)
        latencies.push(performance.now() - started)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const cut = await attacking
      for (const attack of cut) {
        // Cut by the node, with the API's error body, after the timeout and not much later.
        expect(attack.received).toMatch(/^HTTP\/1\.1 408 /)
        expect(attack.received).toContain('"code":"REQUEST_TIMEOUT"')
        expect(attack.closedAfter).toBeGreaterThan(REQUEST_TIMEOUT_MS - 100)
        expect(attack.closedAfter).toBeLessThan(REQUEST_TIMEOUT_MS * 3)
      }
      latencies.sort((a, b) => a - b)
      expect(latencies.length).toBeGreaterThan(5)
      expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(250)
      expect(latencies.at(-1)).toBeLessThan(2_000)
    } finally {
      await proxy.close()
    }
    expect(await ledger()).toEqual(before)
    // The event the tricklers never delivered is taken at once from a normal connection.
    const pushed = await hostile.push([next])
    expect(pushed.body.receipts[0]?.receipt.events).toEqual([next.id])
    advance(on, next)
  })

  it('refuses events signed with another party’s key or a key not valid at their time', async () => {
    const on = line()
    const before = await ledger()
    // rus colludes with another pinned party, whose real key it uses.
    const accomplice = await hostilePeer(osce, 'osce', usa)
    accomplice.close()
    const borrowed = await nextRus(on, 'Signed with osce’s key.')
    const withOsceKey = await hostile.signAnything(
      { ...borrowed.event, key: 'osce#1' },
      accomplice.key,
    )
    // rus signs as usa, the receiver's own party, once with its own key id, once with usa's.
    const asUsa = await hostile.signAnything({ ...borrowed.event, author: 'usa', heads: {} })
    const impersonation = await hostile.signAnything({
      ...borrowed.event,
      author: 'usa',
      key: 'usa#1',
      heads: {},
    })
    // A rotation usa pinned: rus#2 takes over tomorrow; rus#3 was retired long ago.
    const [future, retired] = await Promise.all([generateKeyPair(), generateKeyPair()])
    const tomorrow = Date.now() + 86_400_000
    await pinPartyKeys(
      usa.database.db,
      'rus',
      'Russian Federation',
      [
        { id: 'rus#2', publicKey: future.publicKey, validFrom: tomorrow, validUntil: null },
        { id: 'rus#3', publicKey: retired.publicKey, validFrom: 0, validUntil: 1_000 },
      ],
      { now: Date.now(), hosted: false },
    )
    const early = await nextRus(on, 'Signed with a key not valid yet.').then((genuine) =>
      hostile.resign(genuine.event, { keyId: 'rus#2', privateKey: future.privateKey }),
    )
    const late = await nextRus(on, 'Signed with a retired key.').then((genuine) =>
      hostile.resign(genuine.event, { keyId: 'rus#3', privateKey: retired.privateKey }),
    )

    const reply = await hostile.push([withOsceKey, asUsa, impersonation, early, late])
    expect(reply.status).toBe(200)
    expect(reply.body.receipts).toEqual([])
    expect(reply.body.rejected.map((rejection) => [rejection.index, rejection.code])).toEqual([
      [0, 'KEY_UNKNOWN'],
      [1, 'KEY_UNKNOWN'],
      [2, 'SIGNATURE_INVALID'],
      [3, 'KEY_NOT_VALID_AT_TIME'],
      [4, 'KEY_NOT_VALID_AT_TIME'],
    ])
    expect(await ledger()).toEqual(before)
    await servesEveryoneElse(on)
  })

  it('stores and receipts the good events of a mixed batch and lists the bad ones', async () => {
    const on = line()
    const { channel } = on
    const before = await ledger()
    const first = await nextRus(on, 'Good, first.')
    advance(on, first)
    const second = await nextRus(on, 'Good, second.')
    const forgedTwin = {
      event: { ...second.event, body: { ...second.event.body, text: 'Forged twin.' } },
      sig: second.sig,
    }
    advance(on, second)
    const third = await nextRus(on, 'Good, third.')
    const fromTheFuture = await nextRus(on, 'From the future.', {
      seq: third.event.seq,
      time: Date.now() + 3_600_000,
    })
    advance(on, third)
    const malformed = { event: { ...third.event, seq: 1.5 }, sig: third.sig }
    const batch = [first, forgedTwin, second, fromTheFuture, malformed, 42, third]

    const reply = await hostile.push(batch as { event: unknown; sig: string }[])
    expect(reply.status).toBe(200)
    expect(reply.body.receipts).toHaveLength(1)
    expect(reply.body.receipts[0]!.receipt).toMatchObject({
      by: 'usa',
      events: [first.id, second.id, third.id],
    })
    expect(reply.body.rejected.map((rejection) => [rejection.index, rejection.code])).toEqual([
      [1, 'SIGNATURE_INVALID'],
      [3, 'TIME_INVALID'],
      [4, 'NUMBER_NOT_INTEGER'],
      [5, 'EVENT_MALFORMED'],
    ])
    expect(reply.body.need).toEqual([])
    expect(await ledger()).toEqual({ ...before, events: before.events + 3 })
    const ids = (await timeline(usa, channel)).map((view) => view.id)
    expect(ids.slice(-3)).toEqual([first.id, second.id, third.id])
    await servesEveryoneElse(on)
  })

  it('refuses with HEADS_CONFLICT and an alarm an event whose heads rewrite usa’s own log', async () => {
    const on = line()
    const { channel } = on
    const before = await ledger()
    const { seq } = await usaHead(on)
    // usa's seq 1 is its channel.create; rus claims it received something else there.
    const rewritten = await nextRus(on, 'I saw a different usa.', {
      heads: { usa: { seq: 1, id: on.chain.prev } },
    })
    // rus claims usa said more than usa ever signed.
    const invented = await nextRus(on, 'I saw usa say more.', {
      heads: { usa: { seq: seq + 3, id: toHex(crypto.getRandomValues(new Uint8Array(32))) } },
    })
    const reply = await hostile.push([rewritten, invented])
    expect(reply.body.rejected.map((rejection) => rejection.code)).toEqual([
      'HEADS_CONFLICT',
      'HEADS_CONFLICT',
    ])
    expect(reply.body.receipts).toEqual([])
    const raised = (await alarms(usa)).filter(
      (alarm) => alarm.kind === 'heads_conflict' && alarm.channel === channel,
    )
    expect(raised).toEqual([
      expect.objectContaining({
        channel,
        party: 'rus',
        details: expect.objectContaining({ event: rewritten.id }),
      }),
      expect.objectContaining({
        channel,
        party: 'rus',
        details: expect.objectContaining({ event: invented.id }),
      }),
    ])
    // Only the alarms are new: neither event is stored, nor kept as pending.
    expect(await ledger()).toEqual({ ...before, alarms: before.alarms + 2 })
    await servesEveryoneElse(on)
  })

  it('refuses after a restart a request captured before it, and takes a freshly signed one at once', async () => {
    const on = line()
    const { channel } = on
    const event = await nextRus(on, 'Delivered once, before the restart.')
    const push = await hostile.send({
      path: PUSH,
      body: { events: [{ event: event.event, sig: event.sig }] },
    })
    expect(push.status).toBe(200)
    advance(on, event)
    const read = await hostile.send({ path: `/federation/v1/channels/${channel}/log/rus?from=1` })
    expect(read.status).toBe(200)
    // Within the node's life the nonce cache catches a replay.
    expect((await read.replay()).json).toMatchObject({ error: { code: 'HTTP_SIGNATURE_REPLAY' } })

    await usa.stop()
    await usa.start()
    const before = await ledger()
    // usa saved its nonces on close: what it accepted before is still a replay after.
    for (const captured of [push, read]) {
      const replayed = await captured.replay()
      expect(replayed.status).toBe(401)
      expect(replayed.json).toMatchObject({ error: { code: 'HTTP_SIGNATURE_REPLAY' } })
    }
    expect(await ledger()).toEqual(before)
    // A freshly signed request is served at once, within the very second of the restart.
    const fresh = await hostile.send({ path: `/federation/v1/channels/${channel}/log/rus?from=1` })
    expect(fresh.status).toBe(200)
    // So does a node's push worker: osce restarts while usa posts, and still gets the message.
    await osce.stop()
    const posted = await usa.api<{ event: { id: string } }>(
      'POST',
      `/channels/${channel}/messages`,
      { text: 'Posted while osce restarts.', lang: 'en', urgency: 'routine', tlp: 'green' },
    )
    expect(posted.status).toBe(201)
    await osce.start()
    // Delivered with osce's receipt: the push worker's own retries got through, not only a pull.
    await eventually(
      async () => {
        const views = await usa.api<{
          events: { id: string; delivery?: { node: string | null; state: string }[] }[]
        }>('GET', `/channels/${channel}/timeline`)
        const view = views.body.events.find((candidate) => candidate.id === posted.body.event.id)
        return view?.delivery?.some((d) => d.node === 'osce' && d.state === 'delivered')
      },
      15_000,
      'usa to hold osce’s receipt for the message posted across its restart',
    )
    await servesEveryoneElse(on)
  })

  it('keeps both events of an equivocating peer as proof, raises alarms, and exports the proof', async () => {
    const on = line()
    const { channel } = on
    // osce holds rus' chain as far as usa does (it learns it from usa's heads).
    await eventually(
      async () =>
        (await timeline(osce, channel)).filter((view) => view.event.author === 'rus').length ===
        on.chain.seq,
      15_000,
      'osce to hold rus’ chain',
    )
    const told = await nextRus(on, 'The exercise is cancelled.')
    const other = await nextRus(on, 'The exercise goes ahead.')
    expect(other.event.seq).toBe(told.event.seq)

    // Two different nodes, each told one version: each takes it, none can know yet.
    const toUsa = await hostile.push([told])
    const atOsce = hostile.aimedAt(osce.url)
    const toOsce = await atOsce.push([other])
    atOsce.close()
    expect(toUsa.body.receipts[0]?.receipt.events).toEqual([told.id])
    expect(toOsce.body.receipts[0]?.receipt.events).toEqual([other.id])

    // The honest nodes find out on their own: usa's next event cites `told` in its heads,
    // which contradicts what osce holds.
    const posted = await usa.api<{ event: { id: string } }>(
      'POST',
      `/channels/${channel}/messages`,
      { text: 'Noted.', lang: 'en', urgency: 'routine', tlp: 'green' },
    )
    const conflict = await eventually(
      async () =>
        (await alarms(osce)).find(
          (alarm) => alarm.kind === 'heads_conflict' && alarm.channel === channel,
        ),
      15_000,
      'a heads conflict alarm on osce',
    )
    expect(conflict).toMatchObject({ channel, party: 'usa' })
    expect((await timeline(osce, channel)).map((view) => view.id)).not.toContain(
      posted.body.event.id,
    )

    // The same node in a second batch: the fork is proven, kept, alarmed and refused.
    const before = await ledger()
    const second = await hostile.push([other])
    expect(second.body.rejected.map((rejection) => rejection.code)).toEqual(['EQUIVOCATION'])
    expect(second.body.receipts).toEqual([])
    const proof = await usa.database.db
      .selectFrom('equivocations')
      .selectAll()
      .where('channel', '=', channel)
      .execute()
    expect(proof.map((row) => [row.a_id, row.b_id].sort())).toEqual([[told.id, other.id].sort()])
    expect(await alarms(usa)).toContainEqual(
      expect.objectContaining({ kind: 'equivocation', channel, party: 'rus' }),
    )
    expect(await ledger()).toEqual({
      ...before,
      equivocations: before.equivocations + 1,
      alarms: before.alarms + 1,
    })
    const held = (await timeline(usa, channel)).map((view) => view.id)
    expect(held).toContain(told.id)
    expect(held).not.toContain(other.id)
    // Pushing the proof again adds nothing.
    await hostile.push([other])
    expect(await ledger()).toEqual({
      ...before,
      equivocations: before.equivocations + 1,
      alarms: before.alarms + 1,
    })
    // The other node, told the first version later, keeps the same proof from its side.
    const crossed = hostile.aimedAt(osce.url)
    const late = await crossed.push([told])
    crossed.close()
    expect(late.body.rejected.map((rejection) => rejection.code)).toEqual(['EQUIVOCATION'])
    const osceProof = await osce.database.db
      .selectFrom('equivocations')
      .selectAll()
      .where('channel', '=', channel)
      .execute()
    expect(osceProof.map((row) => [row.a_id, row.b_id])).toEqual(
      proof.map((row) => [row.a_id, row.b_id]),
    )
    expect(await alarms(osce)).toContainEqual(
      expect.objectContaining({ kind: 'equivocation', channel, party: 'rus' }),
    )

    // `parley export` writes the proof into the transcript, and `parley verify` checks it: a
    // proof that holds is reported as the author's EQUIVOCATION (exit 1), and nothing else is.
    const transcript = await exportChannel(usa, channel)
    const lines = transcript.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
    const proofLine = lines.findIndex((line) => line.kind === 'equivocation') + 1
    const proofs = lines.filter((line) => line.kind === 'equivocation')
    expect(proofs).toHaveLength(1)
    expect([proofs[0].a.sig, proofs[0].b.sig].sort()).toEqual([told.sig, other.sig].sort())
    const verified = await parley(['verify', transcript.file, '--json'], transcript.dir)
    const report = JSON.parse(verified.stdout)
    expect(report).toMatchObject({
      ok: false,
      equivocations: 1,
      failures: [{ code: 'EQUIVOCATION', line: proofLine }],
      events: lines.filter((line) => line.kind === 'event').length,
    })
    expect([told.id, other.id]).toContain(report.failures[0].eventId)
    expect(verified.code).toBe(1)
    await rm(transcript.dir, { recursive: true, force: true })
    await servesEveryoneElse(on)
  })
})

interface SlowResult {
  /** What the server sent back before it closed the connection. */
  readonly received: string
  /** ms from connecting until the server closed the connection. */
  readonly closedAfter: number
}

/**
 * A slow-loris client: connects, writes `head` at once (`everyMs` 0) or one byte every `everyMs`
 * ms, then `body` one byte every `everyMs` ms, and never finishes on its own.
 */
function slowClient(
  port: number,
  head: string,
  everyMs: number,
  body?: Uint8Array,
): Promise<SlowResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let timer: NodeJS.Timeout | undefined
    const giveUp = setTimeout(() => {
      socket.destroy()
      reject(new Error(`the node kept a slow connection open for ${REQUEST_TIMEOUT_MS * 5} ms`))
    }, REQUEST_TIMEOUT_MS * 5)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearInterval(timer)
      clearTimeout(giveUp)
      resolve({
        received: Buffer.concat(chunks).toString('utf8'),
        closedAfter: performance.now() - started,
      })
    })
    socket.on('connect', () => {
      const bytes = [
        ...(everyMs === 0 || body !== undefined ? [] : Buffer.from(head)),
        ...(body ?? []),
      ]
      if (everyMs === 0 || body !== undefined) socket.write(head)
      if (everyMs === 0) return
      timer = setInterval(() => {
        const next = bytes.shift()
        if (next === undefined || socket.destroyed) return clearInterval(timer)
        socket.write(Uint8Array.of(next))
      }, everyMs)
    })
  })
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes)
}

/** Runs the `parley` CLI in `cwd`. */
function parley(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/**
 * `parley export` of a channel from a running test node's ledger: on PostgreSQL straight from
 * its database, on in-memory PGlite from a copy of it written to a data directory.
 */
async function exportChannel(node: TestNode, channel: string) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-abuse-'))
  const file = join(dir, `${channel}.parley`)
  const source: string[] = []
  if (testDialect === 'postgres') {
    const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(
      node.database.db,
    )
    const url = new URL(
      process.env.PARLEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    )
    url.pathname = `/${rows[0]!.name}`
    source.push('--database-url', url.toString())
  } else {
    const copy = await openDatabase({
      dataDir: join(dir, 'ledger'),
      loadDataDir: await node.database.dump!(),
    })
    await copy.close()
    source.push('--data-dir', join(dir, 'ledger'))
  }
  const run = await parley(['export', channel, '--out', file, '--as', node.name, ...source], dir)
  expect(run.stderr).toBe('')
  expect(run.code).toBe(0)
  return { dir, file, text: await readFile(file, 'utf8') }
}
