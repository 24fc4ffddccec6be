import { useTranslation } from 'react-i18next'

/** A capability whose API this node does not have yet: said plainly, nothing invented. */
export function Unavailable({ view }: { view: 'notices' | 'redlines' | 'drafts' }) {
  const { t } = useTranslation()
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t(`nav.${view}`)}</h1>
      <div className="empty" role="status">
        <p>{t('unavailable.text')}</p>
        <p className="muted">{t(`unavailable.${view}`)}</p>
      </div>
    </section>
  )
}
