import { duplicateNames } from './json-text.ts'
import type { PartyKey } from './schemas.ts'
import { type Authenticated, authenticateEvent } from './validate.ts'

// Between the event and the signature of a canonical event line: "kind" sorts between them.
const KIND_MEMBER = ',"kind":"event"'

/**
 * The signed event of a transcript event line that holds in every respect checked without the
 * transcript's other lines: JSON with no repeated member name, exactly `event`, `kind` and `sig`,
 * an event well formed and signed by a key of its author (DESIGN §4.4 steps 1–3). `undefined`
 * for any other line, whose first problem the caller then finds by the full, slower reading.
 * A line in canonical form, as exports write it, needs no scan for repeated names: a text equal
 * to the canonical form of what it parses to cannot repeat one.
 * @example await authenticateEventLine(eventLine(signed), keys) // { ok: true, event, sig, id, raw }
 */
export async function authenticateEventLine(
  text: string,
  keys: (party: string) => readonly PartyKey[],
): Promise<Authenticated | undefined> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Object.keys(value).length !== 3) {
    return undefined
  }
  const { event, kind, sig } = value as { event?: unknown; kind?: unknown; sig?: unknown }
  if (kind !== 'event' || event === undefined || typeof sig !== 'string') return undefined
  const checked = await authenticateEvent({ event, sig }, keys)
  if (!checked.ok) return undefined
  if (!isCanonicalLine(text, checked.raw, sig) && !duplicateNames(text).next().done) {
    return undefined
  }
  return checked
}

/** Whether `text` is the canonical event line of `raw`, `'{"event":<event>,"sig":"<sig>"}'`. */
function isCanonicalLine(text: string, raw: string, sig: string): boolean {
  // The signature is a base64url string: JCS writes it without escapes.
  const cut = raw.length - sig.length - ',"sig":""}'.length
  return (
    text.length === raw.length + KIND_MEMBER.length &&
    text.startsWith(KIND_MEMBER, cut) &&
    text.startsWith(raw.slice(0, cut)) &&
    text.endsWith(raw.slice(cut))
  )
}
