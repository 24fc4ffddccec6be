import { type Static, Type } from 'typebox'
import { ServerError } from '../../errors.ts'
import { foldPattern, TextFolder } from './folded-text.ts'

/**
 * The `release` section of `parley.json`: the node's release floor (what always needs a second
 * officer, whatever a channel's policy says) and what the release guard refuses to let out.
 */
export const ReleaseConfigSchema = Type.Object(
  {
    twoPersonRule: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z]+(?:\\.(?:[a-z]+|\\*))?$' }), {
        maxItems: 32,
        uniqueItems: true,
        description:
          'The release floor: event types an officer composes that always wait for a different releaser; `redline.*` names every type of a family. Default: notice.open, notice.reply, notice.close, redline.*, draft.adopt, compliance.report, forward. A channel policy may add types, never leave one out.',
      }),
    ),
    flashExempt: Type.Optional(
      Type.Boolean({
        description:
          'Whether flash items of the floor types go out at once (default false); a channel policy may exempt flash items only where the floor does',
      }),
    ),
    forbiddenMarkings: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
        minItems: 1,
        maxItems: 100,
        description:
          'Regular expressions (JavaScript syntax, Unicode mode) that no string of a composed body may match, e.g. classification banners. Both the text and the literal characters of the expression are folded first (NFKC, case, ignorables, white space, confusable skeletons), so case and look-alike letters do not matter. Default: \\bTOP SECRET\\b, \\bSECRET//NOFORN\\b, \\bNOFORN\\b. The guard cannot be turned off: an empty list is refused.',
      }),
    ),
  },
  { additionalProperties: false },
)
export type ReleaseConfig = Static<typeof ReleaseConfigSchema>

/** Classification banners no party means to send across a line of communication. */
const DEFAULT_FORBIDDEN_MARKINGS: readonly string[] = [
  '\\bTOP SECRET\\b',
  '\\bSECRET//NOFORN\\b',
  '\\bNOFORN\\b',
]

/** The compiled guard: one rule per configured marking, matched on folded text. */
export interface ReleaseGuard {
  readonly markings: readonly { readonly rule: string; readonly pattern: RegExp }[]
  readonly folder: TextFolder
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
  // The schema refuses it in parley.json; a guard with nothing to look for is no guard.
  if (sources.length === 0) {
    throw new ServerError('CONFIG_INVALID', { reason: '/release/forbiddenMarkings is empty' })
  }
  return {
    folder: new TextFolder(),
    markings: sources.map((source, i) => {
      try {
        return { rule: source, pattern: new RegExp(foldPattern(source), 'gu') }
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
 * Every match of the guard in an item: each configured marking in the folded form of every
 * string of the body, located in the string as written
 * (forwarded items included), and TLP:RED or TLP:AMBER+STRICT anywhere in a forward. TLP 2.0
 * lets AMBER+STRICT reach the channel's recipients but never leave the recipient party, and a
 * forward is exactly how information leaves the channel it was shared in. Indicators carry
 * their own TLP and count alike.
 */
export function guardMatches(guard: ReleaseGuard, item: GuardedItem): GuardMatch[] {
  const matches: GuardMatch[] = []
  walkStrings(item.body, '', (path, key, text) => {
    const folded = guard.folder.fold(text)
    for (const { rule, pattern } of guard.markings) {
      for (const found of folded.text.matchAll(pattern)) {
        if (found[0] === '') continue
        const offset = folded.origin[found.index]!
        const end = folded.end[found.index + found[0].length - 1]!
        matches.push({ path, offset, text: text.slice(offset, end), rule, kind: 'marking' })
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
