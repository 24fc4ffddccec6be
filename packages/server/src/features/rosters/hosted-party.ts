import { ServerError } from '../../errors.ts'
import type { NodeContext } from '../../node/context.ts'

/** A party named in a route, which this node must host (`PARTY_NOT_HOSTED` otherwise). */
export function hostedParty(ctx: Pick<NodeContext, 'identity'>, party: string): string {
  if (!ctx.identity.parties.has(party)) throw new ServerError('PARTY_NOT_HOSTED', { party })
  return party
}
