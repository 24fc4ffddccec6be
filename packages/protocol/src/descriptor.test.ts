import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { fromBase64Url, toHex } from './bytes.ts'
import { type Ed25519KeyPair, generateKeyPair, sha256 } from './crypto.ts'
import {
  acceptRotation,
  checkPin,
  createDescriptor,
  type NodeDescriptor,
  type Party,
  type PartyEntry,
  partyFingerprint,
  signPartyEntry,
  verifyDescriptor,
} from './descriptor.ts'
import type { PartyKey } from './schemas.ts'

const NOW = 1_764_277_200_000

let usa1: Ed25519KeyPair
let usa2: Ed25519KeyPair
let rus1: Ed25519KeyPair
let mallory: Ed25519KeyPair

beforeAll(async () => {
  ;[usa1, usa2, rus1, mallory] = await Promise.all([
    generateKeyPair(),
    generateKeyPair(),
    generateKeyPair(),
    generateKeyPair(),
  ])
})

function key(id: string, pair: Ed25519KeyPair, validFrom = 0, validUntil: number | null = null) {
  return { id, publicKey: pair.publicKey, validFrom, validUntil } satisfies PartyKey
}

function usa(keys: PartyKey[] = [key('usa#1', usa1)]): Party {
  return { id: 'usa', name: 'United States', keys }
}

async function twoPartyDescriptor(): Promise<NodeDescriptor> {
  const rus: Party = { id: 'rus', name: 'Russian Federation', keys: [key('rus#1', rus1)] }
  return createDescriptor('node-a', 'https://a.example/federation', [
    await signPartyEntry(usa(), 'usa#1', usa1.privateKey),
    await signPartyEntry(rus, 'rus#1', rus1.privateKey),
  ])
}

async function expectCode(promise: Promise<unknown>, code: string) {
  await expect(promise).rejects.toMatchObject({ code })
}

const hexFingerprint = async (pair: Ed25519KeyPair) =>
  toHex(await sha256(fromBase64Url(pair.publicKey)))

describe('verifyDescriptor', () => {
  it('accepts a descriptor whose every party entry is signed by that party', async () => {
    const descriptor = await twoPartyDescriptor()
    const parsed = JSON.parse(JSON.stringify(descriptor))
    await expect(verifyDescriptor(parsed)).resolves.toEqual(descriptor)
  })

  it('rejects a party entry changed after it was signed', async () => {
    const descriptor = await twoPartyDescriptor()
    descriptor.parties[0]!.party.name = 'United States of America'
    await expectCode(verifyDescriptor(descriptor), 'DESCRIPTOR_INVALID')
  })

  it('rejects a party entry signed by a key of another party', async () => {
    const descriptor = await twoPartyDescriptor()
    descriptor.parties[0] = {
      party: usa(),
      key: 'rus#1',
      sig: (await signPartyEntry(usa(), 'usa#1', rus1.privateKey)).sig,
    }
    await expect(verifyDescriptor(descriptor)).rejects.toThrow(/rus#1, which is not one of its/)
  })

  it('rejects a party that lists a key of another party as its own', async () => {
    const descriptor = await twoPartyDescriptor()
    const rus = descriptor.parties[1]!.party
    const hijack = { ...rus, keys: [...rus.keys, key('usa#1', mallory)] }
    descriptor.parties[1] = await signPartyEntry(hijack, 'usa#1', mallory.privateKey)
    await expect(verifyDescriptor(descriptor)).rejects.toThrow(/belongs to another party/)
  })

  it('rejects a descriptor that does not match the schema', async () => {
    const good = await twoPartyDescriptor()
    const bad: unknown[] = [
      { ...good, format: 'parley-node/2' },
      { ...good, extra: true },
      { ...good, protocol: [2] },
      { ...good, parties: [] },
      { ...good, federation: 'ftp://a.example' },
      { ...good, parties: [good.parties[0], good.parties[0]] },
      {
        ...good,
        parties: [{ ...good.parties[0]!, party: usa([{ ...key('usa#1', usa1), validFrom: 1.5 }]) }],
      },
      null,
      'parley',
    ]
    for (const value of bad) await expectCode(verifyDescriptor(value), 'DESCRIPTOR_INVALID')
  })

  it('rejects any mutation of a signed party', async () => {
    const entry = await signPartyEntry(usa(), 'usa#1', usa1.privateKey)
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 200 }).filter((name) => name !== entry.party.name),
        fc.integer({ min: 1, max: 2 ** 40 }),
        async (name, validFrom) => {
          for (const party of [
            { ...entry.party, name },
            usa([{ ...entry.party.keys[0]!, validFrom }]),
          ]) {
            const descriptor = createDescriptor('n', 'https://a.example', [{ ...entry, party }])
            await expectCode(verifyDescriptor(descriptor), 'DESCRIPTOR_INVALID')
          }
        },
      ),
      { numRuns: 30 },
    )
  })
})

