import { type Static, Type } from 'typebox'
import { ServerError } from '../../errors.ts'

/** The `release` section of `parley.json`: what the release guard refuses to let out. */
export const ReleaseConfigSchema = Type.Object(
  {
    forbiddenMarkings: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
        maxItems: 100,
        description:
          'Regular expressions (JavaScript syntax, Unicode mode; `(?i:...)` ignores case) that no string of a composed body may match, e.g. classification banners. Default: \\bTOP SECRET\\b, \\bSECRET//NOFORN\\b, \\bNOFORN\\b. [] turns the check off.',
      }),
    ),
  },
  { additionalProperties: false },
)
export type ReleaseConfig = Static<typeof ReleaseConfigSchema>

/** Classification banners no party means to send across a line of communication. */
export const DEFAULT_FORBIDDEN_MARKINGS: readonly string[] = [
  '\\bTOP SECRET\\b',
  '\\bSECRET//NOFORN\\b',
  '\\bNOFORN\\b',
]

/** The compiled guard: one rule per configured marking. */
export interface ReleaseGuard {
  readonly markings: readonly { readonly rule: string; readonly pattern: RegExp }[]
}

/**
 * One thing the guard found: where (JSON Pointer into the body, UTF-16 offset), what, and why.
 * A type, not an interface, so it travels as plain error details.
 */
export type GuardMatch = {
  readonly path: string
  readonly offset: number
  readonly text: string
  readonly rule: string
  readonly kind: 'marking' | 'tlp'
}

/** The rule names of the TLP 2.0 release rules (DESIGN §5). */
export const TLP_RED_RULE = 'tlp:red-never-forwarded'
export const TLP_AMBER_STRICT_RULE = 'tlp:amber+strict-never-leaves-recipient-party'

/** More matches than this are counted but not listed: the error must stay a readable size. */
const MAX_LISTED = 1000

/** Compiles the configured markings; a pattern that is not a valid expression is `CONFIG_INVALID`. */
export function releaseGuard(config: ReleaseConfig | undefined): ReleaseGuard {
  const sources = config?.forbiddenMarkings ?? DEFAULT_FORBIDDEN_MARKINGS
  return {
    markings: sources.map((source, i) => {
      try {
        return { rule: source, pattern: new RegExp(source, 'gu') }
      } catch (error) {
        throw new ServerError('CONFIG_INVALID', {
          reason: `/release/forbiddenMarkings/${i} ${(error as Error).message}`,
        })
      }
    }),
  }
}

/** What is about to be released: its type and body. */
export interface GuardedItem {
  readonly type: string
  readonly body: unknown
}

/**
 * Every match of the guard in an item: each configured marking in every string of the body
 * (forwarded items included), and TLP:RED or TLP:AMBER+STRICT anywhere in a forward. TLP 2.0
 * lets AMBER+STRICT reach the channel's recipients but never leave the recipient party, and a
 * forward is exactly how information leaves the channel it was shared in. Indicators carry
 * their own TLP and count alike.
 */
export function guardMatches(guard: ReleaseGuard, item: GuardedItem): GuardMatch[] {
  const matches: GuardMatch[] = []
  walkStrings(item.body, '', (path, key, text) => {
    for (const { rule, pattern } of guard.markings) {
      for (const found of text.matchAll(pattern)) {
        if (found[0] === '') continue
        matches.push({ path, offset: found.index, text: found[0], rule, kind: 'marking' })
      }
    }
    if (key !== 'tlp') return
    if (text === 'red' && item.type === 'forward') {
      matches.push({ path, offset: 0, text, rule: TLP_RED_RULE, kind: 'tlp' })
    }
    if (text === 'amber+strict' && item.type === 'forward') {
      matches.push({ path, offset: 0, text, rule: TLP_AMBER_STRICT_RULE, kind: 'tlp' })
    }
  })
  return matches
}

/**
 * Throws `RELEASE_GUARD_BLOCKED` (422) when the guard matches anything; its details list every
 * match (`matches`) and their number (`count`).
 */
export function assertReleasable(guard: ReleaseGuard, item: GuardedItem): void {
  const matches = guardMatches(guard, item)
  const first = matches[0]
  if (first === undefined) return
  throw new ServerError(
    'RELEASE_GUARD_BLOCKED',
    { count: matches.length, rule: first.rule, path: first.path || '/' },
    { matches: matches.slice(0, MAX_LISTED) },
  )
}

/** Calls `visit` for every string in a JSON value with its JSON Pointer and its field name. */
function walkStrings(
  value: unknown,
  path: string,
  visit: (path: string, key: string | number | null, text: string) => void,
  key: string | number | null = null,
): void {
  if (typeof value === 'string') visit(path, key, value)
  else if (Array.isArray(value)) {
    value.forEach((member, i) => {
      walkStrings(member, `${path}/${i}`, visit, i)
    })
  } else if (value !== null && typeof value === 'object') {
    for (const [name, member] of Object.entries(value)) {
      walkStrings(member, `${path}/${pointerToken(name)}`, visit, name)
    }
  }
}

// RFC 6901: `~` and `/` inside a name are escaped so the pointer stays unambiguous.
function pointerToken(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1')
}
