import { createServer, type Server, type Socket } from 'node:net'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { ServerError } from '../errors.ts'
import { isDatabaseUnavailable } from './database-errors.ts'

// Every error here is thrown by the real driver, never built by hand: pg talks to small
// servers that behave as PostgreSQL and the network do when a connection goes (the messages
// PostgreSQL sends are in its protocol documentation, "Message Formats").

const servers: Server[] = []
const sockets = new Set<Socket>()
afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))))
})

/** A TCP server on loopback whose connections `onConnection` handles. */
async function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    onConnection(socket)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

function message(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head.write(type, 0)
  head.writeInt32BE(payload.length + 4, 1)
  return Buffer.concat([head, payload])
}

/** AuthenticationOk and ReadyForQuery: what a trusting server answers a startup message. */
const READY = Buffer.concat([
  message('R', Buffer.from([0, 0, 0, 0])),
  message('Z', Buffer.from('I')),
])

/** An ErrorResponse as PostgreSQL sends it, e.g. before it closes a terminated backend. */
function errorResponse(severity: string, code: string, text: string): Buffer {
  const field = (tag: string, value: string) => Buffer.from(`${tag}${value}\0`)
  return message(
    'E',
    Buffer.concat([
      field('S', severity),
      field('V', severity),
      field('C', code),
      field('M', text),
      Buffer.from([0]),
    ]),
  )
}

/**
 * A server that accepts pg's startup (or answers it with `onStartup`), then hands every later
 * chunk the client sends to `onQuery`.
 */
function fakePostgres(options: {
  onStartup?: (socket: Socket) => void
  onQuery?: (socket: Socket) => void
  afterReady?: (socket: Socket) => void
}): Promise<number> {
  return listen((socket) => {
    let started = false
    socket.on('data', () => {
      if (started) return options.onQuery?.(socket)
      started = true
      if (options.onStartup !== undefined) return options.onStartup(socket)
      socket.write(READY)
      options.afterReady?.(socket)
    })
  })
}

const client = (port: number) => {
  const created = new pg.Client({ host: '127.0.0.1', port, user: 'parley', database: 'parley' })
  created.on('error', () => {})
  return created
}

/** What `work` rejects with. */
async function thrown(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work()
  } catch (error) {
    return error
  }
  throw new Error('expected a failure')
}

describe('isDatabaseUnavailable', () => {
  it('knows a refused connection (nothing listens: PostgreSQL is down)', async () => {
    const port = await listen(() => {})
    servers.pop()!.close()
    const error = await thrown(() => client(port).connect())
    expect(error).toMatchObject({ code: 'ECONNREFUSED' })
    expect(isDatabaseUnavailable(error)).toBe(true)
  })

  it('knows a connection reset and one closed under the client', async () => {
    const reset = await thrown(async () =>
      client(await listen((socket) => socket.resetAndDestroy())).connect(),
    )
    expect(reset).toMatchObject({ code: 'ECONNRESET' })
    const closed = await thrown(async () =>
      client(await listen((socket) => socket.end())).connect(),
    )
    expect(closed).toMatchObject({ message: 'Connection terminated unexpectedly' })
    for (const error of [reset, closed]) expect(isDatabaseUnavailable(error)).toBe(true)
  })

  it('knows a backend terminated under a query (57P01) and a server starting up (57P03)', async () => {
    const terminated = await thrown(async () => {
      const port = await fakePostgres({
        onQuery: (socket) =>
          socket.end(
            errorResponse('FATAL', '57P01', 'terminating connection due to administrator command'),
          ),
      })
      const connected = client(port)
      await connected.connect()
      await connected.query('select 1')
    })
    expect(terminated).toMatchObject({ code: '57P01', severity: 'FATAL' })
    const starting = await thrown(async () =>
      client(
        await fakePostgres({
          onStartup: (socket) =>
            socket.end(errorResponse('FATAL', '57P03', 'the database system is starting up')),
        }),
      ).connect(),
    )
    expect(starting).toMatchObject({ code: '57P03' })
    for (const error of [terminated, starting]) expect(isDatabaseUnavailable(error)).toBe(true)
  })

  it('knows a client whose connection failed already, and one ended under a query', async () => {
    const broken = client(await fakePostgres({ afterReady: (socket) => socket.resetAndDestroy() }))
    const failed = new Promise((resolve) => broken.once('error', resolve))
    await broken.connect()
    await failed
    const notQueryable = await thrown(() => broken.query('select 1'))
    expect(notQueryable).toMatchObject({
      message: 'Client has encountered a connection error and is not queryable',
    })

    const ending = client(await fakePostgres({}))
    await ending.connect()
    const running = thrown(() => ending.query('select pg_sleep(60)'))
    await ending.end()
    const ended = await running
    expect(ended).toMatchObject({ message: 'Connection terminated' })
    for (const error of [notQueryable, ended]) expect(isDatabaseUnavailable(error)).toBe(true)
  })

  it('knows a pool that could not connect in time, or get a connection in time', async () => {
    const silent = await listen(() => {})
    const pool = new pg.Pool({ host: '127.0.0.1', port: silent, connectionTimeoutMillis: 50 })
    const timedOut = await thrown(() => pool.query('select 1'))
    await pool.end()
    expect(timedOut).toMatchObject({ message: 'Connection terminated due to connection timeout' })

    const full = new pg.Pool({
      host: '127.0.0.1',
      port: await fakePostgres({}),
      max: 1,
      connectionTimeoutMillis: 50,
    })
    const held = await full.connect()
    const waited = await thrown(() => full.connect())
    held.release(true)
    await full.end()
    expect(waited).toMatchObject({ message: 'timeout exceeded when trying to connect' })
    for (const error of [timedOut, waited]) expect(isDatabaseUnavailable(error)).toBe(true)
  })

  it('leaves a statement the database refuses alone: its connection goes on', async () => {
    const refusing = client(
      await fakePostgres({
        onQuery: (socket) =>
          socket.write(
            Buffer.concat([
              errorResponse('ERROR', '23505', 'duplicate key value violates unique constraint'),
              message('Z', Buffer.from('I')),
            ]),
          ),
      }),
    )
    await refusing.connect()
    const duplicate = await thrown(() => refusing.query('insert into t values (1)'))
    await refusing.end()
    expect(duplicate).toMatchObject({ code: '23505', severity: 'ERROR' })
    expect(isDatabaseUnavailable(duplicate)).toBe(false)
  })

  it('leaves the node’s own errors and anything else alone', () => {
    expect(isDatabaseUnavailable(new ServerError('CHANNEL_NOT_FOUND', { channel: 'x' }))).toBe(
      false,
    )
    expect(isDatabaseUnavailable(new TypeError('undefined is not a function'))).toBe(false)
    expect(isDatabaseUnavailable('ECONNRESET')).toBe(false)
    expect(isDatabaseUnavailable(undefined)).toBe(false)
  })
})
