import { canonicalJson } from '@parley/protocol'

/**
 * The text to write into a jsonb column. Canonical JSON, so a value written twice compares
 * equal and protocol bodies keep their integer-only rule.
 */
export function jsonb(value: unknown): string {
  return canonicalJson(value)
}
