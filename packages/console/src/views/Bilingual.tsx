import { type LabelKey, labels } from '@parley/api'
import i18next from 'i18next'
import { useTranslation } from 'react-i18next'

/**
 * A label in the officer's language, with the other party's language beside it: from the
 * console's catalog (`k`), or from `@parley/api`'s label catalog (`label`), which the notice
 * template's fields share with the server and the exports.
 */
export function Bilingual(props: { k: string } | { label: LabelKey }) {
  const { i18n } = useTranslation()
  const lang = i18n.language === 'ru' ? 'ru' : 'en'
  const other = lang === 'ru' ? 'en' : 'ru'
  const text = (l: 'en' | 'ru') =>
    'label' in props ? labels(props.label)[l] : i18next.getFixedT(l)(props.k)
  return (
    <>
      {text(lang)}{' '}
      <span className="other-lang" lang={other}>
        {text(other)}
      </span>
    </>
  )
}
