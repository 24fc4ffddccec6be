import { useTranslation } from 'react-i18next'
import { LANGUAGES, setLanguage } from '../i18n/index.ts'

/** English or Russian, remembered in this browser. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation()
  return (
    <fieldset className="lang">
      <legend className="sr-only">{t('language.choose')}</legend>
      {LANGUAGES.map((lang) => (
        <button
          key={lang}
          type="button"
          lang={lang}
          aria-pressed={i18n.language === lang}
          className={i18n.language === lang ? 'lang-on' : ''}
          onClick={() => void setLanguage(lang)}
        >
          {t(`language.${lang}`)}
        </button>
      ))}
    </fieldset>
  )
}
