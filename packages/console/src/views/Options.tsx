import { useTranslation } from 'react-i18next'
import { useLabels } from '../lib/labels.ts'

/** The TLP 2.0 markings, in the order a form offers them. */
export const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const
export type Tlp = (typeof TLPS)[number]

/** A select's options for every TLP marking, named by the shared label catalog. */
export function TlpOptions() {
  const L = useLabels()
  return (
    <>
      {TLPS.map((value) => (
        <option key={value} value={value}>
          {L(`tlp.${value}`)}
        </option>
      ))}
    </>
  )
}

/** The urgencies of DESIGN §5, least urgent first. */
export const URGENCIES = ['routine', 'priority', 'flash'] as const
export type Urgency = (typeof URGENCIES)[number]

/** A select's options for every urgency, named by the shared label catalog. */
export function UrgencyOptions() {
  const L = useLabels()
  return (
    <>
      {URGENCIES.map((value) => (
        <option key={value} value={value}>
          {L(`urgency.${value}`)}
        </option>
      ))}
    </>
  )
}

/** A select's options for the languages an item's text may be written in. */
export function LanguageOptions() {
  const { t } = useTranslation()
  return (
    <>
      <option value="en">{t('language.en')}</option>
      <option value="ru">{t('language.ru')}</option>
    </>
  )
}
