import {
  createDescriptor,
  type Ed25519KeyPair,
  fingerprint,
  generateKeyPair,
  type NodeDescriptor,
  type PartyKey,
  signPartyEntry,
} from '@parley/protocol'
import { beforeAll, describe, expect, it } from 'vitest'
import { peerKeysToPin, refreshPinnedKeys } from './peer-trust.ts'

const NOW = 1_764_277_200_000

let rus1: Ed25519KeyPair
let rus2: Ed25519KeyPair
let blr1: Ed25519KeyPair
let mallory: Ed25519KeyPair

beforeAll(async () => {
  ;[rus1, rus2, blr1, mallory] = await Promise.all([
    generateKeyPair(),
    generateKeyPair(),
    generateKeyPair(),
    generateKeyPair(),
  ])
})

const key = (id: string, pair: Ed25519KeyPair, validUntil: number | null = null): PartyKey => ({
  id,
  publicKey: pair.publicKey,
  validFrom: 0,
  validUntil,
})

async function peerDescriptor(rusKeys = [key('rus#1', rus1)], signer = rus1) {
  return createDescriptor('node-r', 'https://r.example/', [
    await signPartyEntry(
      { id: 'rus', name: 'Russian Federation', keys: rusKeys },
      rusKeys.find((k) => k.publicKey === signer.publicKey)?.id ?? 'rus#1',
      signer.privateKey,
    ),
    await signPartyEntry(
      { id: 'blr', name: 'Belarus', keys: [key('blr#1', blr1)] },
      'blr#1',
      blr1.privateKey,
    ),
  ])
}

describe('peerKeysToPin', () => {
  it('pins the party whose fingerprint the operator typed, spaces or not', async () => {
    const descriptor = await peerDescriptor()
    const fp = await fingerprint(rus1.publicKey)
    for (const typed of [fp, fp.replaceAll(' ', '').toUpperCase()]) {
      await expect(peerKeysToPin(descriptor, typed, { now: NOW })).resolves.toEqual({
        node: 'node-r',
        federation: 'https://r.example/',
        party: 'rus',
        name: 'Russian Federation',
        keys: [key('rus#1', rus1)],
        fingerprint: fp,
      })
    }
    const blr = await peerKeysToPin(descriptor, await fingerprint(blr1.publicKey), { now: NOW })
    expect(blr.party).toBe('blr')
  })

  it('names the expected and the actual fingerprints when none matches', async () => {
    const descriptor = await peerDescriptor()
    const expected = await fingerprint(mallory.publicKey)
    const error = await peerKeysToPin(descriptor, expected, { now: NOW }).catch((e) => e)
    expect(error).toMatchObject({ code: 'FINGERPRINT_MISMATCH' })
    expect(error.message).toContain(expected)
    expect(error.message).toContain(await fingerprint(rus1.publicKey))
    const named = await peerKeysToPin(descriptor, expected, { now: NOW, party: 'rus' }).catch(
      (e) => e,
    )
    expect(named).toMatchObject({
      code: 'FINGERPRINT_MISMATCH',
      details: { party: 'rus', expected, actual: await fingerprint(rus1.publicKey) },
    })
  })

  it('refuses a descriptor whose signatures do not hold, whatever the fingerprint', async () => {
    const descriptor: NodeDescriptor = await peerDescriptor()
    descriptor.parties[0]!.party.keys.push(key('rus#2', mallory))
    await expect(
      peerKeysToPin(descriptor, await fingerprint(rus1.publicKey), { now: NOW }),
    ).rejects.toMatchObject({ code: 'DESCRIPTOR_INVALID' })
  })
})

describe('refreshPinnedKeys', () => {
  it('adds a rotated key signed by the pinned key, and ignores unpinned parties', async () => {
    const rotated = [key('rus#1', rus1, NOW + 86_400_000), key('rus#2', rus2)]
    const descriptor = await peerDescriptor(rotated, rus1)
    const refresh = await refreshPinnedKeys(descriptor, { rus: [key('rus#1', rus1)] }, NOW)
    expect(refresh).toEqual([{ party: 'rus', name: 'Russian Federation', keys: rotated }])
  })

  it('reports nothing when the pinned keys are unchanged', async () => {
    const descriptor = await peerDescriptor()
    expect(await refreshPinnedKeys(descriptor, { rus: [key('rus#1', rus1)] }, NOW)).toEqual([])
  })

  it('refuses a key the pinned keys did not sign', async () => {
    const descriptor = await peerDescriptor([key('rus#2', rus2)], rus2)
    const refresh = await refreshPinnedKeys(descriptor, { rus: [key('rus#1', rus1)] }, NOW)
    expect(refresh).toEqual([
      expect.objectContaining({ party: 'rus', code: 'KEY_ROTATION_REJECTED' }),
    ])
  })
})
