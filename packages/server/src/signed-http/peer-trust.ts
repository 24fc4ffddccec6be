import {
  acceptRotation,
  canonicalJson,
  checkPin,
  isProtocolError,
  keyNumber,
  type NodeDescriptor,
  normalizeFingerprint,
  type Party,
  type PartyKey,
  type PinnedKeys,
  ProtocolError,
  partyFingerprint,
  verifyDescriptor,
} from '@parley/protocol'

/** A peer party to pin, with the arguments of the ledger's `pinPartyKeys(db, party, name, keys)`. */
export interface PeerPin {
  readonly node: string
  readonly federation: string
  readonly party: string
  readonly name: string
  readonly keys: readonly PartyKey[]
  readonly fingerprint: string
}

/**
 * What `parley peer add <url> --fingerprint <fp>` pins: checks every signature of the fetched
 * descriptor, then finds the party whose fingerprint at `now` is the one the operator received
 * out of band (or checks the named `party`). Throws `DESCRIPTOR_INVALID`,
 * `PARTY_NOT_IN_DESCRIPTOR`, or `FINGERPRINT_MISMATCH` naming the expected fingerprint and the
 * descriptor's.
 */
export async function peerKeysToPin(
  descriptorValue: unknown,
  expectedFingerprint: string,
  options: { readonly now: number; readonly party?: string },
): Promise<PeerPin> {
  const descriptor = await verifyDescriptor(descriptorValue)
  const pin = (party: Party, fingerprint: string): PeerPin => ({
    node: descriptor.node,
    federation: descriptor.federation,
    party: party.id,
    name: party.name,
    keys: party.keys,
    fingerprint,
  })
  const expected = normalizeFingerprint(expectedFingerprint)
  if (options.party !== undefined) {
    return pin(await checkPin(descriptor, options.party, expected, options.now), expected)
  }
  const candidates = await fingerprints(descriptor, options.now)
  const matches = candidates.filter((candidate) => candidate.fingerprint === expected)
  if (matches.length === 1) return pin(matches[0]!.party, expected)
  if (matches.length > 1) {
    throw new ProtocolError('DESCRIPTOR_INVALID', {
      reason: `parties ${matches.map((m) => m.party.id).join(', ')} share one fingerprint`,
    })
  }
  throw new ProtocolError('FINGERPRINT_MISMATCH', {
    party: candidates.map((candidate) => candidate.party.id).join(', ') || descriptor.node,
    expected,
    actual: candidates.map((c) => `${c.fingerprint} (${c.party.id})`).join(', ') || 'none',
  })
}

async function fingerprints(descriptor: NodeDescriptor, now: number) {
  const out = []
  for (const { party } of descriptor.parties) {
    try {
      out.push({ party, fingerprint: await partyFingerprint(party.keys, now) })
    } catch (error) {
      // A party with no key valid now has no fingerprint to match; it cannot be pinned yet.
      if (!isProtocolError(error, 'DESCRIPTOR_INVALID')) throw error
    }
  }
  return out
}

/** A refresh of an already pinned party's keys, or why it was refused. */
export type KeyRefresh =
  | { readonly party: string; readonly name: string; readonly keys: readonly PartyKey[] }
  | { readonly party: string; readonly code: string; readonly message: string }

/**
 * Applies a peer's fresh descriptor to the keys already pinned for its parties (a key
 * rotation must be signed by a pinned key; see `acceptRotation`). Returns one entry per pinned
 * party whose keys change or whose entry is refused; parties that are not pinned are ignored,
 * since a node never trusts a key it learned only from the network.
 */
export async function refreshPinnedKeys(
  descriptorValue: unknown,
  pinned: PinnedKeys,
  now: number,
): Promise<KeyRefresh[]> {
  const descriptor = await verifyDescriptor(descriptorValue)
  const out: KeyRefresh[] = []
  for (const entry of descriptor.parties) {
    const party = entry.party.id
    if (!Object.hasOwn(pinned, party)) continue
    const current = pinned[party]!
    try {
      const keys = await acceptRotation(current, entry, now)
      const unchanged = [...current].sort((a, b) => keyNumber(a.id) - keyNumber(b.id))
      if (canonicalJson(keys) !== canonicalJson(unchanged)) {
        out.push({ party, name: entry.party.name, keys })
      }
    } catch (error) {
      if (!isProtocolError(error)) throw error
      out.push({ party, code: error.code, message: error.message })
    }
  }
  return out
}
