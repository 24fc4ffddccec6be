import { type BodyOf, EVENT_TYPES } from '@parley/protocol'
import { ServerError } from '../../errors.ts'
import type { ReleaseConfig } from './release-guard.ts'

/**
 * The node's release floor (DESIGN §6): the event types that always wait for a second
 * officer, whatever the channel's policy says, and whether flash items of those types are
 * exempt. A channel's policy may add to it, never take away.
 */
export interface ReleaseFloor {
  readonly twoPersonRule: readonly string[]
  readonly flashExempt: boolean
}

/** The default floor: everything that commits a party or carries its text out of a channel. */
export const DEFAULT_RELEASE_FLOOR: readonly string[] = [
  'notice.open',
  'notice.reply',
  'notice.close',
  'redline.*',
  'draft.adopt',
  'compliance.report',
  'forward',
]

/** The floor a node's config sets, `redline.*` spelled out as the v1 types it names. */
export function releaseFloor(config: ReleaseConfig | undefined): ReleaseFloor {
  const rule = config?.twoPersonRule ?? DEFAULT_RELEASE_FLOOR
  const types = rule.flatMap((entry, i) => {
    const named = EVENT_TYPES.filter((type) =>
      entry.endsWith('.*') ? type.startsWith(entry.slice(0, -1)) : type === entry,
    )
    if (named.length === 0) {
      throw new ServerError('CONFIG_INVALID', {
        reason: `/release/twoPersonRule/${i} ${entry} names no event type`,
      })
    }
    return named
  })
  return { twoPersonRule: [...new Set(types)], flashExempt: config?.flashExempt ?? false }
}

type ReleasePolicy = NonNullable<BodyOf<'channel.create'>['policy']>['release']

/**
 * Whether an item waits for a second officer: the floor or the channel's policy holds its type,
 * each unless it exempts flash items and this one is flash. Computed at compose time from the
 * floor as it is now, so a channel opened under a lower floor follows the raised one.
 */
export function needsRelease(
  floor: ReleaseFloor,
  policy: { readonly release?: ReleasePolicy } | null | undefined,
  type: string,
  body: unknown,
): boolean {
  const flash = (body as { urgency?: unknown }).urgency === 'flash'
  const holds = (rule: {
    readonly twoPersonRule: readonly string[]
    readonly flashExempt: boolean
  }) => rule.twoPersonRule.includes(type) && !(rule.flashExempt && flash)
  return holds(floor) || (policy?.release !== undefined && holds(policy.release))
}

/**
 * Refuses a channel policy weaker than the floor (`RELEASE_POLICY_BELOW_FLOOR`). Weaker means
 * that the policy, read on its own, would let out at once an item the floor holds: its
 * two-person rule leaves out a floor type, or it exempts flash items (its exemption covers every
 * type of its rule, floor types included) where the floor does not. A channel without a policy
 * states nothing and follows the floor.
 */
export function assertPolicyMeetsFloor(
  floor: ReleaseFloor,
  policy: { readonly release?: ReleasePolicy } | undefined,
): void {
  const release = policy?.release
  if (release === undefined) return
  const named: readonly string[] = release.twoPersonRule
  const missing = floor.twoPersonRule.filter((type) => !named.includes(type))
  if (missing.length > 0) {
    throw new ServerError('RELEASE_POLICY_BELOW_FLOOR', {
      reason: `its two-person rule leaves out ${missing.join(', ')}`,
    })
  }
  if (release.flashExempt && !floor.flashExempt && floor.twoPersonRule.length > 0) {
    throw new ServerError('RELEASE_POLICY_BELOW_FLOOR', {
      reason: 'it exempts flash items, which the floor holds',
    })
  }
}
