// scratch: ledger-only cost of appendEvents on PG (not committed)
import { createEvent, generateKeyPair, type EventFields } from '@parley/protocol'
import { appendEvents, pinPartyKeys, openDatabase, migrateToLatest } from '../src/index.ts'
import pg from 'pg'
const admin = 'postgres://postgres@127.0.0.1:5432/postgres'
const name = `parley_scratch_${process.pid}`
const c = new pg.Client({ connectionString: admin }); await c.connect(); await c.query(`create database ${name}`); await c.end()
const database = await openDatabase({ url: `postgres://postgres@127.0.0.1:5432/${name}` })
await migrateToLatest(database.db)
const usa = await generateKeyPair(); const rus = await generateKeyPair()
for (const [id, k, hosted] of [['usa', usa, false], ['rus', rus, true]] as const)
  await pinPartyKeys(database.db, id, id, [{ id: `${id}#1`, publicKey: k.publicKey, validFrom: 0, validUntil: null }], { now: 0, hosted })
const CH = 'ch_01HZX4N8Q7P2M5K9R3T6V0W8YB'
const N = Number(process.argv[2] ?? 10000); const B = Number(process.argv[3] ?? 500)
const events: unknown[] = []; let prev: string | null = null
const t = Date.now()
for (let seq = 1; seq <= N; seq++) {
  const fields = { channel: CH, author: 'usa', seq, prev, heads: {}, time: t + seq, type: seq === 1 ? 'channel.create' : 'message.post',
    body: seq === 1 ? { title: 'x', members: ['usa', 'rus'], observers: [] } : { text: `T ${seq} Our CERT duty desk is examining the reported addresses; an interim answer follows within the hour.`, lang: 'en', urgency: 'routine', tlp: 'green' } } as EventFields
  const e = await createEvent(fields, { keyId: 'usa#1', privateKey: usa.privateKey }); prev = e.id
  events.push(JSON.parse(JSON.stringify({ event: e.event, sig: e.sig })))
}
const ctx = { now: t + N + 1000, hosted: ['rus'] }
const c0 = process.cpuUsage(); const w0 = performance.now()
for (let i = 0; i < N; i += B) {
  const r = await appendEvents(database.db, events.slice(i, i + B), ctx)
  if (r.results.some((x) => x.status !== 'stored')) throw new Error(JSON.stringify(r.results.find((x) => x.status !== 'stored')))
}
const cpu = process.cpuUsage(c0); const wall = performance.now() - w0
console.log(`N=${N} batch=${B}: ${Math.round(N / (wall / 1000))} ev/s wall, node cpu ${((cpu.user + cpu.system) / N).toFixed(0)} µs/ev`)
await database.close()
const c2 = new pg.Client({ connectionString: admin }); await c2.connect(); await c2.query(`drop database ${name} with (force)`); await c2.end()