describe('partyFingerprint', () => {
  it('is the grouped SHA-256 of the lowest-numbered key valid now', async () => {
    const keys = [
      key('usa#10', usa1),
      key('usa#2', usa2),
      key('usa#1', mallory, 0, NOW), // retired exactly now
    ]
    const fp = await partyFingerprint(keys, NOW)
    expect(fp.replaceAll(' ', '')).toBe(await hexFingerprint(usa2))
    expect(fp).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/)
  })

  it('refuses a party with no key valid now', async () => {
    await expectCode(partyFingerprint([key('usa#1', usa1, NOW + 1)], NOW), 'DESCRIPTOR_INVALID')
  })
})

describe('checkPin', () => {
  it('accepts the fingerprint typed with or without spaces, in either case', async () => {
    const descriptor = await twoPartyDescriptor()
    const hex = await hexFingerprint(usa1)
    for (const typed of [hex, hex.toUpperCase(), hex.match(/.{4}/g)!.join(' ')]) {
      const party = await checkPin(descriptor, 'usa', typed, NOW)
      expect(party.keys.map((k) => k.publicKey)).toEqual([usa1.publicKey])
    }
  })

  it('names both fingerprints when they differ', async () => {
    const descriptor = await twoPartyDescriptor()
    const expected = await hexFingerprint(mallory)
    const error = await checkPin(descriptor, 'usa', expected, NOW).catch((e) => e)
    expect(error).toMatchObject({ code: 'FINGERPRINT_MISMATCH' })
    expect(error.message).toContain(expected.slice(0, 4))
    expect(error.message.replaceAll(' ', '')).toContain(await hexFingerprint(usa1))
  })

  it('reports a party the descriptor does not list', async () => {
    await expectCode(
      checkPin(await twoPartyDescriptor(), 'fra', 'abcd', NOW),
      'PARTY_NOT_IN_DESCRIPTOR',
    )
  })
})

