import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventFields } from '@parley/protocol'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { build } from '../src/app.ts'
import { loadConfig, type NodeConfig } from '../src/config.ts'
import { ServerError } from '../src/errors.ts'
import { passwordHasher } from '../src/features/officers/password.ts'
import { authSettings } from '../src/features/sessions/auth-settings.ts'
import { LocalCommitter } from '../src/node/local-committer.ts'
import { initNodeDirectory, loadNodeIdentity, peerEntryOf } from '../src/node-identity.ts'
import { type Database, openDatabase } from '../src/store/database.ts'
import { keepDatabase, withDatabaseExclusively } from '../src/store/database-lock.ts'
import { transaction } from '../src/store/transaction.ts'
import { type AuthTestApp, type Reply, START, type TestClock } from './support/auth-app.ts'
import { type LoggedIn, loggedIn, message, openChannel } from './support/compartments.ts'
import { testDialect } from './support/database.ts'
import { HostilePeer } from './support/hostile-peer.ts'
import { freePort } from './support/nodes.ts'

// Issue 8 (b): a node that loses its connection to PostgreSQL mid-request answers 503
// DATABASE_UNAVAILABLE with Retry-After, never 500, stores a request wholly or not at all, and
// serves again once the database is back. The node reaches PostgreSQL through a proxy that
// cuts its connection at one chosen statement, so every case is exact, not a race.

const adminUrl =
  process.env.PARLEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

type CutWhen =
  /** The statement never reaches the server. */
  | 'instead'
  /** The server runs the statement; its answer is lost with the connection. */
  | 'answer-lost'
  /** The statement and its answer pass; the connection is cut at the next one. */
  | 'next'

interface DatabaseLink {
  /** The database URL through the link. */
  readonly url: string
  /** Cuts the first connection that sends `statement` as a simple query; resolves then. */
  cutAt(statement: string, when: CutWhen): Promise<void>
  /** Holds the first such statement until `release()` passes it on untouched. */
  holdAt(statement: string): Promise<{ release(): void }>
  /** The database is gone: open connections are cut and new ones reset. */
  down(): void
  /** The database is back. */
  up(): void
  close(): Promise<void>
}

type Rule =
  | { readonly statement: string; readonly kind: CutWhen; readonly done: () => void }
  | {
      readonly statement: string
      readonly kind: 'hold'
      readonly done: (release: () => void) => void
    }

/**
 * A TCP proxy that reads the PostgreSQL wire protocol (v3) just enough to find message
 * boundaries and the text of simple queries (`begin`, `commit` and `rollback` are sent so).
 */
