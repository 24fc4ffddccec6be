import { isLabelKey, type LabelKey, label } from '@parley/api'
import { useTranslation } from 'react-i18next'

/**
 * The notice template's labels (urgency, TLP, field names) from `@parley/api`'s catalog, the
 * one the server and the exports read too, in the console's language: never a second copy.
 */
export function useLabels(): (key: LabelKey | string) => string {
  const { i18n } = useTranslation()
  const lang = i18n.language === 'ru' ? 'ru' : 'en'
  return (key) => (isLabelKey(key) ? label(key, lang) : key)
}
