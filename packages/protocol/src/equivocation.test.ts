import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from './crypto.ts'
import { makeEquivocationProof, verifyEquivocationProof } from './equivocation.ts'
import { createEvent, type EventFields, type Signer } from './event.ts'
import type { PartyKey, SignedEvent } from './schemas.ts'

const CH = 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YZ'
const T0 = 1_764_277_200_000
const PREV = 'a'.repeat(64)

let usa: Signer
let rus: Signer
const pinned: Record<string, PartyKey[]> = {}
const keys = (party: string) => pinned[party] ?? []

beforeAll(async () => {
  const [usaPair, rusPair] = await Promise.all([generateKeyPair(), generateKeyPair()])
  usa = { keyId: 'usa#1', privateKey: usaPair.privateKey }
  rus = { keyId: 'rus#1', privateKey: rusPair.privateKey }
  pinned.usa = [{ id: 'usa#1', publicKey: usaPair.publicKey, validFrom: 0, validUntil: null }]
  pinned.rus = [{ id: 'rus#1', publicKey: rusPair.publicKey, validFrom: 0, validUntil: null }]
})

async function post(
  text: string,
  overrides: Partial<EventFields> = {},
  signer = usa,
): Promise<SignedEvent> {
  const { event, sig } = await createEvent(
    {
      channel: CH,
      author: 'usa',
      seq: 5,
      prev: PREV,
      heads: {},
      time: T0,
      type: 'message.post',
      body: { text, lang: 'en', urgency: 'flash', tlp: 'green' },
      ...overrides,
    } as EventFields,
    signer,
  )
  return { event, sig }
}

describe('equivocation proofs', () => {
  it('prove a fork on their own, for any two different events with one author and seq', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 50 }),
        fc.string({ minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.nat(1000),
        async (textA, textB, seq, skew) => {
          fc.pre(textA !== textB || skew !== 0)
          const fields = { seq, prev: seq === 1 ? null : PREV }
          const a = await post(textA, fields)
          const b = await post(textB, { ...fields, time: T0 + skew })
          const proof = makeEquivocationProof(a, b)
          const result = await verifyEquivocationProof(JSON.parse(JSON.stringify(proof)), keys)
          expect(result).toMatchObject({ ok: true, channel: CH, author: 'usa', seq })
          expect(result.ok && result.ids[0]).not.toBe(result.ok && result.ids[1])
        },
      ),
      { numRuns: 50 },
    )
  })

  it('do not hold when a signature is forged', async () => {
    const a = await post('We will stand down.')
    const b = await post('We will not stand down.')
    const forgedB = await post(
      'We will not stand down.',
      {},
      { ...usa, privateKey: rus.privateKey },
    )
    for (const proof of [
      { a, b: forgedB },
      { a, b: { ...b, sig: a.sig } },
      { a: { ...a, event: { ...a.event, time: T0 + 1 } }, b },
    ]) {
      const result = await verifyEquivocationProof(proof, keys)
      expect(result).toMatchObject({ ok: false, code: 'EQUIVOCATION_PROOF_INVALID' })
      expect(!result.ok && result.message).toMatch(/SIGNATURE_INVALID/)
    }
  })

  it('do not hold for a signer the verifier does not know', async () => {
    const a = await post('One.')
    const b = await post('Two.')
    const result = await verifyEquivocationProof({ a, b }, () => [])
    expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/a: KEY_UNKNOWN/) })
  })

  it('do not hold for the same event twice, or events of different seqs, authors or channels', async () => {
    const a = await post('One.')
    const cases: [SignedEvent, RegExp][] = [
      [a, /same event/],
      [await post('Two.', { seq: 6 }), /different seqs/],
      [await post('Two.', { author: 'rus' }, rus), /different authors/],
      [await post('Two.', { channel: 'ch_01JDX8Q7M2V9K4T6R3N5P8W2YA' }), /different channels/],
    ]
    for (const [b, reason] of cases) {
      const result = await verifyEquivocationProof({ a, b }, keys)
      expect(result).toMatchObject({ ok: false, message: expect.stringMatching(reason) })
      expect(() => makeEquivocationProof(a, b)).toThrowError(reason)
    }
  })

  it('reject a malformed proof without throwing', async () => {
    const a = await post('One.')
    for (const proof of [null, { a }, { a, b: a, c: 1 }, { a, b: { event: a.event } }]) {
      expect(await verifyEquivocationProof(proof, keys)).toMatchObject({
        ok: false,
        code: 'EQUIVOCATION_PROOF_INVALID',
      })
    }
  })

  it('keep only the signed events, whatever else the caller attached', async () => {
    const a = { ...(await post('One.')), id: 'x' } as SignedEvent
    const b = await post('Two.')
    expect(Object.keys(makeEquivocationProof(a, b).a)).toEqual(['event', 'sig'])
  })

  it('say which event of a proof fails and why, in one exact message', async () => {
    const a = await post('We will stand down.')
    const b = await post('We will not stand down.')
    const forged = await post('We will not stand down.', {}, { ...usa, privateKey: rus.privateKey })
    const cases: [unknown, string][] = [
      [{ a, b: forged }, 'b: SIGNATURE_INVALID: Signature does not verify with key usa#1'],
      [{ a: forged, b }, 'a: SIGNATURE_INVALID: Signature does not verify with key usa#1'],
      [{ a, b: a }, 'a and b are the same event'],
      [{ a, b, c: 1 }, '/: unknown field "c"'],
    ]
    for (const [proof, reason] of cases) {
      expect(await verifyEquivocationProof(proof, keys)).toEqual({
        ok: false,
        code: 'EQUIVOCATION_PROOF_INVALID',
        message: `Equivocation proof does not hold: ${reason}`,
      })
    }
  })

  it('pass on a failure of the key lookup itself instead of calling the proof invalid', async () => {
    const a = await post('One.')
    const b = await post('Two.')
    const offline = () => {
      throw new Error('key store offline')
    }
    await expect(verifyEquivocationProof({ a, b }, offline)).rejects.toThrowError(
      'key store offline',
    )
  })
})