async function startDatabaseLink(target: URL): Promise<DatabaseLink> {
  const rules: Rule[] = []
  const cuts = new Set<() => void>()
  let isDown = false

  const server: Server = createServer((client) => {
    client.on('error', () => {})
    if (isDown) {
      client.resetAndDestroy()
      return
    }
    const upstream = createConnection(Number(target.port), target.hostname)
    upstream.on('error', () => {})
    // A statement is a round trip or more: Nagle's delay would cost each one 40 ms.
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    const cut = () => {
      cuts.delete(cut)
      client.resetAndDestroy()
      upstream.destroy()
    }
    cuts.add(cut)
    client.on('close', () => cut())
    upstream.on('close', () => cut())
    let cutOnNext = false
    let loseAnswer: (() => void) | undefined
    // The client's first message (startup) has no type byte; every later one has.
    const fromClient = messages(false, (bytes) => {
      if (cutOnNext) return cut()
      const text = bytes[0] === 0x51 ? bytes.subarray(5, -1).toString('utf8').trim() : undefined
      const index = rules.findIndex((rule) => rule.statement === text?.toLowerCase())
      if (index < 0) return void upstream.write(bytes)
      const [rule] = rules.splice(index, 1)
      if (rule!.kind === 'hold') return rule!.done(() => upstream.write(bytes))
      if (rule!.kind === 'instead') {
        cut()
        return rule!.done()
      }
      upstream.write(bytes)
      if (rule!.kind === 'next') {
        cutOnNext = true
        return rule!.done()
      }
      loseAnswer = rule!.done
    })
    const fromServer = messages(true, (bytes) => {
      if (loseAnswer === undefined) return void client.write(bytes)
      // ReadyForQuery: the server is done with the statement, which has taken effect.
      if (bytes[0] === 0x5a) {
        const done = loseAnswer
        cut()
        done()
      }
    })
    client.on('data', fromClient)
    upstream.on('data', fromServer)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const url = new URL(target)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  return {
    url: url.toString(),
    cutAt: (statement, kind) =>
      new Promise((done) => rules.push({ statement, kind, done: () => done() })),
    holdAt: (statement) =>
      new Promise((resolve) =>
        rules.push({ statement, kind: 'hold', done: (release) => resolve({ release }) }),
      ),
    down() {
      isDown = true
      for (const cut of [...cuts]) cut()
    },
    up() {
      isDown = false
    },
    close: () =>
      new Promise((resolve) => {
        for (const cut of [...cuts]) cut()
        server.close(() => resolve())
      }),
  }
}

/** Splits a byte stream into whole protocol messages. */
function messages(typedFromStart: boolean, onMessage: (bytes: Buffer) => void) {
  let pending = Buffer.alloc(0)
  let typed = typedFromStart
  return (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk])
    for (;;) {
      const head = typed ? 5 : 4
      if (pending.length < head) return
      const length = pending.readInt32BE(typed ? 1 : 0) + (typed ? 1 : 0)
      if (pending.length < length) return
      const bytes = pending.subarray(0, length)
      pending = pending.subarray(length)
      typed = true
      onMessage(bytes)
    }
  }
}

async function admin<T = unknown>(statement: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return (await client.query(statement, values)).rows as T[]
  } finally {
    await client.end()
  }
}

interface TimelineView {
  readonly id: string
  readonly event: {
    readonly seq: number
    readonly prev: string | null
    readonly author: string
    readonly body: { readonly text?: string }
  }
}

