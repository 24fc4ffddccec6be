import confusables from 'unhomoglyph/data.json' with { type: 'json' }

/**
 * Text as a person reads it, for the release guard: NFKC (fullwidth, mathematical and
 * compatibility forms become plain letters), case folded, default-ignorable characters
 * (zero-width, soft hyphen, bidi controls) removed, every run of white space (no-break space
 * included) one space, and each character mapped to its confusable skeleton (UTS #39, as
 * `unhomoglyph` tabulates it), so Cyrillic `ТОР` reads as Latin `TOP`.
 *
 * `origin[i]` is the UTF-16 offset in the original text of the character that gave folded unit
 * `i`, and `end[i]` the offset just after it: a match in the folded text maps back to the exact
 * span the drafter wrote, ignorables and all.
 */
export interface FoldedText {
  readonly text: string
  readonly origin: readonly number[]
  readonly end: readonly number[]
}

const skeletons = confusables as Readonly<Record<string, string>>
const IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u
const SPACE = /^\s$/u
// ASCII punctuation keeps its meaning in a marking's regular expression, so it is never
// mapped (unhomoglyph reads `|` as `l` and `"` as `''`); letters and digits are.
const ASCII_PUNCTUATION = /^[\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]$/

const ASCII = /^[ -~]*$/

/**
 * The folded form of one character. Upper case first: the confusables table maps capitals
 * (Cyrillic `Т` to `T`) where their small forms have no Latin twin (`т`), and marking text is
 * capitals. Then skeleton, then lower case, so `I`, `l` and `1` all read alike. Where that
 * leaves no Latin letter but the character's own skeleton is one, that wins: NFKC turns the
 * lunate sigma `ϲ`, a look-alike of `c`, into a sigma first.
 */
function foldCharacter(character: string): string {
  const folded = foldAsCapital(character)
  const direct = skeletons[character]
  if (ASCII.test(folded) || direct === undefined) return folded
  const alternative = foldAsCapital(direct)
  return ASCII.test(alternative) ? alternative : folded
}

function foldAsCapital(character: string): string {
  let out = ''
  for (const unit of character.normalize('NFKC')) {
    if (IGNORABLE.test(unit)) continue
    if (SPACE.test(unit)) {
      out += ' '
      continue
    }
    for (const capital of unit.toUpperCase()) {
      out += (ASCII_PUNCTUATION.test(capital) ? capital : (skeletons[capital] ?? capital))
        .normalize('NFKC')
        .toLowerCase()
    }
  }
  return out
}

/** More distinct characters than this are folded afresh each time: the memo stays small. */
const MEMO_LIMIT = 10_000

/**
 * Folds texts (see {@link FoldedText}), remembering how each character it met folds: a body
 * repeats a few dozen letters, and folding one afresh costs a normalization and a table walk.
 */
export class TextFolder {
  readonly #memo = new Map<string, string>()

  fold(original: string): FoldedText {
    const parts: string[] = []
    const origin: number[] = []
    const end: number[] = []
    let offset = 0
    let afterSpace = false
    for (const character of original) {
      const next = offset + character.length
      let folded = this.#character(character)
      if (folded.includes(' ')) {
        // A run of white space, however spelled and whatever ignorables sit inside it, is one space.
        folded = folded.replace(/ {2,}/g, ' ')
        if (afterSpace && folded.startsWith(' ')) folded = folded.slice(1)
      }
      if (folded !== '') {
        parts.push(folded)
        for (let i = 0; i < folded.length; i++) {
          origin.push(offset)
          end.push(next)
        }
        afterSpace = folded.endsWith(' ')
      }
      offset = next
    }
    return { text: parts.join(''), origin, end }
  }

  #character(character: string): string {
    const known = this.#memo.get(character)
    if (known !== undefined) return known
    const folded = foldCharacter(character)
    if (this.#memo.size < MEMO_LIMIT) this.#memo.set(character, folded)
    return folded
  }
}

/**
 * A marking's regular expression in folded form: its literal characters folded as text is,
 * its syntax (escapes, group openers, quantifier bounds, metacharacters) kept as written.
 */
export function foldPattern(source: string): string {
  let out = ''
  let i = 0
  while (i < source.length) {
    const rest = source.slice(i)
    const syntax =
      /^\\(?:u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[pP]\{[^}]*\}|c[A-Za-z]|k<[^>]*>|[\s\S])/.exec(
        rest,
      ) ??
      /^\(\?(?:[:=!]|<[=!]|<[^>]*>|[a-z-]*:)/.exec(rest) ??
      /^\{\d*(?:,\d*)?\}/.exec(rest) ??
      /^[$()*+.?[\]^{|}-]/.exec(rest)
    if (syntax !== null) {
      out += syntax[0]
      i += syntax[0].length
      continue
    }
    const character = String.fromCodePoint(source.codePointAt(i)!)
    out += foldCharacter(character)
    i += character.length
  }
  return out
}
