import { ProtocolError } from './errors.ts'

/** A member name that one object of a JSON text holds more than once. */
export interface DuplicateName {
  /** Where the object sits: member names and array indexes from the root (`[]`: the root). */
  readonly path: readonly (string | number)[]
  /** The repeated name, unescaped. */
  readonly name: string
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

/**
 * Every repeated member name of a JSON text, in text order, in one pass over the text.
 * JSON.parse silently keeps the last of two members with one name and another parser may keep
 * the first, so such a text means different things to different readers (RFC 7493 §2.3).
 * Names are compared unescaped: `"a"` and `"\u0061"` are one name. `text` must be JSON that
 * JSON.parse accepts; for anything else the answer means nothing.
 * @example [...duplicateNames('{"a":{"b":1,"b":2}}')] // [{ path: ['a'], name: 'b' }]
 */
export function* duplicateNames(text: string): Generator<DuplicateName> {
  // Per nesting level: whether it is an object, the names its object has shown so far (a set
  // reused by every object at that level), and the member name or array index being read.
  // Stryker disable next-line ArrayDeclaration: a level's entry is set when its bracket opens, before any read
  const inObject: boolean[] = []
  const names: Set<string>[] = []
  // Stryker disable next-line ArrayDeclaration: a level's entry is set when its bracket opens, before any read
  const at: (string | number)[] = []
  let depth = -1
  let expectName = false
  // Stryker disable next-line EqualityOperator: charCodeAt past the end is NaN, which no case matches
  for (let i = 0; i < text.length; i++) {
    switch (text.charCodeAt(i)) {
      case QUOTE: {
        const end = closingQuote(text, i)
        if (expectName) {
          const raw = text.slice(i + 1, end)
          // Stryker disable next-line StringLiteral: JSON.parse of an unescaped name gives the name itself (speed only)
          const name = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw
          const seen = names[depth]!
          if (seen.has(name)) yield { path: at.slice(0, depth), name }
          else seen.add(name)
          at[depth] = name
          expectName = false
        }
        i = end
        break
      }
      case OPEN_OBJECT:
        depth++
        inObject[depth] = true
        // Stryker disable next-line ConditionalExpression: a new set in place of a cleared one holds the same names (speed only)
        if (names[depth] === undefined) names[depth] = new Set()
        else names[depth]!.clear()
        expectName = true
        break
      case OPEN_ARRAY:
        depth++
        inObject[depth] = false
        at[depth] = 0
        expectName = false
        break
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        depth--
        expectName = false
        break
      case COMMA:
        if (inObject[depth]) expectName = true
        else at[depth] = (at[depth] as number) + 1
        break
    }
  }
}

/** Index of the quote that closes the string opened at `open` (the text's end if none does). */
function closingQuote(text: string, open: number): number {
  let end = text.indexOf('"', open + 1)
  // Stryker disable next-line ConditionalExpression,EqualityOperator: end is -1 or past `open`, never 0, and isEscaped(text, -1) is false
  while (end > 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1)
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the text is JSON that JSON.parse accepted, so every string is closed
  return end < 0 ? text.length : end
}

/** Whether the character at `index` follows an odd run of backslashes. */
function isEscaped(text: string, index: number): boolean {
  let backslashes = 0
  while (text.charCodeAt(index - 1 - backslashes) === BACKSLASH) backslashes++
  return backslashes % 2 === 1
}

/**
 * A JSON path as error messages print it: `$`, then `.name` or `[index]`, and `["name"]` for a
 * name that is not an identifier.
 * @example jsonPath(['events', 2, 'a b']) // '$.events[2]["a b"]'
 */
export function jsonPath(path: readonly (string | number)[]): string {
  let out = '$'
  for (const segment of path) {
    // Stryker disable next-line ConditionalExpression,StringLiteral: a number fails the identifier test, and JSON.stringify prints it as the same [index]
    if (typeof segment === 'number') out += `[${segment}]`
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

function duplicateError({ path, name }: DuplicateName): ProtocolError {
  return new ProtocolError('JSON_DUPLICATE_NAME', {
    path: jsonPath(path),
    name: JSON.stringify(name),
  })
}

function parseSyntax(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ProtocolError('JSON_INVALID', { reason: (error as Error).message })
  }
}

/**
 * Throws `JSON_DUPLICATE_NAME` for the first object of a JSON text that repeats a member name;
 * for a host whose own parser has read the text already.
 * @example assertUniqueNames('{"a":1,"a":2}') // throws JSON_DUPLICATE_NAME
 */
export function assertUniqueNames(text: string): void {
  const duplicate = duplicateNames(text).next()
  if (!duplicate.done) throw duplicateError(duplicate.value)
}

/**
 * Parses I-JSON text (RFC 7493) into plain data: `JSON_INVALID` for text that is not JSON,
 * `JSON_DUPLICATE_NAME` for an object, at any depth, with two members of one name.
 * @example parseJson('{"text":"not agreed","text":"agreed"}') // throws JSON_DUPLICATE_NAME
 */
export function parseJson(text: string): unknown {
  const value = parseSyntax(text)
  assertUniqueNames(text)
  return value
}

/** A pushed batch `{ "events": [...] }` as {@link parseEventBatch} reads it. */
export interface EventBatchText {
  /** The parsed body. An item listed in `ambiguous` has no single reading: never use it. */
  readonly value: unknown
  /** The items of `events` that repeat a member name anywhere inside, each with its error. */
  readonly ambiguous: ReadonlyMap<number, ProtocolError>
}

/**
 * Parses the body of a push (DESIGN §4.6) as I-JSON, item by item: an item of `events` that
 * repeats a member name anywhere inside is set aside with `JSON_DUPLICATE_NAME`, so that one
 * ambiguous event does not sink the others. Throws `JSON_INVALID` for text that is not JSON,
 * and `JSON_DUPLICATE_NAME` when a name repeats outside every item: then the batch itself
 * cannot be read one way only.
 * @example parseEventBatch(body).ambiguous.get(0)?.code // 'JSON_DUPLICATE_NAME'
 */
export function parseEventBatch(text: string): EventBatchText {
  const value = parseSyntax(text)
  const ambiguous = new Map<number, ProtocolError>()
  for (const duplicate of duplicateNames(text)) {
    const [member, index] = duplicate.path
    if (member !== 'events' || typeof index !== 'number') throw duplicateError(duplicate)
    if (!ambiguous.has(index)) ambiguous.set(index, duplicateError(duplicate))
  }
  return { value, ambiguous }
}
