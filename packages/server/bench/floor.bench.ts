// `npm run bench:floor`: what one hop costs on this machine, whatever Parley does, as the
// federation bench's latency phase meets it: an HTTP request between two Node processes, and
// a PostgreSQL round trip and 6-statement durable transaction, each paced (10 ms and 1 ms
// apart, as at 100 and 1,000 messages/s) and back to back. A hop made after the processes went
// idle costs far more CPU and time than one made while they are busy (waking a process on a
// virtual machine is not free); a post on A reaching B's stream takes about 20 such hops.
// Prints a Markdown table on stderr and JSON on stdout. PARLEY_BENCH_DATABASE_URL: PostgreSQL.
import { fork } from 'node:child_process'
import { Agent, createServer, get } from 'node:http'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { distribution } from './federation-stats.ts'

const adminUrl =
  process.env.PARLEY_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const cpuMicros = (usage: NodeJS.CpuUsage) => usage.user + usage.system

if (process.argv[2] === 'server') {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => response.end('ok'))
  })
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port))
  process.on('message', () => process.send!(process.cpuUsage()))
} else {
  const result = { http: [] as unknown[], postgres: [] as unknown[] }
  const paces = [10, 1, 0]

  const child = fork(process.argv[1]!, ['server'])
  const port = await new Promise<number>((resolve) => child.once('message', resolve as never))
  const serverCpu = () =>
    new Promise<NodeJS.CpuUsage>((resolve) => {
      child.once('message', resolve as never)
      child.send('cpu')
    })
  const agent = new Agent({ keepAlive: true })
  const call = () =>
    new Promise<void>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
        response.resume()
        response.on('end', resolve)
      }).on('error', reject)
    })
  for (let i = 0; i < 200; i++) await call()
  for (const pace of paces) {
    const count = pace === 10 ? 1000 : 3000
    const [server0, client0] = [await serverCpu(), process.cpuUsage()]
    const times: number[] = []
    for (let i = 0; i < count; i++) {
      if (pace > 0) await sleep(pace)
      const start = performance.now()
      await call()
      times.push(performance.now() - start)
    }
    const server = cpuMicros(await serverCpu()) - cpuMicros(server0)
    const client = cpuMicros(process.cpuUsage(client0))
    result.http.push({
      paceMs: pace,
      roundTripMs: distribution(times),
      cpuMicrosecondsPerRequest: {
        server: Math.round(server / count),
        client: Math.round(client / count),
      },
    })
  }
  child.kill()

  const db = new pg.Client({ connectionString: adminUrl })
  await db.connect()
  await db.query('create temp table floor_bench (id text primary key, v text)')
  for (const pace of paces) {
    const count = pace === 10 ? 1000 : 3000
    const one: number[] = []
    const transaction: number[] = []
    for (let i = 0; i < count; i++) {
      if (pace > 0) await sleep(pace)
      let start = performance.now()
      await db.query({ name: 'one', text: 'select $1::int', values: [i] })
      one.push(performance.now() - start)
      if (pace > 0) await sleep(pace)
      start = performance.now()
      await db.query('begin')
      await db.query({
        name: 'lock',
        text: 'select pg_advisory_xact_lock(hashtextextended($1, 0))',
        values: ['floor'],
      })
      await db.query({
        name: 'read',
        text: 'select count(*) from floor_bench where id = $1',
        values: [String(i)],
      })
      await db.query({
        name: 'insert',
        text: 'insert into floor_bench values ($1, $2)',
        values: [String(i), 'x'],
      })
      await db.query({ name: 'again', text: 'select $1::int', values: [i] })
      await db.query('commit')
      transaction.push(performance.now() - start)
      await db.query('truncate floor_bench')
    }
    result.postgres.push({
      paceMs: pace,
      roundTripMs: distribution(one),
      durableTransactionOf6Ms: distribution(transaction),
    })
  }
  await db.end()

  const row = (pace: number) => (pace === 0 ? 'back to back' : `${pace} ms apart`)
  const lines = ['| hop | pace | p50 / p99 ms | CPU per hop, µs |', '|---|---|---|---|']
  for (const entry of result.http as {
    paceMs: number
    roundTripMs: { p50: number; p99: number }
    cpuMicrosecondsPerRequest: { server: number; client: number }
  }[]) {
    const { paceMs, roundTripMs: t, cpuMicrosecondsPerRequest: c } = entry
    lines.push(
      `| HTTP request, Node → Node | ${row(paceMs)} | ${t.p50} / ${t.p99} | server ${c.server}, client ${c.client} |`,
    )
  }
  for (const entry of result.postgres as {
    paceMs: number
    roundTripMs: { p50: number; p99: number }
    durableTransactionOf6Ms: { p50: number; p99: number }
  }[]) {
    const { paceMs, roundTripMs: t, durableTransactionOf6Ms: x } = entry
    lines.push(`| PostgreSQL round trip | ${row(paceMs)} | ${t.p50} / ${t.p99} | |`)
    lines.push(
      `| PostgreSQL transaction of 6 statements, durable | ${row(paceMs)} | ${x.p50} / ${x.p99} | |`,
    )
  }
  process.stderr.write(`\n${lines.join('\n')}\n\n`)
  process.stdout.write(
    `${JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2)}\n`,
  )
}
