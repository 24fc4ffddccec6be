// A large log seeded fast, for benchmarks: events signed with the node's own key exactly as the
// node would sign them (a valid chain: seq, prev, time), then written with multi-row inserts of
// the events table and the timeline's order index, bypassing the append path. Build the node
// again afterwards, so nothing of the seeding stays in memory.
import { canonicalJson, createEvent } from '@parley/protocol'
import type { ParleyApp } from '../src/app.ts'
import { signingKey } from '../src/node-identity.ts'

const message = (text: string) => ({ text, lang: 'en', urgency: 'routine', tlp: 'green' })

/** Signs `count` message.post events after the channel's genesis and inserts them in bulk. */
export async function seedMessages(app: ParleyApp, channel: string, count: number, author = 'usa') {
  const party = app.identity.parties.get(author)!
  const db = app.db
  const head = await db
    .selectFrom('events')
    .select(['id', 'seq', 'time'])
    .where('channel', '=', channel)
    .where('author', '=', author)
    .orderBy('seq', 'desc')
    .executeTakeFirstOrThrow()
  let prev = head.id
  let seq = Number(head.seq)
  const key = signingKey(party, Number(head.time))
  const signer = { keyId: key.id, privateKey: key.privateKey }
  const started = performance.now()
  // One millisecond apart after the genesis; the node is then started with its clock after the
  // last of them, so the appends that follow continue the chain in time.
  for (let done = 0; done < count; ) {
    const rows: Awaited<ReturnType<typeof createEvent>>[] = []
    for (let i = 0; i < 1000 && done < count; i++, done++) {
      seq++
      const signed = await createEvent(
        {
          channel,
          author,
          seq,
          prev,
          heads: {},
          time: Number(head.time) + seq,
          type: 'message.post',
          body: message(`seeded ${seq}`),
        } as Parameters<typeof createEvent>[0],
        signer,
      )
      prev = signed.id
      rows.push(signed)
    }
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('events')
        .values(
          rows.map(({ id, event, sig }) => ({
            id,
            channel,
            author: event.author,
            seq: event.seq,
            prev: event.prev,
            time: event.time,
            type: event.type,
            body: JSON.stringify(event.body),
            raw: canonicalJson({ event, sig }),
            received_at: event.time,
          })),
        )
        .execute()
      await trx
        .insertInto('timeline_entries')
        .values(
          rows.map(({ id, event }) => ({
            event_id: id,
            channel,
            order_time: event.time,
            author: event.author,
            seq: event.seq,
          })),
        )
        .execute()
    })
  }
  return {
    seconds: (performance.now() - started) / 1000,
    lastSeq: seq,
    lastTime: Number(head.time) + seq,
  }
}