describe('acceptRotation', () => {
  const pinned = () => [key('usa#1', usa1)]

  it('accepts a new key when a pinned key signs the entry', async () => {
    const rotated = usa([key('usa#1', usa1, 0, NOW + 1000), key('usa#2', usa2, NOW)])
    const entry = await signPartyEntry(rotated, 'usa#1', usa1.privateKey)
    const keys = await acceptRotation(pinned(), entry, NOW)
    expect(keys).toEqual(rotated.keys)
  })

  it('rejects a new key that only signs itself', async () => {
    const entry = await signPartyEntry(usa([key('usa#2', usa2)]), 'usa#2', usa2.privateKey)
    await expectCode(acceptRotation(pinned(), entry, NOW), 'KEY_ROTATION_REJECTED')
  })

  it('rejects an entry that swaps the public key behind a pinned key id', async () => {
    const entry = await signPartyEntry(usa([key('usa#1', mallory)]), 'usa#1', mallory.privateKey)
    await expectCode(acceptRotation(pinned(), entry, NOW), 'KEY_ROTATION_REJECTED')
  })

  it('rejects an entry signed by a pinned key that has expired', async () => {
    const old = [key('usa#1', usa1, 0, NOW - 1)]
    const entry = await signPartyEntry(usa([...old, key('usa#2', usa2)]), 'usa#1', usa1.privateKey)
    await expectCode(acceptRotation(old, entry, NOW), 'KEY_ROTATION_REJECTED')
  })

  it('never reopens, backdates or retroactively retires a pinned key', async () => {
    const retired = [key('usa#1', usa1, 0, NOW + 10)]
    const changes = [
      { keys: [key('usa#1', usa1, 0, null)], from: retired },
      { keys: [key('usa#1', usa1, 5, NOW + 10)], from: retired },
      { keys: [key('usa#1', usa1, 0, NOW - 1)], from: pinned() },
    ]
    for (const { keys, from } of changes) {
      const entry = await signPartyEntry(usa(keys), 'usa#1', usa1.privateKey)
      await expectCode(acceptRotation(from, entry, NOW), 'KEY_ROTATION_REJECTED')
    }
  })

  it('keeps pinned keys that the new entry no longer lists', async () => {
    const both = [key('usa#1', usa1), key('usa#2', usa2)]
    const entry = await signPartyEntry(usa([key('usa#2', usa2)]), 'usa#2', usa2.privateKey)
    expect(await acceptRotation(both, entry, NOW)).toEqual(both)
  })

  it('applies through verifyDescriptor for parties already pinned', async () => {
    const forged = await signPartyEntry(usa([key('usa#1', mallory)]), 'usa#1', mallory.privateKey)
    const descriptor = createDescriptor('n', 'https://a.example', [forged])
    await expect(verifyDescriptor(descriptor)).resolves.toEqual(descriptor)
    await expectCode(
      verifyDescriptor(descriptor, { pinned: { usa: pinned() }, now: NOW }),
      'KEY_ROTATION_REJECTED',
    )
  })
})

