import { LABEL_LANGUAGES, type Label, type LabelLanguage } from '../sectors.ts'
import { NOTICE_LABELS } from './catalog.ts'

export { NOTICE_LABELS } from './catalog.ts'

/** A key of the label catalog, e.g. `field.subject`, `severity.3.definition`, `tlp.red`. */
export type LabelKey = keyof typeof NOTICE_LABELS

/** Every key of the catalog, in catalog order. */
export const LABEL_KEYS = Object.keys(NOTICE_LABELS) as LabelKey[]

/**
 * Keys whose text is the same in every language because it is a proper name or a code that
 * is never translated: the TLP 2.0 labels (FIRST keeps them in English so that they read the
 * same everywhere) and the name of the EU directive.
 */
export const UNTRANSLATED_LABEL_KEYS: ReadonlySet<LabelKey> = new Set<LabelKey>([
  'tlp.clear',
  'tlp.green',
  'tlp.amber',
  'tlp.amber+strict',
  'tlp.red',
  'preset.nis2',
])

/** The text of a catalog entry in one label language. */
export function label(key: LabelKey, lang: LabelLanguage): string {
  return NOTICE_LABELS[key][lang]
}

/** A catalog entry in every label language. */
export function labels(key: LabelKey): Label {
  return NOTICE_LABELS[key]
}

/** Whether a string names a catalog entry, for keys that arrive as data. */
export function isLabelKey(key: string): key is LabelKey {
  return Object.hasOwn(NOTICE_LABELS, key)
}

/**
 * The label language to show a text of language `tag` (BCP 47) with: its primary language
 * when labels exist in it (`ru-RU` → `ru`), English otherwise.
 */
export function labelLanguageOf(tag: string): LabelLanguage {
  const primary = tag.split('-')[0]!.toLowerCase()
  return (LABEL_LANGUAGES as readonly string[]).includes(primary)
    ? (primary as LabelLanguage)
    : 'en'
}
