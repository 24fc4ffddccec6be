import { beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from './crypto.ts'
import type { Signer } from './event.ts'
import { signReceipt, verifyReceipt } from './receipt.ts'
import type { PartyKey } from './schemas.ts'
import { domains, signObject } from './signing.ts'

const T0 = 1_764_277_200_000
const ID_A = 'a'.repeat(64)
const ID_B = 'b'.repeat(64)

let rus: Signer
let usa: Signer
const pinned: Record<string, PartyKey[]> = {}
const keys = (party: string) => pinned[party] ?? []

beforeAll(async () => {
  const [rusPair, usaPair] = await Promise.all([generateKeyPair(), generateKeyPair()])
  rus = { keyId: 'rus#1', privateKey: rusPair.privateKey }
  usa = { keyId: 'usa#1', privateKey: usaPair.privateKey }
  pinned.rus = [{ id: 'rus#1', publicKey: rusPair.publicKey, validFrom: T0, validUntil: T0 + 1000 }]
  pinned.usa = [{ id: 'usa#1', publicKey: usaPair.publicKey, validFrom: 0, validUntil: null }]
})

describe('receipts', () => {
  it('covers a batch with one signature that the sender verifies with the pinned key', async () => {
    const signed = await signReceipt({ events: [ID_A, ID_B], by: 'rus', receivedAt: T0 }, rus)
    expect(signed.receipt).toEqual({
      events: [ID_A, ID_B],
      by: 'rus',
      key: 'rus#1',
      receivedAt: T0,
    })
    expect(await verifyReceipt(JSON.parse(JSON.stringify(signed)), keys)).toEqual({
      ok: true,
      receipt: signed.receipt,
    })
  })

  it('does not verify once any field is changed', async () => {
    const signed = await signReceipt({ events: [ID_A], by: 'rus', receivedAt: T0 }, rus)
    for (const receipt of [
      { ...signed.receipt, events: [ID_B] },
      { ...signed.receipt, receivedAt: T0 + 1 },
    ]) {
      const result = await verifyReceipt({ ...signed, receipt }, keys)
      expect(result).toMatchObject({ ok: false, code: 'RECEIPT_INVALID' })
      expect(!result.ok && result.message).toMatch(/signature does not verify with rus#1/)
    }
  })

  it('does not verify an event signature passed off as a receipt (domain separation)', async () => {
    const receipt = { events: [ID_A], by: 'rus', key: 'rus#1', receivedAt: T0 }
    const sig = await signObject(domains.event, receipt, rus.privateKey)
    expect(await verifyReceipt({ receipt, sig }, keys)).toMatchObject({ ok: false })
  })

  it('rejects a receipt by a key of another party or outside its validity', async () => {
    const signed = await signReceipt({ events: [ID_A], by: 'usa', receivedAt: T0 }, usa)
    const impersonation = { ...signed, receipt: { ...signed.receipt, by: 'rus' } }
    expect(await verifyReceipt(impersonation, keys)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/usa#1 does not belong to rus/),
    })
    const late = await signReceipt({ events: [ID_A], by: 'rus', receivedAt: T0 + 1000 }, rus)
    expect(await verifyReceipt(late, keys)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/rus#1 was not valid at/),
    })
  })

  it('rejects malformed receipts with the path of the problem, without throwing', async () => {
    const signed = await signReceipt({ events: [ID_A], by: 'rus', receivedAt: T0 }, rus)
    const cases: [unknown, RegExp][] = [
      [{ ...signed, extra: true }, /unknown field "extra"/],
      [{ ...signed, receipt: { ...signed.receipt, receivedAt: T0 + 0.5 } }, /integers only/],
      [{ ...signed, receipt: { ...signed.receipt, events: [] } }, /\/receipt\/events: /],
      [{ ...signed, receipt: { ...signed.receipt, events: [ID_A, ID_A] } }, /\/receipt\/events: /],
      [{ receipt: signed.receipt }, /sig/],
      ['receipt', /\/: /],
    ]
    for (const [value, message] of cases) {
      const result = await verifyReceipt(value, keys)
      expect(result).toMatchObject({ ok: false, code: 'RECEIPT_INVALID' })
      expect(!result.ok && result.message).toMatch(message)
    }
  })

  it('refuses to sign a receipt naming a key other than the signer’s, or one that would not verify', async () => {
    await expect(
      signReceipt({ events: [ID_A], by: 'rus', key: 'rus#2', receivedAt: T0 }, rus),
    ).rejects.toMatchObject({ code: 'RECEIPT_INVALID' })
    await expect(signReceipt({ events: [], by: 'rus', receivedAt: T0 }, rus)).rejects.toMatchObject(
      {
        code: 'RECEIPT_INVALID',
      },
    )
  })

  it('says in one exact message why a receipt does not verify or cannot be signed', async () => {
    const signed = await signReceipt({ events: [ID_A], by: 'rus', receivedAt: T0 }, rus)
    expect(
      await verifyReceipt(
        {
          ...signed,
          sig: (await signReceipt({ events: [ID_B], by: 'rus', receivedAt: T0 }, rus)).sig,
        },
        keys,
      ),
    ).toEqual({
      ok: false,
      code: 'RECEIPT_INVALID',
      message: 'Receipt does not verify: signature does not verify with rus#1',
    })
    expect(
      await verifyReceipt({ ...signed, receipt: { ...signed.receipt, by: 'usa' } }, keys),
    ).toEqual({
      ok: false,
      code: 'RECEIPT_INVALID',
      message: 'Receipt does not verify: Key rus#1 does not belong to usa',
    })
    await expect(
      signReceipt({ events: [ID_A], by: 'rus', key: 'rus#2', receivedAt: T0 }, rus),
    ).rejects.toMatchObject({
      code: 'RECEIPT_INVALID',
      message: 'Receipt does not verify: it names key rus#2 but is signed with rus#1',
    })
    await expect(
      signReceipt({ events: [ID_A], by: 'rus', receivedAt: T0 + 0.5 }, rus),
    ).rejects.toMatchObject({
      code: 'RECEIPT_INVALID',
      message: `Receipt does not verify: Signed JSON allows integers only; found ${T0 + 0.5} at $.receivedAt`,
    })
  })

  it('passes on a failure of the key lookup itself instead of calling the receipt invalid', async () => {
    const signed = await signReceipt({ events: [ID_A], by: 'rus', receivedAt: T0 }, rus)
    const offline = () => {
      throw new Error('key store offline')
    }
    await expect(verifyReceipt(signed, offline)).rejects.toThrowError('key store offline')
  })
})
