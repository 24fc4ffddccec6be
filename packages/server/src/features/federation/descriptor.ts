import { createDescriptor, type NodeDescriptor, signPartyEntry } from '@parley/protocol'
import { type NodeIdentity, signingKey } from '../../node-identity.ts'

/** This node's descriptor (DESIGN §4.6): each hosted party signed by its own current key. */
export async function buildDescriptor(
  identity: NodeIdentity,
  now: number,
): Promise<NodeDescriptor> {
  const entries = await Promise.all(
    [...identity.parties.values()].map((party) => {
      const keys = party.keys.map(({ id, publicKey, validFrom, validUntil }) => ({
        id,
        publicKey,
        validFrom,
        validUntil,
      }))
      const signer = signingKey(party, now)
      return signPartyEntry({ id: party.id, name: party.name, keys }, signer.id, signer.privateKey)
    }),
  )
  return createDescriptor(identity.node, identity.federationUrl, entries)
}
