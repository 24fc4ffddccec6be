import {
  authenticateEvent,
  createEvent,
  generateKeyPair,
  type PartyKey,
  type SignedEvent,
} from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventVerifier } from './event-verifier.ts'

const CH = 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YZ'
const T0 = 1_764_277_200_000

let pinned: Map<string, PartyKey[]>
let batch: unknown[]
const verifier = new EventVerifier({ workers: 2, minBatch: 1 })

beforeAll(async () => {
  const pair = await generateKeyPair()
  pinned = new Map([
    ['usa', [{ id: 'usa#1', publicKey: pair.publicKey, validFrom: 0, validUntil: null }]],
  ])
  const signer = { keyId: 'usa#1', privateKey: pair.privateKey }
  const good: SignedEvent[] = []
  for (let seq = 1; seq <= 40; seq++) {
    const { event, sig } = await createEvent(
      {
        channel: CH,
        author: 'usa',
        seq,
        prev: null,
        heads: {},
        time: T0 + seq,
        type: 'message.post',
        body: { text: `Ping ${seq} — «привет» 😀`, lang: 'en', urgency: 'routine', tlp: 'clear' },
      },
      signer,
    )
    good.push({ event, sig })
  }
  const [a, b, c, d, e] = good as [SignedEvent, SignedEvent, SignedEvent, SignedEvent, SignedEvent]
  batch = [
    ...good.slice(5),
    { ...a, sig: b.sig },
    { ...b, event: { ...b.event, key: 'usa#9' } },
    { ...c, event: { ...c.event, body: { text: 'hi' } } },
    { ...d, event: { ...d.event, seq: 1.5 } },
    { event: e.event },
    'not an event',
    { ...e, event: { ...e.event, author: 'rus', key: 'rus#1' } },
  ]
})

afterAll(() => verifier.close())

describe('EventVerifier', () => {
  it('gives on worker threads exactly what each event gets on this thread, in input order', async () => {
    const keys = (party: string) => pinned.get(party) ?? []
    const here = await Promise.all(batch.map((signed) => authenticateEvent(signed, keys)))
    const there = await verifier.authenticate(batch, pinned)
    expect(there).toEqual(here)
    expect(there.filter((checked) => checked.ok)).toHaveLength(35)
    expect(there.slice(35).map((checked) => (checked.ok ? 'ok' : checked.code))).toEqual([
      'SIGNATURE_INVALID',
      'KEY_UNKNOWN',
      'EVENT_MALFORMED',
      'NUMBER_NOT_INTEGER',
      'EVENT_MALFORMED',
      'EVENT_MALFORMED',
      'KEY_UNKNOWN',
    ])
  })

  it('checks a batch on this thread once closed, with the same results', async () => {
    const closed = new EventVerifier({ workers: 2, minBatch: 1 })
    await closed.close()
    const open = await verifier.authenticate(batch, pinned)
    expect(await closed.authenticate(batch, pinned)).toEqual(open)
  })
})