// An operator pinning a peer sees the refusal's reason and nothing else: it must say which
// party and which key is wrong, and how.
describe('what a refused descriptor says', () => {
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: { code: string; details: unknown }) => ({ code: error.code, details: error.details }),
    )
  const invalid = (reason: string) => ({ code: 'DESCRIPTOR_INVALID', details: { reason } })
  const signedUsa = (keys: PartyKey[], by = 'usa#1', pair = usa1) =>
    signPartyEntry(usa(keys), by, pair.privateKey)

  it('names the federation URL, the protocol versions or the party listed twice', async () => {
    const good = await twoPartyDescriptor()
    for (const [descriptor, reason] of [
      [{ ...good, federation: 'a.example/federation' }, 'federation is not an absolute URL'],
      [{ ...good, federation: 'ftp://a.example' }, 'federation URL scheme ftp: is not http(s)'],
      [{ ...good, protocol: [2, 3] }, 'protocol versions 2, 3 do not include 1'],
      [{ ...good, parties: [good.parties[1], good.parties[1]] }, 'party rus twice'],
    ] as const) {
      expect(await refusal(verifyDescriptor(descriptor))).toEqual(invalid(reason))
    }
    // Either scheme is a federation URL, and any list holding version 1 speaks it.
    for (const federation of ['http://a.example/f', 'https://a.example/f']) {
      await expect(verifyDescriptor({ ...good, federation, protocol: [2, 1] })).resolves.toEqual({
        ...good,
        federation,
        protocol: [2, 1],
      })
    }
  })

  it('names the party and the key that break the party’s own rules', async () => {
    const cases: [Promise<PartyEntry>, string][] = [
      [signedUsa([key('usa#1', usa1), key('usa#1', usa2)]), 'party usa: key usa#1 listed twice'],
      [signedUsa([key('usa#1', usa1, NOW, NOW)]), 'party usa: key usa#1 expires before it starts'],
      [
        signedUsa([key('usa#1', usa1, NOW, NOW - 1)]),
        'party usa: key usa#1 expires before it starts',
      ],
      [
        signedUsa([key('usa#1', usa1), key('rus#2', mallory)]),
        'party usa: key rus#2 belongs to another party',
      ],
      [
        signedUsa([key('usa#1', usa1), key('usa#2', usa2)], 'usa#2', usa1),
        'party usa: signature does not verify with usa#2',
      ],
    ]
    for (const [entry, reason] of cases) {
      const descriptor = createDescriptor('n', 'https://a.example', [await entry])
      expect(await refusal(verifyDescriptor(descriptor)), reason).toEqual(invalid(reason))
    }
    // A key that starts and never ends, or ends after it starts, is well formed.
    const open = createDescriptor('n', 'https://a.example', [
      await signedUsa([key('usa#1', usa1, NOW, NOW + 1), key('usa#2', usa2, NOW)]),
    ])
    await expect(verifyDescriptor(open)).resolves.toEqual(open)
  })

  it('refuses to sign an entry with a key the party does not list', async () => {
    expect(await refusal(signPartyEntry(usa(), 'usa#2', usa2.privateKey))).toEqual(
      invalid('usa#2 is not one of the keys of usa'),
    )
  })

  it('says at what time no key is valid for a fingerprint', async () => {
    expect(await refusal(partyFingerprint([key('usa#1', usa1, NOW + 1)], NOW))).toEqual(
      invalid(`no key is valid at ${NOW}`),
    )
    // Valid from its first millisecond on.
    expect((await partyFingerprint([key('usa#1', usa1, NOW)], NOW)).replaceAll(' ', '')).toBe(
      await hexFingerprint(usa1),
    )
  })

  it('names the party and both fingerprints of a mismatch, and the party a descriptor lacks', async () => {
    const descriptor = await twoPartyDescriptor()
    const typed = await hexFingerprint(mallory)
    const grouped = (hex: string) => hex.match(/.{4}/g)!.join(' ')
    expect(await refusal(checkPin(descriptor, 'usa', typed.toUpperCase(), NOW))).toEqual({
      code: 'FINGERPRINT_MISMATCH',
      details: {
        party: 'usa',
        expected: grouped(typed),
        actual: grouped(await hexFingerprint(usa1)),
      },
    })
    expect(await refusal(checkPin(descriptor, 'fra', typed, NOW))).toEqual({
      code: 'PARTY_NOT_IN_DESCRIPTOR',
      details: { party: 'fra' },
    })
  })

  it('says why a rotation is refused', async () => {
    const pinned = [key('usa#1', usa1, 0, NOW + 10)]
    const rejected = (reason: string) => ({
      code: 'KEY_ROTATION_REJECTED',
      details: { party: 'usa', reason },
    })
    const cases: [PartyKey[], Promise<PartyEntry>, string][] = [
      [
        pinned,
        signedUsa([key('usa#2', usa2)], 'usa#2', usa2),
        'signed by usa#2, which is not pinned',
      ],
      [
        [key('usa#1', usa1, NOW + 1)],
        signedUsa([key('usa#1', usa1, NOW + 1)]),
        `signing key usa#1 is not valid at ${NOW}`,
      ],
      [
        [key('usa#1', usa1, 0, NOW)],
        signedUsa([key('usa#1', usa1, 0, NOW)]),
        `signing key usa#1 is not valid at ${NOW}`,
      ],
      [
        [key('usa#1', mallory)],
        signedUsa([key('usa#1', mallory)]),
        'signature does not verify with the pinned usa#1',
      ],
      [
        pinned,
        signedUsa([key('usa#1', usa2, 0, NOW + 10)], 'usa#1', usa1),
        'usa#1 changes its public key',
      ],
      [pinned, signedUsa([key('usa#1', usa1, 5, NOW + 10)]), 'usa#1 changes its validFrom'],
      [pinned, signedUsa([key('usa#1', usa1, 0, null)]), 'usa#1 changes its validUntil'],
      [pinned, signedUsa([key('usa#1', usa1, 0, NOW + 20)]), 'usa#1 changes its validUntil'],
      [
        [key('usa#1', usa1)],
        signedUsa([key('usa#1', usa1, 0, NOW - 1)]),
        'usa#1 would be retired in the past',
      ],
    ]
    for (const [from, entry, reason] of cases) {
      expect(await refusal(acceptRotation(from, await entry, NOW)), reason).toEqual(
        rejected(reason),
      )
    }
  })

  it('retires a pinned key from now on, and lists the keys in the order of their numbers', async () => {
    const pinned = [key('usa#10', usa2), key('usa#2', usa1)]
    const entry = await signPartyEntry(
      usa([key('usa#2', usa1, 0, NOW), key('usa#3', mallory, NOW)]),
      'usa#2',
      usa1.privateKey,
    )
    expect((await acceptRotation(pinned, entry, NOW)).map((k) => [k.id, k.validUntil])).toEqual([
      ['usa#2', NOW],
      ['usa#3', null],
      ['usa#10', null],
    ])
  })

  it('checks a party not pinned yet only for its own signature, whatever else is pinned', async () => {
    const descriptor = await twoPartyDescriptor()
    const trust = { pinned: { fra: [key('fra#1', mallory)] }, now: NOW }
    await expect(verifyDescriptor(descriptor, trust)).resolves.toEqual(descriptor)
  })
})