describe.skipIf(testDialect !== 'postgres')(
  // PGlite runs inside the node's process: there is no connection that could be lost.
  'a node whose PostgreSQL connection is lost (PostgreSQL only: PGlite has no connection)',
  () => {
    let root: string
    let name: string
    let link: DatabaseLink
    let direct: Database
    let t: AuthTestApp
    let alice: LoggedIn
    let channel: string
    let rus: HostilePeer
    // A channel rus opens with usa, pushed to the node.
    const pushedChannel = `ch_${'0'.repeat(25)}1`
    const logged: { level: number; msg: string; err?: { message?: string } }[] = []

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'parley-dbloss-'))
      // A database of its own (not testDatabase's): the node must reach it through the link.
      name = `parley_t_${randomBytes(8).toString('hex')}`
      await admin(`create database ${name}`)
      const url = new URL(adminUrl)
      url.pathname = `/${name}`
      link = await startDatabaseLink(url)
      direct = await openDatabase({ url: url.toString() })

      const port = await freePort()
      await initNodeDirectory({
        dir: join(root, 'usa'),
        node: 'usa',
        parties: [{ id: 'usa', name: 'United States' }],
        port,
        now: 0,
      })
      await initNodeDirectory({
        dir: join(root, 'rus'),
        node: 'rus',
        parties: [{ id: 'rus', name: 'Russian Federation' }],
        port: await freePort(),
        now: 0,
      })
      const rusConfig = loadConfig(join(root, 'rus', 'parley.json'), {})
      const loaded = loadConfig(join(root, 'usa', 'parley.json'), {})
      const config: NodeConfig = {
        ...loaded,
        peers: [await peerEntryOf(rusConfig, 0)],
        auth: { requireSecondFactor: false },
      }
      const database = await openDatabase({ url: link.url })
      const clock: TestClock = {
        now: START,
        advance(ms) {
          clock.now += ms
        },
      }
      const now = () => clock.now
      const app = await build(config, {
        database,
        now,
        federate: false,
        logger: {
          level: 'warn',
          stream: { write: (line: string) => void logged.push(JSON.parse(line)) },
        },
      })
      await app.listen({ host: '127.0.0.1', port })
      t = {
        app,
        config,
        database,
        clock,
        ctx: {
          db: database.db,
          now,
          parties: ['usa'],
          settings: authSettings(config.auth),
          passwords: passwordHasher(config.auth?.passwordHash),
        },
        close: async () => {
          await app.close()
          await database.close()
        },
      }
      alice = await loggedIn(t, 'alice', ['drafter'])
      channel = await openChannel(alice, { title: 'Hotline', members: ['usa', 'rus'] })
      const party = (await loadNodeIdentity(rusConfig)).parties.get('rus')!
      rus = new HostilePeer({
        party: 'rus',
        target: config.federationUrl,
        keys: party.keys.map((key) => ({ keyId: key.id, privateKey: key.privateKey })),
      })
    })

    afterAll(async () => {
      rus?.close()
      await t?.close()
      await direct?.close()
      await link?.close()
      if (name !== undefined) await admin(`drop database if exists ${name} with (force)`)
      if (root !== undefined) await rm(root, { recursive: true, force: true })
    })

    const post = (text: string) =>
      alice.browser.request('POST', `/channels/${channel}/messages`, message(text))
    const timeline = async (): Promise<TimelineView[]> => {
      const reply = await alice.browser.request('GET', `/channels/${channel}/timeline`)
      expect(reply.status).toBe(200)
      return reply.body.events
    }
    const texts = async () => (await timeline()).flatMap((view) => view.event.body.text ?? [])
    const outboxOf = async (id: string) =>
      (
        await direct.db
          .selectFrom('outbox')
          .select('destination')
          .where('event_id', '=', id)
          .execute()
      ).length
    const expectUnavailable = (reply: Pick<Reply, 'status' | 'body' | 'headers'>) => {
      expect(reply.status).toBe(503)
      expect(reply.body.error.code).toBe('DATABASE_UNAVAILABLE')
      expect(reply.headers['retry-after']).toBe('2')
    }
    /** Nothing was logged as an error (a 500 would be), and the loss was logged as a warning. */
    const expectLoggedAsWeather = () => {
      expect(logged.filter((line) => line.level >= 50)).toEqual([])
      expect(logged.some((line) => line.msg === 'database unavailable')).toBe(true)
    }
    /** The party's chain on this node: seqs 1, 2, … with each prev the event before. */
    const expectWholeChain = async () => {
      const own = (await timeline()).filter((view) => view.event.author === 'usa')
      own.forEach((view, i) => {
        expect(view.event.seq).toBe(i + 1)
        expect(view.event.prev).toBe(i === 0 ? null : own[i - 1]!.id)
      })
    }

    it('answers 503 to a post whose COMMIT never reached the database, and stores nothing', async () => {
      const cut = link.cutAt('commit', 'instead')
      const reply = await post('lost before the commit')
      await cut
      expectUnavailable(reply)
      expect(await texts()).not.toContain('lost before the commit')
      const next = await post('after the cut')
      expect(next.status).toBe(201)
      expect(await texts()).toContain('after the cut')
      await expectWholeChain()
      expectLoggedAsWeather()
    })

    it('answers 503 to a post whose backend an administrator terminates during its COMMIT', async () => {
      // The chaos schedules' db-cut, at the worst moment: the transaction waits on its COMMIT.
      const held = link.holdAt('commit')
      const reply = post('terminated at the commit')
      const { release } = await held
      const ended = await admin(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where datname = $1 and state = 'idle in transaction'`,
        [name],
      )
      expect(ended).toHaveLength(1)
      release()
      expectUnavailable(await reply)
      expect(await texts()).not.toContain('terminated at the commit')
      expect((await post('after the termination')).status).toBe(201)
      await expectWholeChain()
    })

    it('answers 503 when the connection dies mid-transaction and its ROLLBACK fails too', async () => {
      const cut = link.cutAt('begin', 'next')
      const reply = await post('lost mid-transaction')
      await cut
      expectUnavailable(reply)
      expect(await texts()).not.toContain('lost mid-transaction')
      expect((await post('after the rollback failed')).status).toBe(201)
      await expectWholeChain()
    })

    it('answers 503 to a post whose COMMIT took effect but whose answer was lost: the event is stored once, with its outbox row, and the chain goes on from it', async () => {
      const cut = link.cutAt('commit', 'answer-lost')
      const reply = await post('committed, answer lost')
      await cut
      expectUnavailable(reply)
      const stored = (await timeline()).filter(
        (view) => view.event.body.text === 'committed, answer lost',
      )
      expect(stored).toHaveLength(1)
      expect(await outboxOf(stored[0]!.id)).toBe(1)
      const next = await post('chained on it')
      expect(next.status).toBe(201)
      expect(next.body.event.event.prev).toBe(stored[0]!.id)
      await expectWholeChain()
    })

    it('fails every post of a group commit whose answer was lost, and commits none of them twice', async () => {
      // The first post's COMMIT waits, so the next four queue up and commit as one group.
      const held = link.holdAt('commit')
      const submitted = vi.spyOn(LocalCommitter.prototype, 'submit')
      try {
        const first = post('group 0')
        const { release } = await held
        const rest = [1, 2, 3, 4].map((i) => post(`group ${i}`))
        await vi.waitFor(() => expect(submitted).toHaveBeenCalledTimes(5))
        const cut = link.cutAt('commit', 'answer-lost')
        release()
        expect((await first).status).toBe(201)
        await cut
        for (const reply of await Promise.all(rest)) expectUnavailable(reply)
      } finally {
        submitted.mockRestore()
      }
      const all = await texts()
      for (const i of [0, 1, 2, 3, 4]) {
        expect(all.filter((text) => text === `group ${i}`)).toHaveLength(1)
      }
      expect((await post('after the group')).status).toBe(201)
      await expectWholeChain()
    })

    it('answers 503 to a batch post cut at its COMMIT, and stores none of its messages', async () => {
      const cut = link.cutAt('commit', 'instead')
      const reply = await alice.browser.request('POST', `/channels/${channel}/messages/batch`, {
        messages: [message('batch 1'), message('batch 2'), message('batch 3')],
      })
      await cut
      expectUnavailable(reply)
      expect((await texts()).filter((text) => text.startsWith('batch '))).toEqual([])
    })

    /** rus opens a channel with usa and posts in it: one push, stored together or not. */
    const rusBatch = async () => {
      const genesis = await rus.event({
        channel: pushedChannel,
        seq: 1,
        prev: null,
        heads: {},
        time: t.clock.now,
        type: 'channel.create',
        body: { title: 'From rus', members: ['rus', 'usa'], observers: [] },
      } as Omit<EventFields, 'author'>)
      const posted = await rus.event({
        channel: pushedChannel,
        seq: 2,
        prev: genesis.id,
        heads: {},
        time: t.clock.now,
        type: 'message.post',
        body: { text: 'pushed', lang: 'ru', urgency: 'routine', tlp: 'clear' },
      } as Omit<EventFields, 'author'>)
      return [genesis, posted]
    }
    const storedOfRus = async () =>
      (
        await direct.db
          .selectFrom('events')
          .select(['id', 'body'])
          .where('channel', '=', pushedChannel)
          .orderBy('seq')
          .execute()
      ).map((row) => ({ id: row.id, text: (row.body as { text?: string }).text }))
    const expectPushUnavailable = (reply: Awaited<ReturnType<HostilePeer['push']>>) => {
      expect(reply.status).toBe(503)
      expect(reply.body.error?.code).toBe('DATABASE_UNAVAILABLE')
      expect(reply.headers['retry-after']).toBe('2')
    }

    it('answers 503 to a federation push whose connection dies mid-transaction, and stores none of it', async () => {
      const cut = link.cutAt('begin', 'next')
      const reply = await rus.push(await rusBatch(), { now: t.clock.now })
      await cut
      expectPushUnavailable(reply)
      expect(await storedOfRus()).toEqual([])
    })

    it('answers 503 to a federation push whose COMMIT answer is lost; stored whole, the retry is receipted and nothing doubles', async () => {
      const batch = await rusBatch()
      const cut = link.cutAt('commit', 'answer-lost')
      const reply = await rus.push(batch, { now: t.clock.now })
      await cut
      expectPushUnavailable(reply)
      const ids = batch.map((signed) => signed.id)
      expect(await storedOfRus()).toEqual([
        { id: ids[0], text: undefined },
        { id: ids[1], text: 'pushed' },
      ])

      const again = await rus.push(batch, { now: t.clock.now })
      expect(again.status).toBe(200)
      expect(again.body.rejected).toEqual([])
      const receipted = again.body.receipts.flatMap(({ receipt }) => receipt.events)
      expect(receipted.sort()).toEqual([...ids].sort())
      expect(await storedOfRus()).toHaveLength(2)
    })

    it('receipts a push whose commit landed although the drain after it lost the database; the next commit applies what waited', async () => {
      const own = (await timeline()).filter((view) => view.event.author === 'usa')
      const head = { seq: own.at(-1)!.event.seq, id: own.at(-1)!.id }
      const join = await rus.event({
        channel,
        seq: 1,
        prev: null,
        heads: { usa: head },
        time: t.clock.now,
        type: 'channel.join',
        body: { accepts: own[0]!.id },
      } as Omit<EventFields, 'author'>)
      const said = await rus.event({
        channel,
        seq: 2,
        prev: join.id,
        heads: { usa: head },
        time: t.clock.now,
        type: 'message.post',
        body: { text: 'waited for the join', lang: 'ru', urgency: 'routine', tlp: 'clear' },
      } as Omit<EventFields, 'author'>)
      const early = await rus.push([said], { now: t.clock.now })
      expect(early.body.need).toEqual([{ channel, author: 'rus', fromSeq: 1 }])
      const rusEvents = async () =>
        (await timeline()).filter((view) => view.event.author === 'rus').map((view) => view.id)

      // The join's COMMIT is answered; the drain that would apply `said` loses the connection.
      const cut = link.cutAt('commit', 'next')
      const reply = await rus.push([join], { now: t.clock.now })
      await cut
      expect(reply.status).toBe(200)
      expect(reply.body.receipts.flatMap(({ receipt }) => receipt.events)).toEqual([join.id])
      expect(await rusEvents()).toEqual([join.id])

      expect((await post('drains what waited')).status).toBe(201)
      expect(await rusEvents()).toEqual([join.id, said.id])
    })

    it('answers 503 to reads, logins, posts and pushes while the database is down, and serves again once it is back', async () => {
      const health = async () => {
        const reply = await t.app.inject({ url: '/healthz' })
        return { status: reply.statusCode, body: reply.json(), headers: reply.headers }
      }
      expect(await health()).toMatchObject({ status: 200, body: { status: 'ok', node: 'usa' } })
      link.down()
      try {
        // What a load balancer or an operator's probe sees.
        expectUnavailable(await health())
        expectUnavailable(await alice.browser.request('GET', `/channels/${channel}/timeline`))
        expectUnavailable(await post('while down'))
        expectUnavailable(await alice.browser.login('alice', 'a long enough passphrase'))
        expectPushUnavailable(await rus.push(await rusBatch(), { now: t.clock.now }))
      } finally {
        link.up()
      }
      expect(await health()).toMatchObject({
        status: 200,
        body: { status: 'ok', node: 'usa', parties: ['usa'] },
      })
      expect((await post('back again')).status).toBe(201)
      expect(await texts()).toContain('back again')
      expect(await texts()).not.toContain('while down')
      await expectWholeChain()
      expectLoggedAsWeather()
    })

    it('keeps why a transaction failed when its ROLLBACK fails too', async () => {
      const cut = link.cutAt('begin', 'next')
      const failing = transaction(t.database.db, async (trx) => {
        await sql`select 1`.execute(trx).catch(() => {})
        throw new ServerError('CHANNEL_NOT_FOUND', { channel: 'ch_x' })
      })
      await expect(failing).rejects.toMatchObject({ code: 'CHANNEL_NOT_FOUND' })
      await cut
    })
  },
)

describe.skipIf(testDialect !== 'postgres')(
  "a node's database lock across a lost connection (PostgreSQL only: PGlite has no connection)",
  () => {
    let name: string
    let link: DatabaseLink
    let direct: Database
    const partyKey = `hashtextextended('party' || chr(10) || 'usa', 0)`

    beforeAll(async () => {
      name = `parley_t_${randomBytes(8).toString('hex')}`
      await admin(`create database ${name}`)
      const url = new URL(adminUrl)
      url.pathname = `/${name}`
      link = await startDatabaseLink(url)
      direct = await openDatabase({ url: url.toString() })
    })

    afterAll(async () => {
      await direct?.close()
      await link?.close()
      if (name !== undefined) await admin(`drop database if exists ${name} with (force)`)
    })

    /** Whether a session of another process could take usa's writer lock now (and lets go). */
    const partyFree = () =>
      direct.db.connection().execute(async (connection) => {
        const { rows } = await sql<{ free: boolean }>`
          select pg_try_advisory_lock(${sql.raw(partyKey)}) as free`.execute(connection)
        if (rows[0]!.free) {
          await sql`select pg_advisory_unlock(${sql.raw(partyKey)})`.execute(connection)
        }
        return rows[0]!.free
      })

    it('takes the party lock and the database lock again once the database is back, so no twin and no reindex can start beside it', async () => {
      const database = await openDatabase({ url: link.url })
      const warned: string[] = []
      const taken: ServerError[] = []
      const lock = await keepDatabase(database, ['usa'], {
        warn: (_, message) => warned.push(message),
        onTaken: (error) => taken.push(error),
        retryMs: 50,
        checkEveryMs: 50,
      })
      try {
        expect(await partyFree()).toBe(false)
        link.down()
        // The node's session ended with its connection: the party is free while it is away.
        await vi.waitFor(async () => expect(await partyFree()).toBe(true), { timeout: 10_000 })
        await vi.waitFor(
          () => expect(warned).toContain('database lock lost with its connection: taking it again'),
          { timeout: 10_000 },
        )
        link.up()
        await vi.waitFor(() => expect(warned).toContain('database lock taken again'), {
          timeout: 10_000,
        })
        expect(await partyFree()).toBe(false)
        await expect(
          withDatabaseExclusively(direct.db, async () => 'reindexed'),
        ).rejects.toMatchObject({ code: 'DATABASE_IN_USE' })
        expect(taken).toEqual([])
      } finally {
        link.up()
        await lock.release()
        await database.close()
      }
      // Released on purpose: nothing is taken again.
      expect(await partyFree()).toBe(true)
    })

    it('says PARTY_IN_USE when another process took the party while the database was away', async () => {
      const database = await openDatabase({ url: link.url })
      let onTaken!: (error: ServerError) => void
      const stopped = new Promise<ServerError>((resolve) => (onTaken = resolve))
      const lock = await keepDatabase(database, ['usa'], {
        warn: () => {},
        onTaken,
        retryMs: 50,
        checkEveryMs: 50,
      })
      const twin = new pg.Client({ connectionString: new URL(`/${name}`, adminUrl).toString() })
      twin.on('error', () => {})
      await twin.connect()
      try {
        link.down()
        // A twin for usa starts while this node cannot reach the database: it waits for the
        // lost session to end, then holds the party.
        await twin.query(`select pg_advisory_lock(${partyKey})`)
        link.up()
        const error = await stopped
        expect(error.code).toBe('PARTY_IN_USE')
        expect(error.details).toEqual({ party: 'usa' })
      } finally {
        link.up()
        await twin.end()
        await lock.release()
        await database.close()
      }
    })
  },
)
