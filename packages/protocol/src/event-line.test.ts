import { beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from './crypto.ts'
import { createEvent } from './event.ts'
import { authenticateEventLine } from './event-line.ts'
import type { Event, PartyKey } from './schemas.ts'
import { eventLine } from './transcript.ts'

let signed: { event: Event; sig: string; id: string }
let keys: (party: string) => readonly PartyKey[]

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair()
  const key: PartyKey = { id: 'usa#1', publicKey, validFrom: 0, validUntil: null }
  keys = (party) => (party === 'usa' ? [key] : [])
  signed = await createEvent(
    {
      channel: 'ch_01JDXS4Q8ZK3M5N7P9R2T4V6W8',
      author: 'usa',
      seq: 1,
      prev: null,
      heads: {},
      time: 1_764_277_200_000,
      type: 'channel.create',
      body: { title: 'Cyber hotline', members: ['usa', 'rus'], observers: [] },
    },
    { keyId: 'usa#1', privateKey },
  )
})

describe('authenticateEventLine', () => {
  it('reads a canonical event line: its event, signature, id and canonical form', async () => {
    const checked = await authenticateEventLine(eventLine(signed), keys)
    expect(checked).toMatchObject({ ok: true, event: signed.event, sig: signed.sig, id: signed.id })
    expect(checked?.raw).toBe(
      JSON.stringify({ event: JSON.parse(eventLine(signed)).event, sig: signed.sig }),
    )
  })

  it('reads a valid line in any member order or spacing the same way', async () => {
    const text = JSON.stringify({ sig: signed.sig, kind: 'event', event: signed.event }, null, 1)
    expect(await authenticateEventLine(text, keys)).toEqual(
      await authenticateEventLine(eventLine(signed), keys),
    )
  })

  it('leaves every line that does not hold to the full reading', async () => {
    const line = eventLine(signed)
    const other = signed.sig[0] === 'A' ? 'B' : 'A'
    const rejected = [
      '',
      'not json',
      '[1,2,3]',
      line.replace('"title":', '"title":"Other","title":'),
      line.replace('{"event":', '{"extra":1,"event":'),
      line.replace('"kind":"event"', '"kind":"receipt"'),
      line.replace(`"sig":"${signed.sig[0]}`, `"sig":"${other}`),
      line.replace('"seq":1', '"seq":1.5'),
    ]
    for (const text of rejected) expect(await authenticateEventLine(text, keys)).toBeUndefined()
    expect(await authenticateEventLine(line, () => [])).toBeUndefined()
  })
})