describe('the shape of a descriptor, as a refusal points into it', () => {
  it('names the pointer and the rule of the first field out of shape', async () => {
    const good = await twoPartyDescriptor()
    expect(good.format).toBe('parley-node/1')
    const entry = good.parties[0]!
    const withParty = (party: object) => ({ ...good, parties: [{ ...entry, party }] })
    const cases: [unknown, string][] = [
      [{ ...good, extra: true }, '/: unknown field "extra"'],
      [{ ...good, node: '' }, '/node: must not have fewer than 1 characters'],
      [{ ...good, node: 'n'.repeat(201) }, '/node: must not have more than 200 characters'],
      [
        { ...good, federation: `https://a.example/${'x'.repeat(1983)}` },
        '/federation: must not have more than 2000 characters',
      ],
      [{ ...good, protocol: [0] }, '/protocol/0: must be >= 1'],
      [{ ...good, protocol: [1_000_001] }, '/protocol/0: must be <= 1000000'],
      [{ ...good, protocol: [] }, '/protocol: must not have fewer than 1 items'],
      [{ ...good, parties: [{ ...entry, extra: 1 }] }, '/parties/0: unknown field "extra"'],
      [withParty({ ...entry.party, extra: 1 }), '/parties/0/party: unknown field "extra"'],
      [
        withParty({ ...entry.party, name: '' }),
        '/parties/0/party/name: must not have fewer than 1 characters',
      ],
      [
        withParty({ ...entry.party, name: 'n'.repeat(201) }),
        '/parties/0/party/name: must not have more than 200 characters',
      ],
      [
        withParty({ ...entry.party, keys: [] }),
        '/parties/0/party/keys: must not have fewer than 1 items',
      ],
    ]
    for (const [value, reason] of cases) {
      await expect(verifyDescriptor(value), reason).rejects.toMatchObject({
        code: 'DESCRIPTOR_INVALID',
        details: { reason },
      })
    }
  })

  it('takes names and federation URLs up to their limits', async () => {
    const party = usa()
    const named = { ...party, name: 'n'.repeat(200) }
    const descriptor = createDescriptor('n'.repeat(200), `https://a.example/${'x'.repeat(1982)}`, [
      await signPartyEntry(named, 'usa#1', usa1.privateKey),
    ])
    await expect(verifyDescriptor(descriptor)).resolves.toEqual(descriptor)
  })

  it('keeps a pinned key whose retirement an entry restates unchanged', async () => {
    const retiring = [key('usa#1', usa1, 0, NOW + 10)]
    const entry = await signPartyEntry(usa(retiring), 'usa#1', usa1.privateKey)
    expect(await acceptRotation(retiring, entry, NOW)).toEqual(retiring)
  })

  it('takes the lowest-numbered valid key for the fingerprint whatever order keys are listed in', async () => {
    for (const keys of [
      [key('usa#2', usa2), key('usa#10', usa1)],
      [key('usa#10', usa1), key('usa#2', usa2)],
    ]) {
      expect((await partyFingerprint(keys, NOW)).replaceAll(' ', '')).toBe(
        await hexFingerprint(usa2),
      )
    }
  })
})
