import i18next from 'i18next'
import { useTranslation } from 'react-i18next'

/** A label in the officer's language, with the other party's language beside it. */
export function Bilingual({ k }: { k: string }) {
  const { i18n } = useTranslation()
  const other = i18n.language === 'ru' ? 'en' : 'ru'
  return (
    <>
      {i18n.t(k)}{' '}
      <span className="other-lang" lang={other}>
        {i18next.getFixedT(other)(k)}
      </span>
    </>
  )
}
